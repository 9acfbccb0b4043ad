"""A visitor's own network: the state_dict they trained in the notebook (.pt, .pth or .safetensors), read without
running anything in it, checked layer by layer, and scored on MNIST test digits.

Every bad file raises InputError, whose key names its sentence in text.py. Nothing is written anywhere: the file is
read once into memory (at most MAX_BYTES) and parsed from there.
"""
import io
import os
import pickletools
import stat
import zipfile
from itertools import product
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors

from .data import load_mnist, normalise
from .errors import InputError
from .i18n import percent, t
from .model import Net

MAX_BYTES = 5 * 2**20  # every upload of the page (door.MAX_UPLOAD); the shipped weights are 1.7 MB
SUFFIXES = (".pt", ".pth", ".safetensors")
PER_DIGIT = 100  # accuracy on the first 100 test images of each digit: 1,000 digits, well under a second
EXPECTED = {k: tuple(v.shape) for k, v in Net().state_dict().items()}
# Modules whose functions or classes run code, read files or import things when a pickle calls them.
RUNS_CODE = {"os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "socket", "runpy",
             "importlib", "pickle", "_pickle", "marshal", "ctypes", "code", "codeop", "pty", "webbrowser",
             "multiprocessing", "operator", "functools", "types", "io", "_io", "pathlib", "tempfile", "asyncio",
             "threading", "_thread", "signal", "pdb", "timeit", "urllib", "http", "zipimport", "platform"}
# What a state_dict's pickle refers to: torch's tensor rebuilders, storages, dtypes and plain containers.
DATA = {"collections.OrderedDict", "collections.Counter", "_codecs.encode", "torch.Size",
        "torch._tensor._rebuild_from_type_v2", "torch.serialization._get_layout",
        *(f"builtins.{n}" for n in ("set", "frozenset", "bytearray", "complex", "slice", "tuple", "list", "dict"))}
PICKLE_ERRORS = {"code": "own.error.code", "model": "own.error.full_model", "huge": "own.error.not_weights"}
MAGIC_NUMBER = torch.serialization.MAGIC_NUMBER  # the first pickle of torch's legacy format, not a size
INTS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"}
# torch's dtypes and layouts, which a state_dict's pickle names; vars() triggers none of torch's lazy imports
PLAIN = {n for n, v in vars(torch).items() if isinstance(v, (torch.dtype, torch.layout))}


def is_data(module: str, name: str) -> bool:
    """Whether a pickle's reference is one a state_dict holds (weights_only loads it; nothing is run)."""
    if module in ("torch", "torch.cuda") and (name.endswith(("Storage", "Tensor")) or name in PLAIN):
        return True
    return (module == "torch._utils" and name.startswith("_rebuild_")) or f"{module}.{name}".replace(
        "__builtin__.", "builtins.") in DATA


def pickle_refs(data: bytes) -> tuple[set[tuple[str, str]], int]:
    """(module, name) of every GLOBAL, INST and STACK_GLOBAL in the pickles at the start of data, read by
    pickletools without running anything ("?", "?" where a reference cannot be told), and their largest integer."""
    found, pushed, memo, largest = set(), [], {}, 0
    stream = io.BytesIO(data)
    try:
        while stream.tell() < len(data):  # a legacy torch file is several pickles in a row, then raw bytes
            for op, arg, _ in pickletools.genops(stream):
                if op.name in ("GLOBAL", "INST"):
                    found.add(tuple(arg.split(" ", 1)) if " " in arg else ("?", "?"))
                elif op.name == "STACK_GLOBAL":
                    names = pushed[-2:]
                    found.add(tuple(names) if len(names) == 2 and all(isinstance(n, str) for n in names)
                              else ("?", "?"))
                elif op.name in ("EXT1", "EXT2", "EXT4"):
                    found.add(("?", "?"))
                elif op.name in INTS and arg != MAGIC_NUMBER:  # sizes: a legacy file allocates what it claims
                    largest = max(largest, abs(arg))
                if op.name == "MEMOIZE":
                    memo[len(memo)] = pushed[-1] if pushed else None
                elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = pushed[-1] if pushed else None
                elif op.name in ("GET", "BINGET", "LONG_BINGET"):
                    pushed.append(memo.get(arg))
                else:
                    pushed.append(arg if isinstance(arg, str) else None)
    except Exception:  # the raw storages after a legacy file's pickles, or any bytes that are no pickle
        pass
    return found, largest


def pickle_kind(data: bytes) -> str | None:
    """"code" if unpickling would call or import something a state_dict never needs, "model" if it holds a whole
    pickled network (torch.nn or notebook classes), "huge" if it claims sizes beyond MAX_BYTES, None if it only
    holds data."""
    found, largest = pickle_refs(data)
    kinds = {"huge"} if largest > MAX_BYTES else set()
    for module, name in found:
        if is_data(module, name):
            continue
        if module.split(".")[0] in RUNS_CODE or not name.isidentifier() or not module.replace(".", "").isidentifier():
            kinds.add("code")
        else:  # a class (CapWords) of torch.nn or of the notebook; any other function would be called
            kinds.add("model" if module.startswith("torch.nn.") or name[0].isupper() else "code")
    return next((kind for kind in ("code", "model", "huge") if kind in kinds), None)


def read_limited(path: str | Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES, its size checked before anything is read."""
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: a FIFO does not hang the open
    except (OSError, ValueError, TypeError):
        raise InputError("own.error.no_file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a directory, a device such as /dev/zero, a FIFO, a socket
            raise InputError("own.error.no_file")
        if info.st_size > MAX_BYTES:
            raise InputError("own.error.size", size=info.st_size / 1e6, limit=MAX_BYTES // 1_000_000)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_BYTES + 1)  # files of /proc say 0 bytes and may hold more
    except OSError:
        raise InputError("own.error.not_weights") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise InputError("own.error.size", size=len(data) / 1e6, limit=MAX_BYTES // 1_000_000)
    if not data:
        raise InputError("own.error.empty")
    return data


def torch_pickle(data: bytes) -> bytes:
    """The pickle of a .pt file: data.pkl inside torch's zip format, or the bytes themselves (legacy format)."""
    if not data.startswith(b"PK\x03\x04"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_BYTES:  # a zip bomb: the sizes unpacked are what is read
                raise InputError("own.error.size", size=sum(m.file_size for m in members) / 1e6,
                                 limit=MAX_BYTES // 1_000_000)
            pickles = [m for m in members if m.filename == "data.pkl" or m.filename.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise InputError("own.error.not_weights")  # a zip, but not one torch.save wrote
            return archive.read(pickles[0])
    except InputError:
        raise
    except Exception:
        raise InputError("own.error.not_weights") from None


def read_state(data: bytes, suffix: str) -> dict:
    """The tensors of a .pt/.pth (weights_only, after refusing code and whole models) or .safetensors file."""
    if suffix != ".safetensors":
        kind = pickle_kind(torch_pickle(data))
        if kind:
            raise InputError(PICKLE_ERRORS[kind])
    try:
        if suffix == ".safetensors":
            return load_safetensors(data)
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception:  # whatever the bytes: a damaged file, another format, a refused reference
        raise InputError("own.error.not_weights") from None


def layer_names(keys) -> str:
    """Up to 6 tensor names from a file, safe to show (other characters become ?), or — for none."""
    names = ["".join(c if c.isascii() and (c.isalnum() or c in "._") else "?" for c in str(k)[:40])
             for k in sorted(map(str, keys))]
    return ", ".join(names[:6]) + (", …" if len(names) > 6 else "") if names else "—"


def flatten_change(n: int) -> tuple[str, int] | None:
    """The fewest padding/stride changes to the two convolutions that give fc1 n inputs, and the maps' side."""
    best = None
    for p1, s1, p2, s2 in product((1, 0, 2), (1, 2), (1, 0, 2), (1, 2)):
        side = ((((28 + 2 * p1 - 3) // s1 + 1) // 2 + 2 * p2 - 3) // s2 + 1) // 2
        changes = sorted({f"padding={p}" for p in (p1, p2) if p != 1} | {f"stride={s}" for s in (s1, s2) if s != 1})
        if side > 0 and side * side * 64 == n and (best is None or len(changes) < len(best[0])):
            best = changes, side
    return (", ".join(best[0]), best[1]) if best else None


def shape_error(key: str, got: tuple, want: tuple) -> InputError:
    """A layer of the wrong shape, with its likely cause read from the numbers."""
    layer = key.rsplit(".", 1)[0]
    shapes = {"got": " × ".join(map(str, got)) or "—", "want": " × ".join(map(str, want))}
    if len(got) != len(want):
        return InputError("own.error.shape", layer=key, **shapes)
    if key == "fc1.weight" and got[0] == want[0]:
        found = flatten_change(got[1])
        if found:
            return InputError("own.error.flatten", got=got[1], want=want[1], change=found[0], side=found[1])
        return InputError("own.error.inputs", got=got[1], want=want[1])
    if layer.startswith("conv") and key.endswith(".weight") and got[2:] != want[2:]:
        return InputError("own.error.kernel", layer=layer, got=" × ".join(map(str, got[2:])), k=got[2])
    if key == "conv1.weight" and got[1] != want[1]:
        return InputError("own.error.channels", got=got[1])
    if layer.startswith("conv") and got[0] != want[0]:
        return InputError("own.error.filters", layer=layer, got=got[0], want=want[0])
    if layer == "fc2" and got[0] != want[0]:
        return InputError("own.error.classes", got=got[0])
    if key in ("fc1.weight", "fc1.bias") or key == "fc2.weight" and got[1] != want[1]:
        return InputError("own.error.units", got=got[0] if layer == "fc1" else got[1], want=128)
    return InputError("own.error.shape", layer=key, **shapes)


def is_plain_tensor(value) -> bool:
    """A dense tensor on the CPU (not a subclass, a nested, sparse or meta tensor)."""
    return type(value) in (torch.Tensor, torch.nn.Parameter) and not value.is_nested and \
        value.layout == torch.strided and value.device.type == "cpu"


def check_state(state) -> dict:
    """The seed's tensors from a loaded file (a module. prefix dropped), or the InputError that says what is wrong."""
    if not isinstance(state, dict) or not all(isinstance(k, str) and is_plain_tensor(v) for k, v in state.items()):
        raise InputError("own.error.not_weights")
    if state and all(k.startswith("module.") for k in state):  # saved from nn.DataParallel
        state = {k.removeprefix("module."): v for k, v in state.items()}
    missing, extra = EXPECTED.keys() - state.keys(), state.keys() - EXPECTED.keys()
    if missing or extra:
        raise InputError("own.error.layers", missing=layer_names(missing), extra=layer_names(extra))
    for key, want in EXPECTED.items():
        tensor = state[key]
        if tuple(tensor.shape) != want:
            raise shape_error(key, tuple(tensor.shape), want)
        if not tensor.is_floating_point():
            raise InputError("own.error.dtype", layer=key, dtype=str(tensor.dtype).removeprefix("torch."))
        if not torch.isfinite(tensor).all():
            raise InputError("own.error.nan", layer=key)
    return state


def load_own_model(path: str | Path, name: str | None = None) -> Net:
    """A Net in eval mode with the weights of a visitor's file; name is the file's own name (an upload's path is a
    temporary one) and gives its extension. Any bad file raises InputError."""
    suffix = Path(str(name if name is not None else path)).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError("own.error.extension")
    state, model = read_state(read_limited(path), suffix), Net()
    try:
        model.load_state_dict(check_state(state))
    except InputError:
        raise
    except Exception:  # a tensor torch itself cannot check or copy: never anything but an InputError
        raise InputError("own.error.not_weights") from None
    return model.eval()


def accuracy_digits(images: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                    per_digit: int = PER_DIGIT) -> tuple[torch.Tensor, torch.Tensor]:
    """The first per_digit test images of each digit (a fixed, stratified subset), normalised for the network;
    without images, those of the shipped MNIST test split."""
    if images is None or labels is None:
        images, labels = load_mnist("test")
    keep = torch.cat([torch.nonzero(labels == d).flatten()[:per_digit] for d in range(10)]).sort().values
    return normalise(images[keep]), labels[keep]


@torch.inference_mode()
def accuracy(model: torch.nn.Module, digits: tuple[torch.Tensor, torch.Tensor] | None = None,
             batch_size: int = 50) -> float:
    """Share of digits (accuracy_digits(): normalised images and labels) the model reads right."""
    # 50 at a time: a batch's activations take 17 MB (250 took 85 MB, and were no quicker). glibc's malloc raises its
    # mmap threshold once such a block is freed, then keeps the next ones in its heap: after 30 uploads in batches
    # of 250 it held ~55 MB freed but not given back (malloc_trim shrank the server from ~800 to 745 MB); with 50,
    # ~5 MB, so neither malloc_trim nor a fixed threshold (which slowed the experiments by a third) is needed.
    x, labels = digits if digits is not None else accuracy_digits()
    model.eval()
    preds = torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    return (preds == labels).float().mean().item()


def describe(name: str | None, acc: float, lang: str = "en", n: int = 10 * PER_DIGIT) -> str:
    """The line that says which network is reading and how well: name (HTML-escaped by the caller) for a visitor's
    file, None for the shipped network."""
    values = {"accuracy": percent(acc, lang, 1), "n": n}
    return t("own.model.shipped", lang, **values) if name is None else t("own.model.own", lang, name=name, **values)

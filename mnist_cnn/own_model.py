"""A visitor's own network: the state_dict they trained in the notebook (.pt, .pth or .safetensors), read within a
budget and without running anything in it, checked layer by layer, scored on MNIST test digits, and kept once for
all the sessions that upload the same file.

Every bad file raises InputError, whose key names its sentence in text.py. Nothing is written anywhere: the file is
read once into memory (at most MAX_BYTES) and parsed from there.
"""
import hashlib
import io
import json
import os
import pickletools
import re
import stat
import threading
import weakref
import zipfile
from itertools import product
from math import prod
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors

from .data import load_mnist, normalise
from .errors import InputError
from .model import Net

MAX_BYTES = 5 * 2**20  # every upload of the page (door.MAX_UPLOAD); the shipped weights are 1.7 MB
SUFFIXES = (".pt", ".pth", ".safetensors")
PER_DIGIT = 100  # accuracy on the first 100 test images of each digit: 1,000 digits, well under a second
EXPECTED = {k: tuple(v.shape) for k, v in Net().state_dict().items()}
# The budget a file is read with. The seed's state_dict is 8 tensors of 421,642 numbers in all, in a pickle of 328
# opcodes; these allow far larger networks (which check_state then names), and keep reading any file under ~0.2 s.
MAX_OPS = 20_000  # opcodes in all of a file's pickles (60 times the seed's): what bounds the scan's time and memory
MAX_TENSORS = 1_000
MAX_ELEMENTS = MAX_BYTES  # numbers in all the tensors: each takes a byte of the file, unless views repeat them
MAX_DIMS = 8
NETWORK_IDLE = 600  # s a session keeps its own network after its last change: app.py's time_to_live for that State
# Modules whose functions or classes run code, read files or import things when a pickle calls them.
RUNS_CODE = {"os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "socket", "runpy",
             "importlib", "pickle", "_pickle", "marshal", "ctypes", "code", "codeop", "pty", "webbrowser",
             "multiprocessing", "operator", "functools", "types", "io", "_io", "pathlib", "tempfile", "asyncio",
             "threading", "_thread", "signal", "pdb", "timeit", "urllib", "http", "zipimport", "platform"}
# What torch's weights_only also builds (or plain builtins make), and a state_dict never holds: data, yet each can
# make megabytes or seconds of work from a few bytes of pickle (bytearray(4999999), Counter(...), torch.Size(...)).
DATA = {"collections.Counter", "_codecs.encode", "torch.Size", "torch.device", "torch.nn.parameter.Parameter",
        "torch._tensor._rebuild_from_type_v2", "torch.serialization._get_layout",
        *(f"builtins.{n}" for n in ("set", "frozenset", "bytearray", "complex", "slice", "tuple", "list", "dict"))}
# torch's dtypes, layouts and quantisation schemes, which a pickle may name; vars() triggers no lazy import of torch's
PLAIN = {n for n, v in vars(torch).items() if isinstance(v, (torch.dtype, torch.layout, torch.qscheme))}
# All a state_dict's pickle calls: a tensor from a storage, a Parameter from a tensor, an empty OrderedDict (the
# state_dict itself, its _metadata, a tensor's backward hooks)
REBUILD_TENSOR, REBUILD_PARAMETER = ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter")
ORDERED_DICT = ("collections", "OrderedDict")
# The storages its tensors are rebuilt from, by the class torch.save names: floating-point weights, and the integers
# and booleans of buffers (BatchNorm's num_batches_tracked is int64), whose layer check_state then names
STORAGES = {"FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
            "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
            "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
            "BoolStorage": torch.bool}
# The opcodes torch.save writes (protocol 2) and torch's weights_only unpickler reads; the scan follows a few more
# (protocol 4's) only to tell what a pickle refers to
TORCH_OPS = {"PROTO", "STOP", "MARK", "GLOBAL", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS",
             "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE", "EMPTY_LIST",
             "EMPTY_DICT", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE", "BINPERSID",
             "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT"}
INTS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"}
TEXTS = {"BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE"}
MAGIC_NUMBER, PROTOCOL_VERSION = torch.serialization.MAGIC_NUMBER, torch.serialization.PROTOCOL_VERSION
STORAGE_KEY = re.compile(r"\w{1,64}")  # a zip's record name (torch numbers them) or a legacy file's cdata address
ERRORS = ("own.error.code", "own.error.full_model", "own.error.not_weights")  # the first one a file earns is said


def ref_error(module: str, name: str) -> str | None:
    """None for a reference a state_dict's pickle makes, else the key of the sentence for a pickle that makes it:
    code to run, a whole pickled model (a class of torch.nn or of the notebook) or data that is not weights."""
    module = "builtins" if module == "__builtin__" else module
    if (module, name) in (REBUILD_TENSOR, REBUILD_PARAMETER, ORDERED_DICT) or module == "torch" and name in STORAGES:
        return None
    if module.split(".")[0] == "torch" and name.endswith(("Storage", "Tensor")) or module == "torch" and name in PLAIN \
            or module == "torch._utils" and name.startswith("_rebuild_") or f"{module}.{name}" in DATA:
        return "own.error.not_weights"
    if module.split(".")[0] in RUNS_CODE or not name.isidentifier() or not module.replace(".", "").isidentifier():
        return "own.error.code"
    # a class (CapWords) of torch.nn or of the notebook; any other function would be called
    return "own.error.full_model" if module.startswith("torch.nn.") or name[0].isupper() else "own.error.code"


class Made:
    """What unpickling would make at one opcode, stood for by the scan (which calls nothing): its kind ("int",
    "float", "str", "tuple", "list", "dict", "odict", "storage", "tensor", "parameter", "global", "bad"), its value
    (a number, a text, a dict's {text: (key, value)}, a storage's (dtype, numel), a tensor's numel, a reference)
    and the values it holds (parts; a dict's also its items and state)."""
    __slots__ = ("kind", "value", "parts", "state", "counted")

    def __init__(self, kind: str, value=None, parts: list | tuple = (), counted: bool = True) -> None:
        self.kind, self.value, self.parts, self.state, self.counted = kind, value, parts, None, counted

    def held(self):
        """The values this one holds."""
        yield from self.parts
        if self.kind in ("dict", "odict"):
            for key, value in self.value.values():
                yield key
                yield value
            yield self.state


EMPTY = Made("tuple", counted=False)  # (): one object, as in Python


def is_leaf(value) -> bool:
    """A number, a text, None, True or False."""
    return value is None or isinstance(value, bool) or isinstance(value, Made) and value.kind in ("int", "float", "str")


def whole(value, top: int) -> int | None:
    """value's number if it is a whole number from 0 to top, else None."""
    return value.value if isinstance(value, Made) and value.kind == "int" and 0 <= value.value <= top else None


class Scan:
    """A file's pickles read opcode by opcode into Made values, as unpickling them would, without calling anything;
    MAX_OPS opcodes in all. Every sentence they earn is kept, and the first of ERRORS among them said (error).

    torch loads a file only if its pickles hold nothing but what torch.save writes for a state_dict, with every
    tensor inside the bytes the file holds. fickling and picklescan judge whether a pickle is safe to run, not that
    it is a state_dict of bounded size, so the scan is written here."""

    def __init__(self, legacy: bool) -> None:
        self.legacy, self.ops, self.errors = legacy, 0, set()
        self.storages: dict[str, tuple[torch.dtype, int]] = {}  # the file's storages: key -> (dtype, numel)
        self.tensors, self.elements, self.hooks = 0, 0, []  # hooks: the OrderedDicts given as backward hooks

    @property
    def error(self) -> str | None:
        """The key of the sentence the file earns, if any."""
        return next((key for key in ERRORS if key in self.errors), None)

    def bad(self) -> Made:
        """What stands for a value no state_dict's pickle makes: the file is not weights."""
        self.errors.add("own.error.not_weights")
        return Made("bad", counted=False)

    def read(self, stream: io.BytesIO, shape) -> Made | None:
        """The value of the pickle at stream's position if shape(value) holds and nothing else is made (None if not),
        the stream left after it. Everything made is counted, and must be part of what the pickle gives."""
        stack, marks, memo, made = [], [], {}, 0

        def make(kind: str, value=None, parts=()) -> Made:
            nonlocal made
            made += 1
            return Made(kind, value, parts)

        def pop_mark() -> list:
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        try:
            for op, arg, _ in pickletools.genops(stream):
                self.ops += 1
                if self.ops > MAX_OPS:
                    self.bad()
                    return None
                name = op.name
                if name not in TORCH_OPS:
                    self.bad()
                if name in ("PROTO", "FRAME"):
                    pass
                elif name == "STOP":
                    break
                elif name == "MARK":
                    marks.append(len(stack))
                elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
                    stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
                elif name in INTS:  # protocol 1's INT gives True and False too
                    stack.append(arg if isinstance(arg, bool) else make("int", arg))
                elif name in ("BINFLOAT", "FLOAT"):
                    stack.append(make("float", arg))
                elif name in TEXTS:
                    stack.append(make("str", arg))
                elif name == "EMPTY_TUPLE":
                    stack.append(EMPTY)
                elif name in ("TUPLE1", "TUPLE2", "TUPLE3", "TUPLE"):
                    items = pop_mark() if name == "TUPLE" else [stack.pop() for _ in range(int(name[-1]))][::-1]
                    stack.append(make("tuple", parts=items))
                elif name in ("EMPTY_LIST", "EMPTY_DICT"):
                    stack.append(make("list", parts=[]) if name == "EMPTY_LIST" else make("dict", {}))
                elif name in ("APPEND", "APPENDS"):
                    items = pop_mark() if name == "APPENDS" else [stack.pop()]
                    if stack[-1].kind == "list":
                        stack[-1].parts.extend(items)
                    else:
                        self.bad()
                elif name in ("SETITEM", "SETITEMS"):
                    items = pop_mark() if name == "SETITEMS" else [stack.pop(-2), stack.pop()]
                    self.set_items(stack[-1], items)
                elif name in ("GLOBAL", "INST"):  # INST: a class named like GLOBAL's, called on a marked slice
                    module, found = arg.split(" ", 1) if " " in arg else ("?", "?")
                    if name == "INST":
                        pop_mark()
                    stack.append(self.reference(module, found))
                elif name == "STACK_GLOBAL":
                    found, module = stack.pop(), stack.pop()
                    texts = [v.value if isinstance(v, Made) and v.kind == "str" else "?" for v in (module, found)]
                    made -= sum(isinstance(v, Made) and v.kind == "str" and v.counted for v in (module, found))
                    for v in (module, found):  # a name, spent: Python keeps nothing of it
                        if isinstance(v, Made) and v.kind == "str":
                            v.counted = False
                    stack.append(self.reference(*texts))
                elif name == "BINPERSID":
                    stack.append(self.storage(stack.pop(), make))
                elif name == "REDUCE":
                    args = stack.pop()
                    stack.append(self.call(stack.pop(), args, make))
                elif name == "BUILD":
                    state = stack.pop()
                    if stack[-1].kind == "odict" and stack[-1].state is None:  # the state_dict's _metadata
                        stack[-1].state = state
                    else:
                        self.bad()
                elif name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                    memo[len(memo) if name == "MEMOIZE" else arg] = stack[-1]
                elif name in ("BINGET", "LONG_BINGET", "GET"):
                    stack.append(memo[arg])
                elif name in ("POP", "POP_MARK", "DUP"):
                    if name == "DUP":
                        stack.append(stack[-1])
                    else:
                        pop_mark() if name == "POP_MARK" else stack.pop()
                else:  # no state_dict's opcode: its effect on the stack, to keep telling what the pickle refers to
                    if name.startswith("EXT"):
                        self.errors.add("own.error.code")
                    if pickletools.markobject in op.stack_before:
                        pop_mark()
                        del stack[len(stack) - op.stack_before.index(pickletools.markobject):]
                    else:
                        del stack[len(stack) - len(op.stack_before):]
                    stack.extend(Made("bad", counted=False) for _ in op.stack_after)
            value = stack.pop()
        except Exception:  # bytes that are no pickle, a stack or memo that does not hold what an opcode takes
            self.bad()
            return None
        if stack or marks or not shape(value) or self.error:
            self.bad()
            return None
        seen, todo, reached = set(), [value], 0  # everything made must be part of the value: nothing else is kept
        while todo:
            v = todo.pop()
            if isinstance(v, Made) and id(v) not in seen:
                seen.add(id(v))
                reached += v.counted
                todo.extend(v.held())
        if reached != made:
            self.bad()
            return None
        return value

    def reference(self, module: str, name: str) -> Made:
        """A GLOBAL's class or function, its sentence kept if a state_dict never refers to it."""
        error = ref_error(module, name)
        if error:
            self.errors.add(error)
        return Made("global", ("builtins" if module == "__builtin__" else module, name), counted=False)

    def set_items(self, target: Made, items: list) -> None:
        """SETITEM(S): text keys into a dict."""
        if target.kind not in ("dict", "odict") or len(items) % 2:
            self.bad()
            return
        for key, value in zip(items[::2], items[1::2]):
            if not (isinstance(key, Made) and key.kind == "str"):
                self.bad()
                return
            target.value[key.value] = (key, value)

    def storage(self, pid, make) -> Made:
        """BINPERSID: torch's ("storage", its class, key, location, numel), and None after it in the legacy format
        (a view of another storage, which torch.save no longer writes)."""
        parts = pid.parts if isinstance(pid, Made) and pid.kind == "tuple" else ()
        if len(parts) != 5 + self.legacy or self.legacy and parts[5] is not None:
            return self.bad()
        tag, cls, key, location, numel = parts[:5]
        if not (isinstance(tag, Made) and tag.value == "storage" and tag.kind == "str" and isinstance(cls, Made) and
                cls.kind == "global" and cls.value[0] == "torch" and cls.value[1] in STORAGES and
                isinstance(key, Made) and key.kind == "str" and STORAGE_KEY.fullmatch(key.value) and
                isinstance(location, Made) and location.kind == "str" and whole(numel, MAX_BYTES) is not None):
            return self.bad()
        facts = STORAGES[cls.value[1]], numel.value
        if self.storages.setdefault(key.value, facts) != facts:  # torch reads a key's storage once, as first met
            return self.bad()
        return make("storage", facts, [pid])

    def call(self, func, args, make) -> Made:
        """REDUCE: one of the three calls a state_dict's pickle makes, with the arguments torch.save gives them."""
        parts = args.parts if isinstance(args, Made) and args.kind == "tuple" else None
        ref = func.value if isinstance(func, Made) and func.kind == "global" else None
        if parts is None or ref is None:
            return self.bad()
        if ref == ORDERED_DICT and not parts:
            return make("odict", {}, [args])
        if ref == REBUILD_PARAMETER and len(parts) == 3 and isinstance(parts[0], Made) and \
                parts[0].kind == "tensor" and isinstance(parts[1], bool) and self.is_hooks(parts[2]):
            return make("parameter", parts[0].value, [args])
        if ref == REBUILD_TENSOR and len(parts) == 6:
            numel = self.tensor(*parts)
            if numel is not None:
                return make("tensor", numel, [args])
        return self.bad()

    def tensor(self, storage, offset, size, stride, requires_grad, hooks) -> int | None:
        """The number of elements of _rebuild_tensor_v2's tensor, if it lies inside its storage and the budget."""
        if not (isinstance(storage, Made) and storage.kind == "storage" and isinstance(requires_grad, bool) and
                self.is_hooks(hooks) and all(isinstance(v, Made) and v.kind == "tuple" for v in (size, stride)) and
                len(size.parts) == len(stride.parts) <= MAX_DIMS):
            return None
        sizes = [whole(v, MAX_ELEMENTS) for v in size.parts]
        strides = [whole(v, 2 ** 63 - 1) for v in stride.parts]
        start = whole(offset, storage.value[1])
        if None in sizes or None in strides or start is None:
            return None
        numel = prod(sizes)
        self.tensors, self.elements = self.tensors + 1, self.elements + numel
        if self.tensors > MAX_TENSORS or self.elements > MAX_ELEMENTS:
            return None
        # the last element the view reaches (none for an empty tensor) must be in the storage
        if numel and start + sum((n - 1) * s for n, s in zip(sizes, strides)) >= storage.value[1]:
            return None
        return numel

    def is_hooks(self, value) -> bool:
        """Whether value is an OrderedDict() (checked to stay empty once the pickle is read)."""
        if isinstance(value, Made) and value.kind == "odict":
            self.hooks.append(value)
            return True
        return False

    def state_dict(self, value) -> bool:
        """Whether a pickle's value is a state_dict: texts to tensors or Parameters, and if an OrderedDict, its
        _metadata (an OrderedDict of texts to dicts of texts to numbers or texts); backward hooks left empty."""
        if not (isinstance(value, Made) and value.kind in ("dict", "odict") and all(
                isinstance(v, Made) and v.kind in ("tensor", "parameter") for _, v in value.value.values())):
            return False
        if any(hook.value or hook.state is not None for hook in self.hooks):
            return False
        state = value.state
        if state is None:
            return True
        metadata = state.value.get("_metadata", (None, None))[1] if isinstance(state, Made) and \
            state.kind == "dict" and state.state is None and len(state.value) == 1 else None
        return isinstance(metadata, Made) and metadata.kind == "odict" and metadata.state is None and all(
            isinstance(v, Made) and v.kind == "dict" and all(is_leaf(x) for _, x in v.value.values())
            for _, v in metadata.value.values())


def zip_records(data: bytes) -> tuple[bytes, dict[str, int]] | None:
    """The pickle (data.pkl) of torch's zip format and the size of every record beside it, by name (data/0 ...),
    or None for bytes that are no zip."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_BYTES:  # a zip bomb: the sizes unpacked are what is read
                raise InputError("own.error.size", size=sum(m.file_size for m in members) / 1e6,
                                 limit=MAX_BYTES // 1_000_000)
            pickles = [m for m in members if m.filename == "data.pkl" or m.filename.endswith("/data.pkl")]
            folder = pickles[0].filename.removesuffix("data.pkl") if len(pickles) == 1 else None
            names = [m.filename for m in members]
            # torch reads the records of the first name's folder, once each
            if folder is None or len(set(names)) != len(names) or not all(n.startswith(folder) for n in names):
                raise InputError("own.error.not_weights")  # a zip, but not one torch.save wrote
            return archive.read(pickles[0]), {m.filename.removeprefix(folder): m.file_size for m in members}
    except InputError:
        raise
    except Exception:
        raise InputError("own.error.not_weights") from None


def legacy_data(scan: Scan, raw: bytes, keys: list[str]) -> bool:
    """Whether the legacy format's raw storages, after its pickles, hold each storage the pickle named, in the order
    of its list of keys: each a little-endian int64 count of elements, then the elements."""
    at = 0
    for key in keys:
        if key not in scan.storages:
            return False
        dtype, numel = scan.storages[key]
        if int.from_bytes(raw[at:at + 8], "little") != numel or len(raw) < at + 8 + numel * dtype.itemsize:
            return False
        at += 8 + numel * dtype.itemsize
    return set(keys) == scan.storages.keys()


def check_pickles(data: bytes) -> None:
    """Return if a .pt/.pth file's pickles hold only a state_dict whose tensors lie in the file's bytes; else raise
    the InputError of the first thing they hold that a state_dict does not, before anything of them is built."""
    records = zip_records(data)
    scan = Scan(legacy=records is None)
    if records is not None:
        stream = io.BytesIO(records[0])
        if scan.read(stream, scan.state_dict) is not None and stream.tell() == len(records[0]):
            if any(records[1].get(f"data/{key}", -1) < numel * dtype.itemsize
                   for key, (dtype, numel) in scan.storages.items()):
                scan.bad()  # a storage torch would read beyond its record, or that is not there
        else:
            scan.bad()
    else:  # the legacy format: the magic number, the version, the machine's sizes, the state_dict, its storages' keys
        stream = io.BytesIO(data)
        shapes = [lambda v: whole(v, MAGIC_NUMBER) == MAGIC_NUMBER, lambda v: whole(v, 2 ** 31) == PROTOCOL_VERSION,
                  lambda v: isinstance(v, Made) and v.kind == "dict" and all(
                      is_leaf(x) or isinstance(x, Made) and x.kind == "dict" and
                      all(is_leaf(y) for _, y in x.value.values()) for _, x in v.value.values()),
                  scan.state_dict,
                  lambda v: isinstance(v, Made) and v.kind == "list" and
                  all(isinstance(k, Made) and k.kind == "str" for k in v.parts)]
        values = []
        for shape in shapes:
            values.append(scan.read(stream, shape))
            if values[-1] is None:
                break
        else:
            if not legacy_data(scan, data[stream.tell():], [k.value for k in values[-1].parts]):
                scan.bad()
    if scan.error:
        raise InputError(scan.error)


def check_safetensors(data: bytes) -> None:
    """Raise the InputError of a .safetensors file of more tensors or numbers than the budget, read from its
    header (a little-endian length, then JSON); a header that is no JSON is left to safetensors to refuse."""
    try:
        header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
        shapes = [v["shape"] for k, v in header.items() if k != "__metadata__"]
        numel = sum(prod(s) for s in shapes)
    except Exception:
        return
    if len(shapes) > MAX_TENSORS or numel > MAX_ELEMENTS:
        raise InputError("own.error.not_weights")


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


def read_state(data: bytes, suffix: str) -> dict:
    """The tensors of a .pt/.pth (weights_only, after its pickles are checked) or .safetensors file."""
    check_safetensors(data) if suffix == ".safetensors" else check_pickles(data)
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


def read_own_model(data: bytes, suffix: str) -> Net:
    """A Net in eval mode with the weights of a file's bytes (suffix: its extension). Any bad file raises
    InputError."""
    state, model = read_state(data, suffix), Net()
    try:
        model.load_state_dict(check_state(state))
    except InputError:
        raise
    except Exception:  # a tensor torch itself cannot check or copy: never anything but an InputError
        raise InputError("own.error.not_weights") from None
    return model.eval()


# The networks sessions hold, one per distinct file: (format, sha256 of its bytes) -> Net. Weak values, so that a
# network lives exactly as long as some session holds it (their State's TTL, NETWORK_IDLE, frees it) and the cache
# needs no bound of its own; a bounded LRU would keep networks no session uses and still not bound what sessions
# hold. Nets are only read (eval mode, no gradients into them), so sessions share one as they share the shipped one.
NETWORKS: "weakref.WeakValueDictionary[tuple[str, str], Net]" = weakref.WeakValueDictionary()
NETWORKS_LOCK = threading.Lock()


def load_own_model(path: str | Path, name: str | None = None) -> Net:
    """A Net in eval mode with the weights of a visitor's file, the same Net for the same bytes while any session
    holds it; name is the file's own name (an upload's path is a temporary one) and gives its extension. Any bad
    file raises InputError."""
    suffix = Path(str(name if name is not None else path)).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError("own.error.extension")
    data = read_limited(path)
    key = ("safetensors" if suffix == ".safetensors" else "pickle", hashlib.sha256(data).hexdigest())
    with NETWORKS_LOCK:
        model = NETWORKS.get(key)
    if model is None:
        model = read_own_model(data, suffix)
        with NETWORKS_LOCK:  # two sessions may have read the same file at once: both get the first one kept
            model = NETWORKS.setdefault(key, model)
    return model


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


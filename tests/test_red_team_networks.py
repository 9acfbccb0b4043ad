"""The red team's networks, rebuilt opcode by opcode as they wrote them: tiny pickles of calls torch's weights_only
allows (bytearray, Counter, set, torch.Size, _codecs.encode ...) and pickles of millions of cheap opcodes are
refused by the scan, with their sentence, before torch builds anything; and the sessions that upload one file share
one network."""
import gc
import hashlib
import io
import pickle
import pickletools
import shutil
import struct
import tracemalloc
import uuid
import zipfile
from pathlib import Path

import pytest
import torch
from gradio.utils import get_upload_folder

from mnist_cnn import own_model
from mnist_cnn.errors import InputError
from mnist_cnn.model import Net
from mnist_cnn.own_model import MAX_BYTES, MAX_OPS, load_own_model
from web.i18n import sentence

N = 4_999_999  # as large as a file may be: what bytearray(N) allocates, what Counter(bytearray(N)) counts


def text(s: str) -> bytes:
    """BINUNICODE s."""
    return pickle.BINUNICODE + struct.pack("<I", len(s.encode())) + s.encode()


def integer(n: int) -> bytes:
    """BININT n, or LONG1 where it does not fit 4 bytes."""
    if -2 ** 31 <= n < 2 ** 31:
        return pickle.BININT + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return pickle.LONG1 + bytes([len(raw)]) + raw


def ref(module: str, name: str, memo: int) -> bytes:
    """GLOBAL module.name, kept in the memo at memo (as torch.save keeps each global)."""
    return pickle.GLOBAL + f"{module}\n{name}\n".encode() + pickle.BINPUT + bytes([memo])


def get(memo: int) -> bytes:
    return pickle.BINGET + bytes([memo])


def call(func: bytes, *args: bytes) -> bytes:
    """func(*args): the callable, a MARK, the arguments, TUPLE, REDUCE."""
    return func + pickle.MARK + b"".join(args) + pickle.TUPLE + pickle.REDUCE


def state_dict(first: bytes, then: bytes, n: int = 100) -> bytes:
    """A protocol-2 pickle of a dict of n layers like a state_dict's: {"w00": first, "w01": then, ...}."""
    body = b"".join(text(f"w{i:02d}") + (first if i == 0 else then) for i in range(n))
    return pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.MARK + body + pickle.SETITEMS + pickle.STOP


def repeated(op: bytes, n: int) -> bytes:
    """A pickle of a tuple of n values each made by op (n opcodes in a file of about n bytes)."""
    return pickle.PROTO + b"\x02" + pickle.MARK + op * n + pickle.TUPLE + pickle.STOP


# The red team's files: 100 × bytearray(4999999), 100 × Counter(bytearray(4999999)), and the other calls
# torch's weights_only allows, each made 100 times from a few bytes
CRAFTED = {
    "bytearray": state_dict(call(ref("builtins", "bytearray", 0), integer(N)), call(get(0), integer(N))),
    "counter": state_dict(call(ref("collections", "Counter", 1), call(ref("builtins", "bytearray", 0), integer(N))),
                          call(get(1), call(get(0), integer(N)))),
    "set": state_dict(call(ref("builtins", "set", 1), call(ref("builtins", "bytearray", 0), integer(N))),
                      call(get(1), call(get(0), integer(N)))),
    # torch.Size of a million sizes (each within the old scan's limit), the tuple written once: 8 MB a call
    "torch.Size": state_dict(call(ref("torch", "Size", 0), pickle.MARK + integer(N) + pickle.BINPUT + b"\x01" +
                                  get(1) * 999_999 + pickle.TUPLE + pickle.BINPUT + b"\x02"),
                             call(get(0), get(2))),
    "_codecs.encode": state_dict(call(ref("_codecs", "encode", 0), text("x" * 1_000_000) + pickle.BINPUT + b"\x01",
                                      text("utf-32")), call(get(0), get(1), text("utf-32"))),
    # cheap opcodes by the million, which the old scan let through to torch: 5 million empty dicts (+390 MB built),
    # a million OrderedDict() (4 bytes each, +140 MB), 5 million Nones (7 s of CPU)
    "dicts": repeated(pickle.EMPTY_DICT, MAX_BYTES - 1_000),
    "ordered dicts": pickle.PROTO + b"\x02" + pickle.MARK + ref("collections", "OrderedDict", 0) +
    pickle.EMPTY_TUPLE + pickle.REDUCE + (get(0) + pickle.EMPTY_TUPLE + pickle.REDUCE) * 1_000_000 + pickle.TUPLE +
    pickle.STOP,
    "nones": repeated(pickle.NONE, MAX_BYTES - 1_000),
}
# Each call torch's weights_only allows (and the plain builtins) that a state_dict never makes, once, where a
# state_dict has a tensor
NEVER_IN_A_STATE_DICT = [("builtins", n) for n in ("set", "frozenset", "bytearray", "complex", "slice", "tuple",
                                                   "list", "dict")] + \
    [("collections", "Counter"), ("_codecs", "encode"), ("torch", "Size"), ("torch", "device"), ("torch", "float32"),
     ("torch", "per_tensor_affine"), ("torch", "FloatTensor"), ("torch.sparse", "FloatTensor"),
     ("torch.nn.parameter", "Parameter"), ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_qtensor"),
     ("torch._utils", "_rebuild_parameter_with_state"), ("torch._tensor", "_rebuild_from_type_v2"),
     ("torch.serialization", "_get_layout")]


def as_zip(data: bytes) -> bytes:
    """data as the data.pkl of torch's zip format, beside the records torch.save writes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", data)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def refused_by_the_scan(path: Path, monkeypatch) -> tuple[InputError, int, int]:
    """The InputError reading path raises, the opcodes the scan read (what bounds its time: CPU seconds would
    depend on the machine), and the peak bytes Python allocates reading it again (under tracemalloc); torch.load,
    which would build the pickle, fails the test if reached."""
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was reached: the scan let it through"))
    read, genops = [0], pickletools.genops

    def counted(stream):
        for op in genops(stream):
            read[0] += 1
            yield op
    monkeypatch.setattr(pickletools, "genops", counted)
    with pytest.raises(InputError) as caught:
        load_own_model(path)
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            load_own_model(path)
        return caught.value, read[0] // 2, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("container", ["pickle", "zip"])
@pytest.mark.parametrize("name", CRAFTED)
def test_a_crafted_pickle_is_refused_by_the_scan_fast_and_small(tmp_path, monkeypatch, name, container):
    data = CRAFTED[name] if container == "pickle" else as_zip(CRAFTED[name])
    assert len(data) <= MAX_BYTES
    (tmp_path / "cnn.pt").write_bytes(data)
    error, ops, peak = refused_by_the_scan(tmp_path / "cnn.pt", monkeypatch)
    assert error.key == "own.error.not_weights", sentence(error)
    assert ops <= MAX_OPS + 1  # the scan reads at most MAX_OPS opcodes (its time), and calls nothing
    # the buffer the file is read into, the pickle's copy out of a zip, and the scan's budget of values
    assert peak < MAX_BYTES + 2 * len(data) + 4_000_000


@pytest.mark.parametrize("module, name", NEVER_IN_A_STATE_DICT)
def test_a_call_torch_allows_but_a_state_dict_never_makes_is_refused(tmp_path, monkeypatch, module, name):
    path = tmp_path / "cnn.pt"
    path.write_bytes(state_dict(call(ref(module, name, 0), integer(3)), call(get(0), integer(3)), n=2))
    error, _, _ = refused_by_the_scan(path, monkeypatch)
    assert error.key == "own.error.not_weights"
    assert sentence(error) == "The file cannot be read as a network’s weights."


def test_code_that_runs_is_still_the_code_sentence(tmp_path, monkeypatch):
    path = tmp_path / "cnn.pt"
    path.write_bytes(state_dict(call(ref("posix", "system", 0), text("true")), call(get(0), text("true")), n=2))
    assert refused_by_the_scan(path, monkeypatch)[0].key == "own.error.code"


@pytest.fixture(scope="module")
def weights(model, tmp_path_factory) -> bytes:
    """The shipped weights, saved as the notebook saves them."""
    path = tmp_path_factory.mktemp("weights") / "cnn.pt"
    torch.save(model.state_dict(), path)
    return path.read_bytes()


def uploads(data: bytes, n: int) -> list[Path]:
    """n copies of a file, each where Gradio puts a session's upload."""
    paths = []
    for _ in range(n):
        folder = Path(get_upload_folder()) / uuid.uuid4().hex
        folder.mkdir(parents=True)
        (folder / "cnn.pt").write_bytes(data)
        paths.append(folder / "cnn.pt")
    return paths


def test_50_loads_of_one_file_give_one_network(weights):
    paths = uploads(weights, 50)
    try:
        models = [load_own_model(path, "cnn.pt") for path in paths]
    finally:
        for path in paths:
            shutil.rmtree(path.parent)
    assert all(m is models[0] for m in models)
    assert len({p.data_ptr() for m in models for p in m.parameters()}) == 8  # one copy of each of the 8 tensors


def test_the_network_lives_while_a_session_holds_it(weights, tmp_path):
    (tmp_path / "cnn.pt").write_bytes(weights)
    key = ("pickle", hashlib.sha256(weights).hexdigest())
    held = load_own_model(tmp_path / "cnn.pt")
    assert own_model.NETWORKS[key] is held
    torch.manual_seed(3)
    torch.save(Net().state_dict(), tmp_path / "other.pt")
    assert load_own_model(tmp_path / "other.pt") is not held  # another file, another network
    del held
    gc.collect()
    assert key not in own_model.NETWORKS  # no session holds it: gone


def test_sessions_that_upload_one_file_share_its_network(page, weights):
    first, second = uploads(weights, 2)
    try:
        one = page.own(str(first), None, None, None, "en")["network"]
        other = page.own(str(second), None, None, None, "es")["network"]
    finally:
        shutil.rmtree(first.parent)
        shutil.rmtree(second.parent)
    assert one.model is other.model and one.name == other.name == "cnn.pt"
    assert one.accuracy == other.accuracy >= 0.99


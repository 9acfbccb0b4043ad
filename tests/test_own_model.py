"""A visitor's own network from the notebook: a state_dict reads exactly as the shipped weights do, and every bad
file (code to run, a whole model, other layers, bad numbers, any bytes at all) is one InputError and nothing runs."""
import io
import json
import os
import pickle
import random
import sys
import threading
import zipfile
from collections import OrderedDict

import pytest
import torch
from safetensors.torch import save_file

from mnist_cnn import own_model
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.errors import InputError
from mnist_cnn.model import Net
from mnist_cnn.own_model import MAX_BYTES, MAX_ELEMENTS, MAX_TENSORS, accuracy, accuracy_digits, load_own_model
from web.i18n import sentence
from web.text import EN, ES

SAVE_STATE_DICT = 'torch.save(model.state_dict(), "cnn.pt")'


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test")
    return normalise(images[:20]), labels[:20]


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory) -> dict:
    """The shipped weights saved the ways a notebook saves them."""
    folder = tmp_path_factory.mktemp("saved")
    state = model.state_dict()
    torch.save(state, folder / "cnn.pt")
    torch.save(state, folder / "cnn.pth", _use_new_zipfile_serialization=False)  # torch's legacy format
    torch.save({f"module.{k}": v for k, v in state.items()}, folder / "parallel.pt")
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "cnn.safetensors"))
    return {p.name: p for p in folder.iterdir()}


def refused(path, key: str, name: str | None = None) -> InputError:
    """The InputError load_own_model raises for path, checked to have key and a sentence in both languages."""
    with pytest.raises(InputError) as caught:
        load_own_model(path, name)
    assert caught.value.key == key, sentence(caught.value)
    assert sentence(caught.value, "en") and sentence(caught.value, "es")
    return caught.value


def state(**changes) -> dict:
    """A random Net's state_dict with some tensors replaced (None drops one)."""
    s = {**Net().state_dict(), **changes}
    return {k: v for k, v in s.items() if v is not None}


@pytest.mark.parametrize("file", ["cnn.pt", "cnn.pth", "parallel.pt", "cnn.safetensors"])
def test_a_saved_state_dict_reads_as_the_shipped_network(model, saved, digits, file):
    own = load_own_model(saved[file])
    assert isinstance(own, Net) and not own.training
    with torch.no_grad():
        assert torch.equal(own(digits[0]), model(digits[0]))


def test_an_upload_s_temporary_path_takes_its_extension_from_its_name(saved, tmp_path):
    upload = tmp_path / "gradio-upload-1234"
    upload.write_bytes(saved["cnn.pt"].read_bytes())
    assert isinstance(load_own_model(upload, "cnn.pt"), Net)
    refused(saved["cnn.pt"], "own.error.extension", name="cnn.pkl")
    refused(saved["cnn.pt"].with_name("nothing.txt"), "own.error.extension")


def test_a_random_network_does_not_read_digits(digits):
    torch.manual_seed(0)
    with torch.no_grad():
        probs = Net().eval()(digits[0][:1]).exp()
    assert probs.max() < 0.2  # nearly uniform: 10% each


def test_accuracy_on_a_stratified_subset(model, saved):
    x, labels = accuracy_digits()
    assert x.shape == (1000, 1, 28, 28) and torch.bincount(labels).tolist() == [100] * 10
    assert accuracy(model, (x, labels)) >= 0.99
    assert accuracy(model, (x, labels)) == accuracy(model, (x, labels), batch_size=1000)  # batches change nothing
    few = accuracy_digits(per_digit=20)
    assert accuracy(load_own_model(saved["cnn.safetensors"]), few) == accuracy(model, few)
    torch.manual_seed(0)
    assert accuracy(Net(), few) < 0.3


class WritesAFile:
    """A pickle that, if unpickled, would run a shell command."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


class OpensAFile:
    """A pickle that, if unpickled, would create a file through builtins.open."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return open, (str(self.target), "w")


@pytest.mark.parametrize("payload", [WritesAFile, OpensAFile])
@pytest.mark.parametrize("how", ["torch", "torch-legacy", "pickle"])
def test_a_pickle_that_runs_code_is_refused_and_nothing_runs(tmp_path, payload, how):
    target, path = tmp_path / "pwned", tmp_path / "cnn.pt"
    evil = {**Net().state_dict(), "fc2.bias": payload(target)}
    if how == "pickle":
        path.write_bytes(pickle.dumps(evil, protocol=4))
    else:
        torch.save(evil, path, _use_new_zipfile_serialization=how == "torch")
    error = refused(path, "own.error.code")
    assert "run code" in sentence(error) and "ejecutar código" in sentence(error, "es")
    assert not target.exists()


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.trace is deprecated, and still met
@pytest.mark.parametrize("how", ["pickle", "torchscript"])
def test_a_whole_pickled_model_gets_the_state_dict_advice(model, tmp_path, how):
    if how == "pickle":
        torch.save(model, tmp_path / "cnn.pt")
    else:
        torch.jit.save(torch.jit.trace(model, torch.zeros(1, 1, 28, 28)), tmp_path / "cnn.pt")
    error = refused(tmp_path / "cnn.pt", "own.error.full_model")
    assert SAVE_STATE_DICT in sentence(error) and SAVE_STATE_DICT in sentence(error, "es")


def test_missing_and_extra_layers_are_named(tmp_path):
    torch.save(state(**{"fc2.weight": None, "fc2.bias": None, "conv3.weight": torch.zeros(3)}), tmp_path / "a.pt")
    text = sentence(refused(tmp_path / "a.pt", "own.error.layers"))
    assert "Missing: fc2.bias, fc2.weight." in text and "Extra: conv3.weight." in text
    save_file({"<script>": torch.zeros(1)}, str(tmp_path / "b.safetensors"))  # a name from the file, made safe
    assert "?script?" in sentence(refused(tmp_path / "b.safetensors", "own.error.layers"))


@pytest.mark.parametrize("key, shape, error, words", [
    ("fc1.weight", (128, 2304), "own.error.flatten", ["2,304 inputs instead of 3,136", "padding=0", "6 × 6 × 64"]),
    ("fc1.weight", (128, 1600), "own.error.flatten", ["1,600 inputs", "padding=0", "5 × 5 × 64"]),
    ("fc1.weight", (128, 4096), "own.error.flatten", ["padding=2"]),
    ("fc1.weight", (128, 1000), "own.error.inputs", ["1,000 inputs instead of 3,136"]),
    ("conv1.weight", (16, 1, 3, 3), "own.error.filters", ["conv1 has 16 filters instead of 32"]),
    ("conv2.weight", (64, 32, 5, 5), "own.error.kernel",
     ["conv2 has filters of 5 × 5 instead of 3 × 3", "kernel_size=5"]),
    ("conv1.weight", (32, 3, 3, 3), "own.error.channels", ["3 channels"]),
    ("fc2.weight", (5, 128), "own.error.classes", ["5 outputs instead of 10"]),
    ("fc1.weight", (256, 3136), "own.error.units", ["256 units instead of 128"]),
    ("fc2.bias", (10, 1), "own.error.shape", ["fc2.bias", "10 × 1 instead of 10"]),
])
def test_a_layer_of_the_wrong_shape_is_named_with_its_likely_cause(tmp_path, key, shape, error, words):
    torch.save(state(**{key: torch.zeros(shape)}), tmp_path / "cnn.pt")
    text = sentence(refused(tmp_path / "cnn.pt", error))
    assert all(w in text for w in words), text


@pytest.mark.parametrize("value, key", [(float("nan"), "own.error.nan"), (float("inf"), "own.error.nan"),
                                        (None, "own.error.dtype")])
def test_weights_that_are_not_finite_floats_are_refused(tmp_path, value, key):
    bad = torch.zeros(10, dtype=torch.int64) if value is None else torch.full((10,), value)
    torch.save(state(**{"fc2.bias": bad}), tmp_path / "cnn.pt")
    assert "fc2.bias" in sentence(refused(tmp_path / "cnn.pt", key))


def test_a_file_over_5_mb_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "cnn.pt"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no disk used
    assert "5 MB" in sentence(refused(path, "own.error.size"))


def test_a_zip_bomb_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "cnn.pt", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\0" * (MAX_BYTES + 1))
    refused(tmp_path / "cnn.pt", "own.error.size")


def test_files_that_are_not_weights(tmp_path, saved):
    (tmp_path / "empty.pt").write_bytes(b"")
    refused(tmp_path / "empty.pt", "own.error.empty")
    with zipfile.ZipFile(tmp_path / "notes.pt", "w") as z:
        z.writestr("notes.txt", "not a torch file")
    refused(tmp_path / "notes.pt", "own.error.not_weights")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    refused(tmp_path / "list.pt", "own.error.not_weights")
    (tmp_path / "pickle.safetensors").write_bytes(saved["cnn.pt"].read_bytes())
    refused(tmp_path / "pickle.safetensors", "own.error.not_weights")
    (tmp_path / "dir.pt").mkdir()
    refused(tmp_path / "dir.pt", "own.error.no_file")
    refused(tmp_path / "nothing.pt", "own.error.no_file")
    refused("/dev/zero", "own.error.no_file", name="cnn.pt")
    os.mkfifo(tmp_path / "fifo.pt")  # opening it for reading must not wait for a writer
    refused(tmp_path / "fifo.pt", "own.error.no_file")
    (tmp_path / "dangling.pt").symlink_to(tmp_path / "gone.pt")
    refused(tmp_path / "dangling.pt", "own.error.no_file")
    (tmp_path / "link.pt").symlink_to(saved["cnn.pt"])
    assert isinstance(load_own_model(tmp_path / "link.pt"), Net)
    with pytest.raises(InputError):
        load_own_model("/proc/self/mem", "cnn.pt")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pickletools on random bytes
@pytest.mark.parametrize("seed", range(4))
def test_any_bytes_give_an_input_error_and_nothing_else(saved, tmp_path, seed):
    rng = random.Random(seed)
    originals = [saved[f].read_bytes() for f in sorted(saved)]
    for i in range(30):
        good = rng.choice(originals)
        samples = [rng.randbytes(rng.choice([1, 7, 100, 5000])),
                   b"\x80\x02" + rng.randbytes(200),
                   good[:rng.randrange(len(good))]]  # truncated
        flipped = bytearray(good)
        for _ in range(rng.choice([1, 4, 32])):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        for data in samples + [bytes(flipped)]:
            for suffix in (".pt", ".safetensors"):
                path = tmp_path / f"fuzz{suffix}"
                path.write_bytes(data)
                try:
                    assert isinstance(load_own_model(path), Net)  # a flipped byte in a weight may still load
                except InputError as e:
                    assert e.key in EN and e.key in ES


written: list[str] = []
watching = threading.Event()


def record_writes(event: str, args: tuple) -> None:
    """Every file opened for writing, every folder made, while `watching` is set."""
    if not watching.is_set():
        return
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
            written.append(os.fsdecode(args[0]))
    elif event in ("os.mkdir", "os.rename", "shutil.copyfile", "tempfile.mkstemp", "tempfile.mkdtemp"):
        written.append(f"{event} {args[0]}")


sys.addaudithook(record_writes)  # an audit hook cannot be removed, so it idles outside the test


def test_reading_a_file_writes_nothing(saved, model, tmp_path):
    torch.save(model, tmp_path / "full.pt")
    torch.save({"x": WritesAFile(tmp_path / "pwned")}, tmp_path / "evil.pt")
    watching.set()
    try:
        for path in [*saved.values(), tmp_path / "full.pt", tmp_path / "evil.pt"]:
            try:
                load_own_model(path)
            except InputError:
                pass
    finally:
        watching.clear()
    assert written == []


def test_a_legacy_file_claiming_a_huge_tensor_is_refused_before_torch_allocates_it(tmp_path, monkeypatch):
    torch.save({"w": torch.zeros(10)}, tmp_path / "small.pt", _use_new_zipfile_serialization=False)
    data = (tmp_path / "small.pt").read_bytes()
    numel = data.index(b"K\n")  # the storage's numel, 10, as BININT1
    (tmp_path / "huge.pt").write_bytes(data[:numel] + b"\x8a\x05" + (10**11).to_bytes(5, "little") + data[numel + 2:])
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was reached"))
    refused(tmp_path / "huge.pt", "own.error.not_weights")


@pytest.mark.filterwarnings("ignore::UserWarning")  # nested tensors are a prototype
@pytest.mark.parametrize("tensor", [lambda: torch.empty(10, device="meta"), lambda: torch.zeros(10).to_sparse(),
                                    lambda: torch.nested.nested_tensor([torch.zeros(5), torch.zeros(5)])],
                         ids=["meta", "sparse", "nested"])
def test_tensors_that_are_not_plain_weights_are_refused(tmp_path, tensor):
    torch.save(state(**{"fc2.bias": tensor()}), tmp_path / "cnn.pt")
    refused(tmp_path / "cnn.pt", "own.error.not_weights")


@pytest.mark.parametrize("how", ["parameters", "half", "parameters-legacy", "parallel-legacy"])
def test_parameters_half_floats_and_the_legacy_format_read_too(model, tmp_path, digits, how):
    saved = model.state_dict(keep_vars=True) if how.startswith("parameters") else model.state_dict()
    if how == "half":
        saved = {k: v.half() for k, v in saved.items()}
    if how.startswith("parallel"):
        saved = {f"module.{k}": v for k, v in saved.items()}
    if how.startswith("parameters"):
        assert all(type(v) is torch.nn.Parameter for v in saved.values())
    torch.save(saved, tmp_path / "cnn.pt", _use_new_zipfile_serialization=not how.endswith("legacy"))
    with torch.no_grad():
        got, want = load_own_model(tmp_path / "cnn.pt")(digits[0]), model(digits[0])
    assert torch.equal(got.argmax(1), want.argmax(1)) and (torch.equal(got, want) or how == "half")


class Storage:
    """A storage as torch.save names it in a pickle: ("storage", its class, key, location, numel)."""

    def __init__(self, key: str, numel: int, cls=torch.FloatStorage):
        self.key, self.numel, self.cls = key, numel, cls


class Rebuilt:
    """A tensor as torch.save pickles it, with any numbers: _rebuild_tensor_v2(storage, offset, size, stride, False,
    OrderedDict())."""

    def __init__(self, storage: Storage, offset: int, size: tuple, stride: tuple):
        self.args = (storage, offset, tuple(size), tuple(stride), False, OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class TorchPickler(pickle.Pickler):
    """Pickles as torch.save does: protocol 2, storages by persistent id."""

    def persistent_id(self, obj):
        return ("storage", obj.cls, obj.key, "cpu", obj.numel) if isinstance(obj, Storage) else None


def torch_zip(state, records: dict[str, bytes]) -> bytes:
    """A file in torch's zip format: state's pickle beside the storages' records (data/<key>)."""
    pkl = io.BytesIO()
    TorchPickler(pkl, protocol=2).dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", pkl.getvalue())
        for key, data in records.items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def refused_before_torch(path, monkeypatch, key: str = "own.error.not_weights") -> None:
    """path is refused with key by the scan: torch.load is never reached."""
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was reached"))
    refused(path, key)


def test_a_file_written_as_torch_save_writes_it_reads_as_torch_save_s(model, tmp_path, digits):
    state = model.state_dict()
    storages = {k: Storage(str(i), v.numel()) for i, (k, v) in enumerate(state.items())}
    (tmp_path / "cnn.pt").write_bytes(torch_zip(
        OrderedDict((k, Rebuilt(storages[k], 0, v.shape, v.stride())) for k, v in state.items()),
        {storages[k].key: v.numpy().tobytes() for k, v in state.items()}))
    with torch.no_grad():
        assert torch.equal(load_own_model(tmp_path / "cnn.pt")(digits[0]), model(digits[0]))


@pytest.mark.parametrize("numel, record, offset, size, stride", [
    (10, 40, 0, (11,), (1,)),  # the tensor reaches past its storage
    (10, 40, 5, (2, 3), (3, 1)),  # from element 5, (2, 3) ends at 5 + 3 + 2 = element 10 of 0..9
    (10, 40, 11, (0,), (1,)),  # an empty tensor that starts past its storage
    (10, 39, 0, (10,), (1,)),  # the storage's record is a byte short
    (10, None, 0, (10,), (1,)),  # ... or not there at all
    (1, 4, 0, (4_999_999,) * 4, (0,) * 4),  # a view repeating one number 6e26 times: past MAX_ELEMENTS
    (MAX_BYTES + 1, 40, 0, (10,), (1,)),  # a storage larger than any file
    (10, 40, 0, (10,) * 9, (0,) * 9),  # 9 dimensions
    (10, 40, 0, (10,), (1, 1)),  # a stride for a dimension the tensor does not have
    (10, 40, -1, (10,), (1,)),
    (10, 40, 0, (10,), (-1,)),
])
def test_a_tensor_outside_the_bytes_of_its_file_is_refused_before_torch(tmp_path, monkeypatch, numel, record, offset,
                                                                       size, stride):
    storage = Storage("0", numel)
    records = {} if record is None else {"0": bytes(record)}
    (tmp_path / "cnn.pt").write_bytes(torch_zip({"fc2.bias": Rebuilt(storage, offset, size, stride)}, records))
    refused_before_torch(tmp_path / "cnn.pt", monkeypatch)


def test_the_same_numbers_inside_their_storage_are_read(tmp_path):
    """The known answer beside the refusals above: (2, 3) from element 4 ends on the storage's last element."""
    storage = Storage("0", 10)
    (tmp_path / "cnn.pt").write_bytes(torch_zip({"fc2.bias": Rebuilt(storage, 4, (2, 3), (3, 1))},
                                                {"0": torch.arange(10.).numpy().tobytes()}))
    assert "Missing: conv1.bias" in sentence(refused(tmp_path / "cnn.pt", "own.error.layers"))
    (tmp_path / "v.pt").write_bytes(torch_zip({"v": Rebuilt(storage, 4, (2, 3), (3, 1))},
                                              {"0": torch.arange(10.).numpy().tobytes()}))
    assert torch.load(tmp_path / "v.pt", weights_only=True)["v"].tolist() == [[4, 5, 6], [7, 8, 9]]


def test_a_storage_named_twice_with_two_sizes_is_refused(tmp_path, monkeypatch):
    state = {"a": Rebuilt(Storage("0", 2), 0, (2,), (1,)), "b": Rebuilt(Storage("0", 10), 0, (10,), (1,))}
    (tmp_path / "cnn.pt").write_bytes(torch_zip(state, {"0": bytes(40)}))
    refused_before_torch(tmp_path / "cnn.pt", monkeypatch)


@pytest.mark.parametrize("cls", [torch.ComplexFloatStorage, torch.QInt8Storage])
def test_storages_of_no_weights_dtype_are_refused(tmp_path, monkeypatch, cls):
    (tmp_path / "cnn.pt").write_bytes(torch_zip({"fc2.bias": Rebuilt(Storage("0", 10, cls), 0, (10,), (1,))},
                                                {"0": bytes(160)}))
    refused_before_torch(tmp_path / "cnn.pt", monkeypatch)


def test_what_a_state_dict_never_holds_is_refused_before_torch(model, tmp_path, monkeypatch):
    extra = model.state_dict()
    extra.note = "an attribute"  # pickled beside _metadata
    nested = {"fc2": {"bias": torch.zeros(10)}}
    listed = {"fc2.bias": [torch.zeros(10)]}
    many = {f"w{i}": torch.zeros(1) for i in range(MAX_TENSORS + 1)}
    for i, state in enumerate([extra, nested, listed, many, {"x": 3}, [torch.zeros(1)]]):
        torch.save(state, tmp_path / f"{i}.pt")
        refused_before_torch(tmp_path / f"{i}.pt", monkeypatch)


def test_a_legacy_file_whose_storages_are_cut_short_is_refused_before_torch(model, tmp_path, monkeypatch):
    torch.save(model.state_dict(), tmp_path / "cnn.pt", _use_new_zipfile_serialization=False)
    data = (tmp_path / "cnn.pt").read_bytes()
    (tmp_path / "short.pt").write_bytes(data[:-1])
    refused_before_torch(tmp_path / "short.pt", monkeypatch)


def test_a_safetensors_file_of_too_many_tensors_is_refused_before_it_is_read(tmp_path, monkeypatch):
    save_file({f"w{i}": torch.zeros(0) for i in range(MAX_TENSORS + 1)}, str(tmp_path / "many.safetensors"))
    monkeypatch.setattr(own_model, "load_safetensors", lambda *a: pytest.fail("safetensors was reached"))
    refused(tmp_path / "many.safetensors", "own.error.not_weights")
    header = json.dumps({"w": {"dtype": "F32", "shape": [MAX_ELEMENTS + 1], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "big.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + bytes(4))
    refused(tmp_path / "big.safetensors", "own.error.not_weights")

"""The Spanish teaching notebook: valid nbformat 4 with no outputs, the seed's network, and, run on a few hundred
digits, a cnn.pt that the app reads and that reads digits."""
import gzip
import json
import shutil
import uuid
from pathlib import Path

import pytest
import torch
from gradio.utils import get_upload_folder

from web.handlers import Page
from mnist_cnn.data import FILES, SHIPPED_DIR
from mnist_cnn.model import Net
from mnist_cnn.own_model import accuracy, accuracy_digits, load_own_model

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "entrena_tu_cnn.ipynb"
SHARED = Path(__file__).parents[1] / ".." / "shared" / "data" / "mnist"


@pytest.fixture(scope="module")
def notebook() -> dict:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def code_cells(notebook: dict) -> list[str]:
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def test_the_notebook_is_valid_nbformat_4_without_outputs(notebook):
    assert notebook["nbformat"] == 4 and notebook["cells"]
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and isinstance(cell["source"], list) and cell["id"]
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_notebook_defines_the_seed_network_and_tells_where_to_upload(notebook):
    source = "\n".join(code_cells(notebook))
    namespace = {}
    exec(source.split("model = CNN()")[0], namespace)  # imports and the class only: no data, no training
    cnn = namespace["CNN"]()
    assert {k: v.shape for k, v in cnn.state_dict().items()} == {k: v.shape for k, v in Net().state_dict().items()}
    assert 'torch.save(model.state_dict(), "cnn.pt")' in source and "log_softmax(x, dim=1)" in source
    text = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "Tu propia red" in text and "Your own network" in text and "MNIST_LIMIT" in text


def mnist_root(tmp: Path) -> Path:
    """A folder where torchvision's MNIST finds the uncompressed IDX files (<root>/MNIST/raw/) without downloading:
    from the shared MNIST, else the repo's test split standing in for the training split too."""
    raw = tmp / "MNIST" / "raw"
    raw.mkdir(parents=True)
    source = SHARED if (SHARED / "train-images-idx3-ubyte.gz").is_file() else SHIPPED_DIR
    for split, names in FILES.items():
        for name, test_name in zip(names, FILES["test"]):
            found = source / f"{name}.gz"
            with gzip.open(found if found.is_file() else SHIPPED_DIR / f"{test_name}.gz") as f, \
                    open(raw / name, "wb") as out:
                shutil.copyfileobj(f, out)
    return tmp


def test_the_notebook_trains_a_network_the_app_reads(notebook, model, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_ROOT", str(mnist_root(tmp_path / "data")))
    monkeypatch.setenv("MNIST_LIMIT", "2000")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for source in code_cells(notebook):
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    assert len(namespace["entrenamiento"]) == 2000 and 0.5 < namespace["precision"] <= 1
    model = load_own_model(tmp_path / "cnn.pt")
    with torch.no_grad():
        assert torch.equal(model.state_dict()["fc2.bias"], namespace["model"].state_dict()["fc2.bias"])
    assert accuracy(model, accuracy_digits(per_digit=30)) > 0.5  # after 32 steps; chance is 0.1
    upload = Path(get_upload_folder()) / uuid.uuid4().hex  # and through the page's upload, as a learner sends it
    upload.mkdir(parents=True)
    shutil.copy(tmp_path / "cnn.pt", upload)
    out = Page.load(model).own(str(upload / "cnn.pt"), None, None, None, "es")
    assert out["network"].name == "cnn.pt" and "tu red cnn.pt" in out["model-name"]

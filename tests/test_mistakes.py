import json
import shutil

import pytest
import torch

from mnist_cnn.checkpoint import WEIGHTS, metadata_path
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.mistakes import StaleMistakesError, find_mistakes, load_mistakes, save_mistakes


@pytest.fixture(scope="module")
def test_split():
    return load_mnist("test")


def test_shipped_mistakes_belong_to_the_shipped_weights_and_are_all_misread(model, test_split):
    images, labels = test_split
    mistakes = load_mistakes()  # raises if made with other weights
    accuracy = json.loads(metadata_path(WEIGHTS).read_text())["test_accuracy"]
    assert len(mistakes) == round((1 - accuracy) * len(labels))
    index = torch.tensor([m["index"] for m in mistakes])
    with torch.no_grad():
        probs = model(normalise(images[index])).exp()
    for m, p in zip(mistakes, probs):
        assert m["label"] == int(labels[m["index"]]) != m["guess"] == int(p.argmax())
        assert m["confidence"] == pytest.approx(float(p.max()), abs=1e-4)


def test_find_mistakes_finds_exactly_the_misread_digits(model, test_split):
    images, labels = test_split
    known = [m["index"] for m in load_mistakes()[:3]]
    subset = torch.tensor(known + list(range(200)))
    found = find_mistakes(model, images[subset], labels[subset])
    with torch.no_grad():
        wrong = (model(normalise(images[subset])).argmax(1) != labels[subset]).nonzero().flatten().tolist()
    assert [m["index"] for m in found] == wrong
    assert {0, 1, 2} <= set(wrong)  # the three known mistakes, at the front of the subset


def test_mistakes_made_with_other_weights_are_refused(tmp_path):
    other = tmp_path / "other.safetensors"
    shutil.copy(WEIGHTS, other)
    path = tmp_path / "mistakes.json"
    save_mistakes([{"index": 1, "label": 2, "guess": 3, "confidence": 0.5}], other, path)
    assert load_mistakes(path, other)[0]["guess"] == 3
    other.write_bytes(other.read_bytes() + b"\0")  # new weights: the old list no longer describes them
    with pytest.raises(StaleMistakesError, match="other weights"):
        load_mistakes(path, other)
    with pytest.raises(StaleMistakesError, match="no list"):
        load_mistakes(tmp_path / "missing.json", other)

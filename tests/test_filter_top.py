import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_cnn.checkpoint import WEIGHTS
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.filter_top import (
    LAYERS,
    StaleFilterTopError,
    find_top,
    layer_steps,
    load_filter_top,
    receptive_field,
    save_filter_top,
    top_patches,
)
from mnist_cnn.pipeline import activations
from web.render_experiments import filter_top_html, filter_top_picture


@pytest.fixture(scope="module")
def images():
    return load_mnist("test")[0]


@pytest.fixture(scope="module")
def record():
    return load_filter_top()  # raises if made with other weights than the shipped ones


def test_receptive_fields_are_3_and_8(model):
    assert receptive_field(layer_steps(model, "conv1")) == (3, 1, -1)  # unit i sees input pixels i−1 .. i+1
    assert receptive_field(layer_steps(model, "conv2")) == (8, 2, -3)  # unit i sees input pixels 2i−3 .. 2i+4


def test_shipped_file_has_a_dozen_distinct_digits_per_channel_strongest_first(model, record):
    assert record["digits"] == 10_000
    for layer in LAYERS:
        assert len(record[layer]) == getattr(model, layer).out_channels
        for rows in record[layer]:
            assert len(rows) == 12 and len({r["index"] for r in rows}) == 12
            values = [r["activation"] for r in rows]
            assert values == sorted(values, reverse=True) and values[-1] > 0


@pytest.mark.parametrize("layer, channel", [("conv1", 0), ("conv1", 31), ("conv2", 5), ("conv2", 63)])
def test_each_stored_patch_has_its_stored_activation(model, record, images, layer, channel):
    rows = record[layer][channel]
    acts = [activations(model, normalise(images[r["index"]][None]))[layer + "_relu"][channel] for r in rows[:4]]
    for r, a in zip(rows, acts):
        assert float(a[r["row"], r["col"]]) == pytest.approx(r["activation"], abs=1e-4)
        assert float(a.max()) == pytest.approx(r["activation"], abs=1e-4)  # its strongest position


def test_the_cropped_pixels_alone_give_the_activation(model, record, images):
    """Inside the digit (no padding involved), the filter run on the crop alone gives the stored value."""
    checked = 0
    for layer in LAYERS:
        size, jump, offset = receptive_field(layer_steps(model, layer))
        for channel in range(0, len(record[layer]), 7):
            for r, crop in zip(record[layer][channel], top_patches(record, images, layer, channel)):
                if min(r["row"], r["col"]) * jump + offset < 0 or max(r["row"], r["col"]) * jump + offset + size > 28:
                    continue
                x = normalise(torch.from_numpy(crop)[None])
                with torch.no_grad():
                    y = F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias))
                    if layer == "conv2":
                        y = F.relu(F.conv2d(model.pool(y), model.conv2.weight, model.conv2.bias))
                assert y.shape[-2:] == (1, 1)
                assert float(y[0, channel, 0, 0]) == pytest.approx(r["activation"], abs=1e-4)
                checked += 1
    assert checked > 50


def test_lookup_and_picture(record, images):
    patches = top_patches(record, images, "conv2", 3)
    assert len(patches) == 12 and all(p.shape == (8, 8) and p.dtype == np.uint8 for p in patches)
    picture = filter_top_picture(patches)
    assert picture.size == (2 * 8 + 6 * 48 + 5 * 4, 2 * 8 + 2 * 48 + 4)  # 6 × 2 patches of 48 px, 4 px apart
    assert all(p.shape == (3, 3) for p in top_patches(record, images.numpy(), "conv1", 0))
    for bad in (("conv3", 0), ("conv1", 32), ("conv2", -1), ("conv2", True), ("conv2", 1.0)):
        with pytest.raises(ValueError):
            top_patches(record, images, *bad)


def test_caption_in_both_languages(record):
    en, es = filter_top_html(record, "conv2", 3, "en"), filter_top_html(record, "conv2", 3, "es")
    assert "8 × 8" in en and "10,000" in en and "10\u00a0000" in es
    high = f"{record['conv2'][3][0]['activation']:.2f}"
    assert high in en and high.replace(".", ",") in es


def test_a_file_made_with_other_weights_is_refused(model, images, tmp_path):
    other = tmp_path / "other.safetensors"
    shutil.copy(WEIGHTS, other)
    path = tmp_path / "filter_top.json"
    save_filter_top(find_top(model, images[:40], top=3), model, 40, other, path)
    record = load_filter_top(path, other)
    assert record["digits"] == 40 and len(record["conv2"][0]) == 3
    other.write_bytes(other.read_bytes() + b"\0")  # new weights: the old file no longer describes them
    with pytest.raises(StaleFilterTopError, match="other weights"):
        load_filter_top(path, other)
    with pytest.raises(StaleFilterTopError, match="no list"):
        load_filter_top(tmp_path / "missing.json", other)

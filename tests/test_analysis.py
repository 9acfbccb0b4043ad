import numpy as np
import pytest
import torch

from mnist_cnn.analysis import BLANK, kernel_detail, saliency, softmax_steps
from mnist_cnn.data import load_mnist, normalise


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test")
    return normalise(images[:3]), labels[:3]


def forward(model, x):
    with torch.no_grad():
        return model(x, return_activations=True)


@pytest.mark.parametrize("layer, channels", [("conv1", (0, 7, 19, 31)), ("conv2", (0, 21, 40, 63))])
def test_worked_convolution_equals_the_activation_shown(model, digits, layer, channels):
    for i in range(len(digits[0])):
        x = digits[0][i:i + 1]
        _, acts = forward(model, x)
        for c in channels:
            d = kernel_detail(model, x, layer, c)
            shown = acts[layer + "_relu"][0, c]
            assert (d["row"], d["col"]) == divmod(int(acts[layer][0, c].argmax()), shown.shape[1])
            assert d["value"] == pytest.approx(float(shown.max()), abs=1e-4)  # the map's most active pixel
            assert d["value"] == pytest.approx(float(shown[d["row"], d["col"]]), abs=1e-4)
            # the numbers shown add up: products -> sum -> + bias -> ReLU
            assert np.allclose(d["products"], d["weights"] * d["patch"])
            assert d["sum"] == pytest.approx(d["products"].sum())
            assert d["value"] == pytest.approx(max(d["sum"] + d["bias"], 0.0))
            assert np.array_equal(d["weights"], getattr(model, layer).weight[c].detach().double().numpy())


def test_conv2_sums_over_32_input_channels(model, digits):
    x = digits[0][:1]
    d = kernel_detail(model, x, "conv2", 5)
    assert d["in_channels"] == 32 and d["weights"].shape == d["patch"].shape == (32, 3, 3)
    assert d["partial_sums"].sum() == pytest.approx(d["sum"])
    assert d["top_channel"] == int(np.argmax(d["partial_sums"]))
    _, acts = forward(model, x)
    r, c = d["row"], d["col"]
    pool1 = acts["pool1"][0].double().numpy()  # the patch is read from pool1, the output of the first block
    assert np.allclose(d["patch"][:, 1, 1], pool1[:, r, c])


def test_patch_at_the_border_holds_the_padding_zeros(model):
    x = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    on_border = []
    for layer, n in (("conv1", 32), ("conv2", 64)):
        for c in range(n):
            d = kernel_detail(model, x, layer, c)
            side = d["map"].shape[0]
            if d["row"] in (0, side - 1) or d["col"] in (0, side - 1):
                on_border.append(d)
    assert on_border, "no map of this random input peaks at its border"
    for d in on_border:
        side = d["map"].shape[0]
        if d["row"] == 0:
            assert not d["patch"][:, 0].any()
        if d["col"] == side - 1:
            assert not d["patch"][:, :, 2].any()
        assert d["value"] == pytest.approx(d["activation"], abs=1e-4)


def test_kernel_detail_refuses_unknown_layers_and_channels(model, digits):
    x = digits[0][:1]
    with pytest.raises(ValueError):
        kernel_detail(model, x, "fc1", 0)
    with pytest.raises(ValueError):
        kernel_detail(model, x, "conv1", 32)


def test_saliency_is_for_the_predicted_class_and_leaves_no_state(model, digits):
    x = digits[0][:1]
    before = x.clone()
    with torch.no_grad():  # the app may call it inside no_grad; it must still work
        s = saliency(model, x)
        logits = forward(model, x)[1]["logits"][0]
    assert s["target"] == int(logits.argmax())
    assert s["score"] == pytest.approx(float(logits[s["target"]]), abs=1e-5)
    assert s["map"].shape == (28, 28)
    assert torch.equal(x, before) and not x.requires_grad
    assert all(p.grad is None for p in model.parameters())
    other = saliency(model, x, target=(s["target"] + 1) % 10)
    assert other["target"] == (s["target"] + 1) % 10
    assert not np.allclose(other["map"], s["map"])


def test_blank_pixels_get_no_saliency(model, digits):
    x = digits[0][:1]
    s = saliency(model, x)
    blank = (x[0, 0] == BLANK).numpy()
    assert blank.any() and not s["map"][blank].any()
    assert s["map"][~blank].any()


def test_removing_the_pixels_that_pushed_up_lowers_the_score(model, digits):
    for i in range(len(digits[0])):
        x = digits[0][i:i + 1]
        s = saliency(model, x)
        top = torch.from_numpy(s["map"]).flatten().topk(20).indices
        occluded = x.clone().view(-1)
        occluded[top] = BLANK
        after = forward(model, occluded.view(1, 1, 28, 28))[1]["logits"][0, s["target"]]
        assert float(after) < s["score"] - 0.5


def test_softmax_steps_match_the_models_log_softmax(model, digits):
    log_probs, acts = forward(model, digits[0][:1])
    steps = softmax_steps(acts["logits"])
    assert steps["probs"].sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(steps["log_probs"], log_probs[0].double().numpy(), atol=1e-5)
    assert np.allclose(np.exp(steps["log_probs"]), steps["probs"])
    assert steps["shifted"].max() == 0 and steps["exp"].max() == 1
    assert steps["sum"] == pytest.approx(steps["exp"].sum())


def test_softmax_steps_do_not_overflow_on_large_logits():
    steps = softmax_steps(torch.tensor([[1000.0, 999.0] + [0.0] * 8]))
    assert np.isfinite(steps["probs"]).all()
    assert steps["probs"][0] == pytest.approx(1 / (1 + np.exp(-1)))

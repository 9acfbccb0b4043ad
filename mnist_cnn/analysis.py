"""One drawing looked at closely: a filter's convolution worked out at one pixel, which input pixels mattered
(gradient × input), and the softmax worked out step by step. Every number comes from the model's own forward pass.
"""
import numpy as np
import torch
import torch.nn.functional as F

from .data import normalise
from .pipeline import activations

CONV_INPUTS = {"conv1": None, "conv2": "pool1"}  # conv1 reads the network's input, conv2 reads pool1
BLANK = float(normalise(torch.zeros(1, 1, 1)))  # a pixel with no ink, normalised in float32 as the inputs are


def kernel_detail(model: torch.nn.Module, x: torch.Tensor, layer: str, channel: int,
                  acts: dict | None = None) -> dict:
    """One filter of conv1 or conv2 worked out by hand at its map's most active pixel, checked against the model.

    x: the input (1, 1, 28, 28); acts: its activations without the batch dimension (pipeline.activations), if at
    hand, else the forward pass runs again."""
    if layer not in CONV_INPUTS:
        raise ValueError(f"layer must be one of {sorted(CONV_INPUTS)}, not {layer!r}")
    conv = getattr(model, layer)
    if not 0 <= channel < conv.out_channels:
        raise ValueError(f"{layer} has {conv.out_channels} channels; channel {channel} does not exist")
    if acts is None:
        acts = activations(model, x)
    source = x[0] if CONV_INPUTS[layer] is None else acts[CONV_INPUTS[layer]]
    inputs = source.detach().double()  # (C_in, H, W)
    pre_map = acts[layer][channel].detach()  # (H, W) before ReLU
    # The largest pre-ReLU value is also the largest after ReLU; on a map that ReLU zeroes entirely it is still
    # the pixel that came closest to firing, which says more than an arbitrary zero.
    row, col = divmod(int(pre_map.argmax()), pre_map.shape[1])
    pad = conv.padding[0]
    padded = F.pad(inputs, (pad, pad, pad, pad))  # the zeros conv pads with, in normalised units
    k = conv.kernel_size[0]
    patch = padded[:, row:row + k, col:col + k]  # (C_in, 3, 3); output (row, col) sees input rows row-1..row+1
    weights = conv.weight[channel].detach().double()  # (C_in, 3, 3)
    bias = float(conv.bias[channel].detach())
    products = weights * patch
    partial = products.sum(dim=(1, 2))  # (C_in,): what each input channel adds
    total = float(partial.sum())
    value = max(total + bias, 0.0)
    shown = float(acts[layer + "_relu"][channel, row, col])
    assert abs(value - shown) <= 1e-4 + 1e-5 * abs(shown), f"worked {value} != model {shown}"
    top = int(partial.argmax())
    return {
        "layer": layer, "channel": channel, "row": row, "col": col,
        "in_channels": conv.in_channels, "padding": pad,
        "weights": weights.numpy(), "bias": bias, "patch": patch.numpy(), "products": products.numpy(),
        "partial_sums": partial.numpy(), "top_channel": top,
        "sum": total, "pre_relu": total + bias, "value": value, "activation": shown,
        "input_plane": inputs[0 if layer == "conv1" else top].numpy(),  # (H, W) the input the picture shows
        "map": acts[layer + "_relu"][channel].detach().double().numpy(),  # (H, W) the map after ReLU
    }


def saliency(model: torch.nn.Module, x: torch.Tensor, target: int | None = None) -> dict:
    """Gradient × input for one class (default: the predicted one): a signed (28, 28) map of each pixel's push."""
    with torch.inference_mode(False), torch.enable_grad():
        # A leaf of our own: the caller's tensor stays as it was, and autograd.grad fills no parameter's .grad
        x = x.detach().clone().requires_grad_(True)
        logits = model(x, return_activations=True)[1]["logits"][0]  # (10,)
        if target is None:
            target = int(logits.argmax())
        (grad,) = torch.autograd.grad(logits[target], x)
    # Normalised blank paper is -MEAN/STD, not 0, so plain gradient × x would light up every empty pixel
    # (their x is -0.42, their gradient is not 0). Measured from blank paper instead, a pixel without ink
    # contributes nothing: the map shows where this drawing's ink raised or lowered the class's score.
    contrib = (grad * (x.detach() - BLANK))[0, 0]  # (28, 28)
    return {
        "target": target, "map": contrib.double().numpy(),
        "score": float(logits[target].detach()),
    }


def softmax_steps(logits: torch.Tensor) -> dict:
    """The softmax of 10 logits worked out: shift by the max, exponentials, their sum, probabilities, log-probs."""
    z = logits.detach().double().reshape(-1)  # (10,)
    top = float(z.max())
    shifted = z - top  # exp of the largest is now exp(0) = 1, so nothing overflows; the ratios do not change
    exps = shifted.exp()
    total = float(exps.sum())
    return {
        "logits": z.numpy(), "max": top, "shifted": shifted.numpy(), "exp": exps.numpy(), "sum": total,
        "probs": (exps / total).numpy(), "log_probs": (shifted - np.log(total)).numpy(),
    }

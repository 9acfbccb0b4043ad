"""What each filter looks for: the MNIST test digits' patches that excite each conv1 and conv2 channel most.

Found once per weights file (`python -m mnist_cnn.filter_top`) and kept beside the weights as a small json tied to
them by their SHA-256, as mistakes.json is: per channel, each patch's digit index, its map position and activation.
The pixels are cropped from the shipped test split when shown, to the filter's receptive field.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .checkpoint import WEIGHTS, load_model, load_tied, sha256
from .data import load_mnist, normalise

FILTER_TOP = WEIGHTS.with_name("filter_top.json")
FIX = "make it again with `python -m mnist_cnn.filter_top`"
LAYERS = ("conv1", "conv2")
TOP = 12  # patches per channel, one per digit at most


class StaleFilterTopError(ValueError):
    """The filter_top file is missing or was made with other weights; str() is one sentence with the fix."""


def layer_steps(model: torch.nn.Module, layer: str) -> list[tuple[int, int, int]]:
    """(kernel, stride, padding) of each step from the input to layer's output: conv1, or conv1, pool, conv2."""
    def step(m) -> tuple[int, int, int]:
        k, s, p = (v if isinstance(v, int) else v[0] for v in (m.kernel_size, m.stride, m.padding))
        return k, s, p
    modules = {"conv1": [model.conv1], "conv2": [model.conv1, model.pool, model.conv2]}[layer]
    return [step(m) for m in modules]


def receptive_field(steps: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """(size, jump, offset) after these steps: map unit i sees input pixels i·jump + offset onward, size of them."""
    size, jump, offset = 1, 1, 0
    for k, s, p in steps:
        offset -= p * jump
        size += (k - 1) * jump
        jump *= s
    return size, jump, offset


@torch.no_grad()
def find_top(model: torch.nn.Module, images: torch.Tensor, top: int = TOP, batch: int = 500) -> dict:
    """Per conv1 and conv2 channel, the top digits by their strongest unit after ReLU, each at that position."""
    # {layer: [[{"index", "row", "col", "activation"}, ...] per channel]}
    best = {layer: [] for layer in LAYERS}  # per batch: (values (n, C), flat positions (n, C))
    for start in tqdm(range(0, len(images), batch), desc="test digits", unit="batch"):
        _, acts = model(normalise(images[start:start + batch]), return_activations=True)
        for layer in LAYERS:
            best[layer].append(acts[layer + "_relu"].flatten(2).max(2))
    out = {}
    for layer in LAYERS:
        values = torch.cat([b.values for b in best[layer]]).numpy()  # (N, C)
        where = torch.cat([b.indices for b in best[layer]]).numpy()
        side = model(normalise(images[:1]), return_activations=True)[1][layer].shape[-1]
        out[layer] = []
        for c in range(values.shape[1]):
            order = np.argsort(-values[:, c], kind="stable")[:top]  # ties: the earlier digit first
            out[layer].append([{"index": int(i), "row": int(where[i, c] // side), "col": int(where[i, c] % side),
                                "activation": round(float(values[i, c]), 5)} for i in order])
    return out


def save_filter_top(found: dict, model: torch.nn.Module, digits: int, weights: Path = WEIGHTS,
                    path: Path = FILTER_TOP) -> None:
    """Write the top patches with the SHA-256 of the weights that found them, one channel a line."""
    head = {"weights_sha256": sha256(weights), "split": "test", "digits": digits,
            "field": {layer: receptive_field(layer_steps(model, layer)) for layer in LAYERS}}  # size, jump, offset
    layers = ",\n".join(f'"{layer}": [\n' + ",\n".join("  " + json.dumps(ch) for ch in found[layer]) + "\n]"
                        for layer in LAYERS)
    Path(path).write_text(f"{json.dumps(head)[:-1]},\n{layers}}}\n")


def load_filter_top(path: Path = FILTER_TOP, weights: Path = WEIGHTS) -> dict:
    """The saved top patches of these weights; StaleFilterTopError if the file is missing or for other weights."""
    return load_tied(path, weights, StaleFilterTopError, "list of the patches that excite each filter", FIX)


def stored(record: dict, layer: str, channel: int) -> list[dict]:
    """The stored rows of one channel; ValueError for a layer or channel that is not there."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {list(LAYERS)}, not {layer!r}")
    channels = record[layer]
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < len(channels):
        raise ValueError(f"{layer} has {len(channels)} channels; channel {channel!r} does not exist")
    return channels[int(channel)]


def top_patches(record: dict, images, layer: str, channel: int) -> list[np.ndarray]:
    """One channel's stored top patches cropped from images (uint8 (N, 28, 28)) to its receptive field."""
    # uint8 size×size each; blank paper (0) where the field reaches past the digit's edge
    rows = stored(record, layer, channel)
    size, jump, offset = record["field"][layer]
    images = np.asarray(images)
    out = []
    for row in rows:
        canvas = np.zeros((28 + 2 * size, 28 + 2 * size), dtype=np.uint8)  # room for a field past any edge
        canvas[size:size + 28, size:size + 28] = images[row["index"]]
        r, c = size + row["row"] * jump + offset, size + row["col"] * jump + offset
        out.append(canvas[r:r + size, c:c + size].copy())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="safetensors weights to look into")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with the IDX test files (default: shipped)")
    parser.add_argument("--top", type=int, default=TOP, help="patches per channel (9 to 16 fit the page)")
    parser.add_argument("--out", type=Path, default=FILTER_TOP, help="json to write")
    args = parser.parse_args()
    images, _ = load_mnist("test", args.data_dir)
    model = load_model(args.weights)
    save_filter_top(find_top(model, images, args.top), model, len(images), args.weights, args.out)
    print(f"top {args.top} patches of {sum(getattr(model, layer).out_channels for layer in LAYERS)} channels "
          f"in {len(images)} test digits; written to {args.out}")


if __name__ == "__main__":
    main()

import io

import numpy as np
import pytest
from PIL import Image

from mnist_cnn.data import load_mnist
from mnist_cnn.model import STAGES
from mnist_cnn.pipeline import read_digit
from web import render

BLACK = (0, 0, 0)


@pytest.fixture(scope="module")
def reading(model):
    images, _ = load_mnist("test")
    return read_digit(model, Image.fromarray(255 - images[0].numpy()))  # black on white, like a drawing


def rgb(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("RGB"))


def cell(pixels: np.ndarray, grid: render.Grid, channel: int) -> np.ndarray:
    """The map part of a channel's cell (without conv1's filter)."""
    x, y = grid.origin(channel)
    w, h = grid.cell
    return pixels[y:y + h, x + grid.lead:x + w]


def colour(value: float, vmax: float) -> tuple:
    """The RGB colour the pictures give a value on the scale -vmax..vmax."""
    i = int(render.levels(np.array([value]), vmax)[0])
    return tuple(render.VALUES[3 * i:3 * i + 3])


def test_panels_gives_every_picture_small_and_encodable(model, reading):
    pictures = render.panels(reading.prepared, reading.activations, model)
    assert tuple(pictures) == render.PANELS
    stages = [render.GRIDS[p].stage for p in render.PANELS if p in render.GRIDS] + ["fc1_relu", "logits"]
    assert stages == sorted(stages, key=STAGES.index)  # the panels follow the data through the network
    for key, im in pictures.items():
        assert 300 <= im.width <= 800 and 120 <= im.height <= 450, (key, im.size)
        buffer = io.BytesIO()
        im.save(buffer, "PNG")
        assert len(buffer.getvalue()) < 40_000, key  # a palette PNG of flat colours stays small
        assert np.array_equal(rgb(Image.open(buffer)), rgb(im))


@pytest.mark.parametrize("panel", ["act-conv1", "act-pool1", "act-conv2", "act-pool2"])
def test_maps_share_one_scale_and_a_silent_channel_is_black(model, reading, panel):
    grid = render.GRIDS[panel]
    acts = dict(reading.activations)
    maps = acts[grid.stage].clone()
    top = int(maps.flatten(1).max(1).values.argmax())  # the channel holding the layer's largest value
    silent = (top + 1) % grid.channels
    maps[silent] = 0
    acts[grid.stage] = maps
    pixels = rgb(render.panels(reading.prepared, acts, model)[panel])
    assert (cell(pixels, grid, silent) == BLACK).all()
    vmax = float(maps.max())
    brightest = colour(vmax, vmax)
    assert brightest == render.WARM[-1]  # the layer's largest value gets the top of the scale
    assert (cell(pixels, grid, top) == brightest).all(-1).any()
    # each map pixel, upscaled without blur, has the colour of its value on the layer's scale
    c, (i, j) = top, divmod(int(maps[top].argmax()), grid.side)
    y, x = i * grid.scale, j * grid.scale
    assert (cell(pixels, grid, c)[y:y + grid.scale, x:x + grid.scale] == brightest).all()
    other = next(k for k in range(grid.channels) if k not in (top, silent) and 0 < maps[k].max() < vmax)
    i, j = divmod(int(maps[other].argmax()), grid.side)
    assert tuple(cell(pixels, grid, other)[i * grid.scale, j * grid.scale]) == colour(float(maps[other].max()), vmax)


def test_conv1_filters_sit_left_of_their_maps_in_diverging_colours(model, reading):
    pixels = rgb(render.panels(reading.prepared, reading.activations, model)["act-conv1"])
    grid = render.GRIDS["act-conv1"]
    w = model.conv1.weight.detach().numpy()[:, 0]
    wmax = float(np.abs(w).max())
    for c in (0, 9, 31):
        x, y = grid.origin(c)
        top = y + (grid.cell[1] - 3 * render.FILTER_SCALE) // 2
        for i, j in ((0, 0), (1, 2), (2, 1)):
            shown = tuple(pixels[top + i * render.FILTER_SCALE + 2, x + j * render.FILTER_SCALE + 2])
            assert shown == colour(w[c, i, j], wmax)
            warm, cold = shown[0] > shown[2], shown[2] > shown[0]
            assert (warm, cold) == (w[c, i, j] > 0, w[c, i, j] < 0)


def test_most_active_fc1_units_are_framed(model, reading):
    pixels = rgb(render.panels(reading.prepared, reading.activations, model)["act-fc1"])
    units = reading.activations["fc1_relu"].numpy()
    mark = tuple(render.PAGE[render.MARK])
    order = np.argsort(-units)
    for unit, framed in ((order[0], True), (order[render.TOP_UNITS - 1], True), (order[-1], False)):
        x, y = render.UNITS.origin(int(unit))
        assert (tuple(pixels[y - 1, x + 5]) == mark) == framed
        assert (tuple(pixels[y + 5, x - 1]) == mark) == framed
    # and the units' own colours follow the shared scale
    x, y = render.UNITS.origin(int(order[0]))
    assert tuple(pixels[y + 5, x + 5]) == colour(units.max(), units.max())
    x, y = render.UNITS.origin(int(order[-1]))
    assert tuple(pixels[y + 5, x + 5]) == BLACK == colour(units.min(), units.max())


def test_output_bars_follow_the_probabilities(model, reading):
    pixels = rgb(render.panels(reading.prepared, reading.activations, model)["act-output"])
    probs = reading.probs.numpy()
    warm = tuple(render.VALUES[3 * render.POSITIVE:3 * render.POSITIVE + 3])
    heights = (pixels == warm).all(-1).sum(0)  # warm pixels per column: logit bars on the left, probabilities right
    right = heights[pixels.shape[1] // 2:]
    columns = np.nonzero(right)[0]
    bars = np.split(columns, np.nonzero(np.diff(columns) > 1)[0] + 1)
    assert len(bars) == 10
    tallest = [int(right[b].max()) for b in bars]
    assert int(np.argmax(tallest)) == int(np.argmax(probs))
    assert tallest[int(np.argmax(probs))] == pytest.approx(110 * probs.max() + 1, abs=1)


def test_input_steps_show_what_the_network_sees(model, reading):
    pixels = np.asarray(render.panels(reading.prepared, reading.activations, model)["input28"].convert("L"))
    s = render.STEP // 28
    x3, top = render.PAD + 2 * (render.STEP + 30), render.PAD + 20
    tile = pixels[top + 1:top + render.STEP:s, x3 + 1:x3 + render.STEP:s].astype(int)  # one pixel per input pixel
    centred = reading.prepared.centred28.astype(int)
    inside = np.ones_like(centred, dtype=bool)
    ys, xs = np.nonzero(centred)
    inside[ys.min() - 1:ys.max() + 2, xs.min() - 1:xs.max() + 2] = False  # away from the marks drawn over it
    inside[10:18, 10:18] = False
    assert np.abs(tile - centred)[inside].max() <= 1  # 240 greys: at most one level off


def test_each_maps_button_covers_exactly_the_pixels_of_its_map(model, reading):
    """A map lit alone lights pixels only inside its own cell, where the page puts its button (views.maps_html)."""
    acts = dict(reading.activations)
    maps = acts["conv2_relu"] * 0
    maps[37, 5:9, 5:9] = 1.0  # only channel 37 lights up
    acts["conv2_relu"] = maps
    pixels = rgb(render.panels(reading.prepared, acts, model)["act-conv2"])
    lit = (pixels != BLACK).any(-1) & (pixels != (255, 255, 255)).any(-1)
    grid = render.GRIDS["act-conv2"]
    lit[render.PAD + grid.size[1]:] = False  # below the grid: the colour bar
    ys, xs = np.nonzero(lit)
    (x0, y0), (w, h) = grid.origin(37), grid.cell
    assert len(xs) and (xs >= x0).all() and (xs < x0 + w).all() and (ys >= y0).all() and (ys < y0 + h).all()
    assert (x0 + w + grid.gap, y0) == grid.origin(38)  # cells never overlap


def framed_channels(im: Image.Image, grid: render.Grid) -> list[int]:
    """The channels whose cell has the MARK colour all along the 2-px ring just outside it."""
    index = np.asarray(im)  # palette indices
    (w, h), found = grid.cell, []
    for c in range(grid.channels):
        x, y = grid.origin(c)
        ring = np.concatenate([index[y - 2, x - 2:x + w + 2], index[y + h + 1, x - 2:x + w + 2],
                               index[y - 2:y + h + 2, x - 2], index[y - 2:y + h + 2, x + w + 1]])
        if (ring == render.MARK).all():
            found.append(c)
    return found


def test_the_chosen_map_and_only_it_is_framed(model, reading):
    pictures = render.panels(reading.prepared, reading.activations, model, ("conv2", 13))
    assert framed_channels(pictures["act-conv2"], render.GRIDS["act-conv2"]) == [13]
    for panel in ("act-conv1", "act-pool1", "act-pool2"):  # pool2 has 64 maps too, but is not conv2
        assert framed_channels(pictures[panel], render.GRIDS[panel]) == []
        assert not (np.asarray(pictures[panel]) == render.MARK).any()
    unmarked = render.panels(reading.prepared, reading.activations, model)["act-conv2"]
    assert not (np.asarray(unmarked) == render.MARK).any()


def test_the_logits_scale_keeps_its_minus_sign_inside_the_picture():
    logits = np.array([-0.872, 1.5, -3.25, 4.98, 0.1, 0, -1, -2, 0.3, 0.2], dtype=np.float32)
    probs = np.exp(logits) / np.exp(logits).sum()
    pixels = np.asarray(render.output_picture(logits, probs, "es"))
    lowest = render.width("−3,25")  # the widest label, written right-aligned at the chart's left
    column = pixels[:, render.PAD:render.PAD + lowest]
    assert (column == render.MUTED).any()  # the label starts inside the margin: its minus sign is drawn
    assert not (pixels[:, :render.PAD] == render.MUTED).any()  # and nothing falls past the left edge


def test_the_decimal_comma_and_point_read_apart():
    comma, point = render.GLYPHS[","], render.GLYPHS["."]
    assert comma.sum() >= 5 and point.sum() >= 4 and not np.array_equal(comma, point)
    below = np.nonzero(comma.any(1))[0].max()
    assert below > np.nonzero(point.any(1))[0].max()  # the comma's tail goes below the baseline


def test_a_moved_or_erased_input_is_not_called_the_prepared_digit(reading):
    from dataclasses import replace
    assert render.unmoved(reading.prepared)
    shifted = np.roll(reading.prepared.centred28, 3, axis=1)
    assert not render.unmoved(replace(reading.prepared, centred28=shifted))
    erased = replace(reading.prepared, centred28=np.zeros((28, 28), dtype=np.uint8))
    assert render.steps_picture(erased).size == render.steps_picture(reading.prepared).size  # no ink: still drawn

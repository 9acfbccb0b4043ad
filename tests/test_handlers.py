"""The experiments, a visitor's own network and the training moments, as the page's events run them: known answers,
bad values that change nothing, and sessions that never share a network."""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import torch
from gradio.utils import get_upload_folder

from harness import call, event_inputs, events, pad_data
from mnist_cnn.model import Net
from mnist_cnn.strokes import draw_strokes
from web import plots, text, views
from web.handlers import NEUTRAL, Network
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


@pytest.fixture(scope="module")
def seven(page) -> dict:
    """The page's outputs for a drawn 7."""
    return page.drawn(data_url(draw_strokes(SEVEN)), None, None, "en")


def saved(state: dict, name: str) -> str:
    """A state_dict saved with torch.save where Gradio puts uploads, as the notebook's file would arrive."""
    folder = Path(get_upload_folder()) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    torch.save(state, folder / name)
    return str(folder / name)


def moment_x(chart: str) -> float:
    """Where the loss chart's dashed line (the moment shown) stands, in the chart's units."""
    (line,) = re.findall(r'<polyline points="([^"]+)"[^>]*stroke-dasharray', chart)
    (x,) = {float(point.split(",")[0]) for point in line.split()}  # upright: one x
    return x


def top(out: dict) -> str:
    return max(out["prediction"], key=out["prediction"].get)


def test_the_sandbox_fills_in_the_formula_and_the_chain_for_the_chosen_padding(page, seven):
    seed = page.sandbox(seven["current"], 1, 1, 2, None, "en")["sandbox"]
    assert "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28" in seed and "3,136" in seed and "RuntimeError" not in seed
    nopad = page.sandbox(seven["current"], 0, 1, 2, None, "es")["sandbox"]
    assert "⌊(28 + 2·0 − 3)/1⌋ + 1 = 26" in nopad and "2304" in nopad
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2304 and 3136x128)" in nopad  # PyTorch's own


@pytest.mark.parametrize("bad", [4, -1, 1.5, "1", None, True, float("nan"), [1]])
def test_a_bad_sandbox_value_changes_nothing(page, seven, bad):
    assert page.sandbox(seven["current"], bad, 1, 2, None, "en") == {}
    assert page.sandbox(seven["current"], 1, bad, 2, None, "en") == {}


def test_the_experiments_follow_each_reading(page, seven):
    out = page.experiments(seven["current"], None, 1, 1, 2, 8, 1, 0, None, "es")
    curve = re.findall(r'<polyline points="([^"]+)"', out["shift-curve"])  # the page's own SVG chart
    assert [len(line.split()) for line in curve] == [17, 17]  # 17 points a direction
    assert "<img" in out["occlusion"] and "<img" in out["sandbox"] and "%" in out["shift-text"]
    loss = re.findall(r'<polyline points="([^"]+)"', out["loss-curve"])
    assert "<img" in out["learning"] and len(loss[0].split()) > 100 and len(loss[1].split()) == 2
    assert page.experiments(None, None, 1, 1, 2, 8, 1, 0, None, "en")["sandbox"] == ""


def test_moving_the_drawing_is_read_again_with_every_panel(page, seven):
    moved = page.what_if(seven["original"], 3, 0, 0, 1, 0, None, None, "en")
    assert set(views.READING) <= set(moved) and not set(NEUTRAL) & set(moved)  # the sliders stay where they are
    shifted = moved["current"].tensor
    assert torch.allclose(shifted[..., :, 3:], seven["current"].tensor[..., :, :-3], atol=1e-5)  # 3 px right
    assert moved["original"] is seven["original"]  # the next move starts from the drawing, not from this one
    back = page.reset(seven["original"], None, None, "en")
    assert torch.equal(back["current"].tensor, seven["current"].tensor) and back["shift-x"] == 0


@pytest.mark.parametrize("bad", [9, -9, float("inf"), float("nan"), "3", None, True])
def test_a_bad_slider_value_changes_nothing(page, seven, bad):
    assert page.what_if(seven["original"], bad, 0, 0, 1, 0, None, None, "en") == {}
    assert page.what_if(seven["original"], 0, 0, 0, 1, bad, None, None, "en") == {}
    assert page.what_if(None, 0, 0, 0, 1, 0, None, None, "en") == {}


def test_the_filters_top_patches_follow_the_picked_map(page, seven):
    assert "<img" in seven["filter-top"] and "conv1 filter" in seven["filter-top"]
    picked = page.pick(12, seven["current"], None, "en", panel="act-conv2")
    assert "excite conv2 filter 12 most" in picked["filter-top"] and "8 × 8" in picked["filter-top"]


def test_a_training_moment_shows_its_filters_accuracy_and_reading(page, seven):
    start = page.learning(0, seven["current"], "en")
    end = page.learning(len(page.snapshots) - 1, seven["current"], "en")
    assert "The random start" in start["learning"] and "After epoch 15" in end["learning"]
    assert "Output: 7" in end["learning"]
    # the moment's dashed line stands at its step: the random start at the left edge, the last step at the right
    assert moment_x(start["loss-curve"]) == plots.LEFT and moment_x(end["loss-curve"]) == plots.WIDTH - plots.RIGHT
    assert "this moment" in end["loss-curve"]
    for bad in (-1, len(page.snapshots), 0.5, "0", None):
        assert page.learning(bad, seven["current"], "en") == {}


def test_an_own_network_reads_for_its_session_and_back(page, model, seven):
    state = model.state_dict()
    out = page.own(saved(state, "cnn.pt"), seven["current"], seven["original"], None, "es")
    network = out["network"]
    assert isinstance(network, Network) and network.name == "cnn.pt"
    assert "cnn.pt" in out["model-name"] and "99" in out["model-name"]
    assert out["prediction"] == seven["prediction"]  # the shipped weights, saved as the notebook saves them
    assert "Tu red" in out["compare"] and out["compare"].count("<li>") == 6
    back = page.shipped(seven["current"], seven["original"], None, "en")
    assert back["network"] is None and back["compare"] == "" and "app’s network" in back["model-name"]


def test_a_random_network_is_nearly_uniform(page, seven):
    torch.manual_seed(0)
    out = page.own(saved(Net().state_dict(), "random.pth"), seven["current"], seven["original"], None, "en")
    assert max(out["prediction"].values()) < 0.2


def test_a_bad_network_file_keeps_the_sessions_network(page, seven, tmp_path):
    pwned = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(pwned), "w"))  # would create a file, if anything in the pickle ran

    bad = page.own(saved({"conv1.weight": Evil()}, "cnn.pt"), seven["current"], seven["original"], None, "es")
    assert set(bad) == {"model-status"} and "código" in bad["model-status"]  # the network stays as it was
    assert not pwned.exists()
    wrong = {k: v for k, v in Net().state_dict().items()}
    wrong["fc1.weight"] = torch.zeros(128, 2304)
    said = page.own(saved(wrong, "cnn.pt"), None, None, None, "en")["model-status"]
    assert "2,304" in said and "3,136" in said and "padding=0" in said
    assert page.own("/etc/passwd", None, None, None, "en") == {"model-status": text.EN["error.not_uploaded"]}


def test_two_sessions_with_different_networks_never_mix(served, app_url, model, tmp_path):
    """One session uploads a random network, another keeps the shipped one; they draw at once, many times."""
    torch.manual_seed(1)
    path = tmp_path / "random.pt"
    torch.save(Net().state_dict(), path)
    with open(path, "rb") as f:
        kept = httpx.post(app_url + "gradio_api/upload", files={"files": ("random.pt", f)}, timeout=20).json()[0]
    by_trigger = {e["on"]: e for e in events(app_url)}
    own, pad = by_trigger["own-upload", "upload"], by_trigger["draw", "drawn"]
    file = {"path": kept, "orig_name": "random.pt", "meta": {"_type": "gradio.FileData"}}
    assert call(app_url, own["fn_index"], event_inputs("own-upload", "upload", own_upload=file), session="theirs")["success"]
    seven = data_url(draw_strokes(SEVEN))

    def confidences(session: str) -> list[float]:  # one session's drawings, one after the other
        outputs = [call(app_url, pad["fn_index"], pad_data(seven), session=session)["output"]["data"]
                   for _ in range(6)]
        return [max(c["confidence"] for c in output[0]["confidences"]) for output in outputs]

    with ThreadPoolExecutor(2) as pool:  # the two sessions at once
        theirs, mine = pool.map(confidences, ["theirs", "mine"])
    assert all(p < 0.2 for p in theirs) and all(p > 0.9 for p in mine)


def test_a_drawing_halfway_between_a_1_and_a_7_says_unsure_and_a_clear_3_does_not(page):
    """A 1 whose flag grows into a 7's bar: somewhere between the two, the page says "1 or 7?"."""
    def read(flag: float) -> dict:
        strokes = [[(0.55 - flag, 0.05 + flag * 0.5), (0.55, 0.05), (0.45, 0.95)]]
        return page.drawn(data_url(draw_strokes(strokes)), None, None, "en")

    low, high = 0.05, 0.45  # a short flag reads 1, a long bar 7; find where they meet
    assert top(read(low)) == "1" and top(read(high)) == "7"
    for _ in range(12):
        mid = (low + high) / 2
        low, high = (mid, high) if top(read(mid)) == "1" else (low, mid)
    # the drawing is read in pixels, so the answer can jump at the meeting point: one side of it is unsure
    sides = [read(low)["unsure"], read(high)["unsure"]]  # the last flag read as 1, the first read as 7
    assert any(re.search(r"<b>(1 or 7|7 or 1)\?</b>", side) and "Look at the top" in side for side in sides), sides
    three = page.drawn(data_url(draw_strokes([[(0.2, 0.1), (0.8, 0.15), (0.4, 0.5), (0.8, 0.8), (0.2, 0.95)]])),
                       None, None, "en")
    assert top(three) == "3" and three["unsure"] == ""


def test_the_batch_puts_the_drawing_first_and_refuses_a_size_the_page_never_sends(page, seven):
    out = page.batch(seven["current"], 8, 1, None, "es")["batch"]
    assert out.count("<img") == 8 and "1,000" in out  # each row's picture; a row that sums to 1, in Spanish
    assert page.batch(seven["current"], 65, 1, None, "en").keys() == {"status"}
    assert page.batch(seven["current"], 8, 2, None, "en").keys() == {"status"}
    assert page.batch(None, 8, 1, None, "en") == {"batch": ""}


def test_a_question_is_answered_from_the_drawing_and_a_hostile_choice_changes_nothing(page, seven):
    right = page.answer(0, seven["current"], None, "en", question="dim1")["question-dim1"]
    assert "Right" in right and "qn-right" in right
    assert "qn-wrong" in page.answer(1, seven["current"], None, "en", question="dim1")["question-dim1"]
    for bad in (99, -1, "0", 1.5, None, [0]):
        assert page.answer(bad, seven["current"], None, "en", question="dim1") == {}
    assert page.answer(0, seven["current"], None, "en", question="nope") == {}
    assert 'role="status"' in page.answer(0, None, None, "en", question="dim1")["question-dim1"]  # draw first


def test_clear_puts_back_every_control_and_the_shipped_network(page):
    out = page.clear()
    assert out["batch-size"] == 8 and out["batch-dim"] == 1 and out["sandbox-padding"] == 1 and out["scale"] == 1
    assert out["network"] is None and "99" in out["model-name"] and out["question-dim1"].count("<button") == 6
    assert out["learning-step"] == page.last_moment and "class-link" not in out and "pen" not in out


def test_the_class_link_is_the_address_the_browser_used_and_never_a_hostile_host(page):
    class Request:
        headers, query_params = {"host": "192.168.1.20:7860"}, {"step": "dim1"}
    opened = page.loaded(Request(), "en")
    assert "http://192.168.1.20:7860/?step=dim1" in opened["class-link"] and opened["step"] == "dim1"
    Request.headers, Request.query_params = {"host": '"><script>alert(1)</script>'}, {"step": "<b>"}
    opened = page.loaded(Request(), "es")
    assert "<script>" not in opened["class-link"] and opened["step"] == "model"


def test_a_step_s_panels_are_made_only_when_it_is_shown(page, seven):
    current = seven["current"]
    drawn = page.drawn(data_url(draw_strokes(SEVEN)), None, None, "en", "dim1")
    assert "prediction" in drawn and "act-conv1" not in drawn and "kernel-detail" not in drawn
    after = page.experiments(current, None, 1, 1, 2, 8, 1, 0, None, "en", "dim1")
    assert set(after) == {"batch"}
    opened = page.opened(current, None, 1, 1, 2, 8, 1, 0, None, "en", step="model")
    assert opened["step"] == "model" and "<img" in opened["act-conv1"] and "filter-top" in opened
    assert set(page.opened(current, None, 0, 1, 2, 8, 1, 0, None, "en", step="padding")) == {"step", "sandbox"}

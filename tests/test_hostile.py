"""Hostile clients: every event of the page, called through the raw queue as an attacker would, with server paths,
URLs, non-strings, giant values and file payloads with and without Gradio's "meta". Nothing on the server is read,
the answer never depends on whether a path exists, no handler raises, and the server keeps serving.
"""
import json
import os
import re
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio.utils import get_upload_folder

import app
from web.handlers import Page
from harness import call, event_inputs, events, pad_data
from mnist_cnn.images import MAX_PAD_SIDE
from mnist_cnn.preprocess import INK_SIDE, Prepared
from mnist_cnn.strokes import draw_strokes
from web.widgets import READ, data_url

opened: list[str] = []  # every path this process opens while `watching` is set
watching = threading.Event()


def record_opens(event: str, args: tuple) -> None:
    if event == "open" and watching.is_set() and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.append(os.fsdecode(args[0]))


sys.addaudithook(record_opens)  # an audit hook cannot be removed, so it idles between tests


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> str:
    """An image file on the server, outside Gradio's upload folder, that nobody was given."""
    path = tmp_path_factory.mktemp("private") / "secret.png"
    draw_strokes([[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]).save(path)
    return str(path)


def attacks(secret: str) -> dict[str, object]:
    """Name -> a value an attacker puts where the page sends a drawing, a file, an index or a language."""
    missing = secret.replace("secret", "absent")
    file = {"meta": {"_type": "gradio.FileData"}}
    upload = get_upload_folder()
    return {
        "existing path": secret, "missing path": missing, "etc/passwd": "/etc/passwd", "proc mem": "/proc/self/mem",
        "dev zero": "/dev/zero", "relative": "../../../../etc/passwd", "into upload folder": f"{upload}/../{secret}",
        "file url": f"file://{secret}", "http url": "http://127.0.0.1:9/x.png", "javascript": "javascript:alert(1)",
        "data url of text": "data:text/plain;base64,aGVsbG8=", "int": 7, "float inf": float("inf"), "bool": True,
        "list": [1, 2], "nested": [[[[[secret]]]]], "dict": {"a": secret},
        "file without meta": {"path": secret}, "missing without meta": {"path": missing},
        "file with meta": {"path": secret, **file}, "missing with meta": {"path": missing, **file},
        "url with meta": {"path": None, "url": "http://127.0.0.1:9/x.png", **file},
        "giant string": "x" * 2_000_000, "giant pad": "data:image/png;base64," + "A" * 1_200_000,
    }


TEXT_INPUTS = ("html", "uploadbutton", "file")  # inputs a browser fills with strings: drawings, paths, a language
SHORT = ("existing path", "missing path", "int", "float inf", "bool", "list", "dict", "file with meta",
         "missing with meta", "giant string")  # for sliders, radios and checkboxes


def attackable(event: dict, names: list[str]) -> list[tuple[int, str]]:
    """(position, attack) pairs for an event's inputs that reach the server as sent (Gradio uses its own copy of a
    State's): every attack at the inputs that take strings, a short list at the others."""
    kinds = event["inputs"] or ["html"]  # an event without inputs still gets the event data
    full = next((i for i, kind in enumerate(kinds) if kind in TEXT_INPUTS), 0)  # the drawing, the file...
    return [(i, name) for i, kind in enumerate(kinds) if kind != "state"
            for name in names if i == full or name in SHORT] or [(0, name) for name in names]


def sent(event: dict, position: int, value) -> tuple[list, dict | None]:
    """The event's data with value at one input (None elsewhere), and value as the picked index and the pad's count
    as well."""
    data = [value if i == position else None for i in range(len(event["inputs"]))]
    return data, {"index": value, "n": value, "value": None}


def answer(message: dict, *paths: str) -> str:
    """The answer as text, with the paths in it replaced, so that answers about different paths compare."""
    text = json.dumps(message.get("output"), sort_keys=True, default=str)
    for path in paths:
        text = text.replace(path, "PATH").replace(os.path.realpath(path), "PATH")
    return re.sub(r'"(duration|average_duration)": [\d.e-]+', "", text)


@pytest.fixture(scope="module")
def page_events(app_url) -> list[dict]:
    """Every event of the page that runs on the server, from the page's own config, so that none is forgotten."""
    found, seen = [], set()
    for event in events(app_url):  # events with the same inputs run the same handler (five sliders, three radios)
        kind = (tuple(event["inputs"]), tuple(k for _, k in event["trigger"]))
        if event["backend"] and (kind not in seen or "select" in kind[1]):
            found.append(event)
            seen.add(kind)
    assert len(found) >= 10  # drawing, upload, examples, mistakes, maps, language, sliders, radios, clear, /predict
    return found


def test_every_input_of_every_event_refuses_every_attack_without_reading_anything(app_url, page_events, secret,
                                                                                  capfd):
    hits = attacks(secret)
    jobs = [(event, position, name) for event in page_events for position, name in attackable(event, list(hits))]

    def attack(job: tuple) -> dict:
        event, position, name = job
        return call(app_url, event["fn_index"], *sent(event, position, hits[name]))

    capfd.readouterr()
    watching.set()
    try:
        with ThreadPoolExecutor(8) as pool:  # a few attackers at once, as a real one would
            answers = dict(zip(((e["fn_index"], p, n) for e, p, n in jobs), pool.map(attack, jobs)))
    finally:
        watching.clear()
    assert "Traceback" not in capfd.readouterr().err  # no handler, and no part of Gradio, raised
    assert not {secret, os.path.realpath(secret), "/etc/passwd", "/proc/self/mem", "/dev/zero"} & set(opened)
    missing = secret.replace("secret", "absent")
    for (fn_index, position, name), message in answers.items():
        said = json.dumps(message.get("output"), default=str)
        event = next(e for e in page_events if e["fn_index"] == fn_index)
        select = any(kind == "select" for _, kind in event["trigger"])
        assert '"label"' not in said or (name == "int" and select), (fn_index, name)  # no reading but picture 7
        for there, absent in (("existing path", "missing path"), ("file without meta", "missing without meta"),
                              ("file with meta", "missing with meta")):  # the same answer, there or not
            if name == there and (fn_index, position, absent) in answers:
                assert answer(message, secret, missing) == \
                    answer(answers[fn_index, position, absent], secret, missing), (fn_index, name)
    pad = next(e for e in page_events if e["trigger"] and e["trigger"][0][1] == "drawn")
    assert call(app_url, pad["fn_index"], [None] * len(pad["inputs"]))["success"]  # still serving


def test_the_pad_refuses_what_is_not_a_small_png_with_one_sentence_and_keeps_the_page(model):
    demo_app = Page.load(model)
    seven = data_url(draw_strokes([[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]))
    for bad in ("/etc/passwd", 7, ["x"], "data:image/jpeg;base64,AAAA", "data:image/png;base64,@@@",
                "data:image/png;base64," + "A" * 1_000_000, data_url(draw_strokes([], canvas=2000))):
        out = demo_app.drawn(bad, None, None, "es")
        assert set(out) == {"status", "pad"}  # the page keeps what it shows
        assert out["status"].startswith("No se pudo leer el dibujo") and out["pad"] == READ
    out = demo_app.drawn(seven, None, None, "en")
    assert max(out["prediction"], key=out["prediction"].get) == "7"
    assert out["pad"] == READ  # the session keeps a few bytes, not the drawing


def test_a_session_keeps_no_drawing_after_it_is_read(served, app_url, page_events):
    """The pad's value goes back to READ once read; Gradio keeps no copy of a session's values
    (web/gradio_internals.py's LeanSession) and the session's own state holds the ink at most INK_SIDE px a side
    (12.5 KB), not the drawing."""
    pad = next(e for e in page_events if e["trigger"][0][1] == "drawn")
    big = data_url(draw_strokes([[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]], width=1, canvas=MAX_PAD_SIDE))
    answer = call(app_url, pad["fn_index"], pad_data(big), session="kept")
    assert answer["success"] and answer["output"]["data"][0]["label"] == "7" and answer["output"]["data"][-1] == READ
    state = served.state_holder.session_data["kept"]
    assert state.config_values == {}
    kept = [v for v in state.state_data.values() if isinstance(v, Prepared)]
    assert kept and all(p.ink.nbytes <= INK_SIDE ** 2 for p in kept)


@pytest.mark.parametrize("event_data", ["index", 7, [1, 2], {"index": None}, {"n": "1"}, {"index": [0]}, None])
def test_every_event_takes_any_event_data_without_a_traceback(app_url, page_events, capfd, event_data):
    """The page's script puts the picked index and the pad's count in an event's data; a client may put anything."""
    capfd.readouterr()
    for event in page_events:
        data = [None] * len(event["inputs"])
        assert "output" in call(app_url, event["fn_index"], data, event_data), event["fn_index"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_value_the_page_never_sends_is_refused_at_the_door_before_gradio_makes_a_session(served, app_url,
                                                                                          page_events):
    moved = next(e for e in page_events if "slider" in e["inputs"])  # a what-if slider: a number from -8 to 8...
    slider = moved["inputs"].index("slider")
    pad = next(e for e in page_events if e["trigger"][0][1] == "drawn")  # ...a drawing, and the page's language
    too_long = "data:image/png;base64," + "A" * 1_000_000
    for event, position, bad in ((moved, slider, 99), (moved, slider, "3"), (moved, slider, float("inf")),
                                 (moved, slider, True), (pad, 0, 7), (pad, 0, ["data:image/png;base64,"]),
                                 (pad, 0, too_long), (pad, len(pad["inputs"]) - 1, "/etc/passwd")):
        session = uuid.uuid4().hex
        data = [bad if i == position else None for i in range(len(event["inputs"]))]
        message = call(app_url, event["fn_index"], data, session=session)
        assert message["status"] == 400 and "a value the page never sends" in message["output"], repr(bad)[:40]
        assert session not in served.state_holder  # refused before Gradio made it a session
    assert call(app_url, 10_000, [None], session="nobody")["status"] == 400  # no such event
    data, picked = sent(moved, slider, 3)
    assert call(app_url, moved["fn_index"], data, picked)["success"]  # a value the page sends goes through


def test_an_event_the_browser_runs_alone_is_refused_at_the_door_without_a_traceback(app_url, capfd):
    """Undo, Clear's cancelling and the like have no server function; Gradio answered a call to one with a traceback."""
    alone = [e for e in events(app_url) if not e["backend"]]
    assert {("undo", "click"), ("clear", "click")} <= {e["on"] for e in alone}
    capfd.readouterr()
    for event in alone:
        message = call(app_url, event["fn_index"], [None] * len(event["inputs"]))
        assert message["status"] == 400 and "a value the page never sends" in message["output"], event["on"]
    assert "Traceback" not in capfd.readouterr().err


def test_the_batch_the_questions_and_the_steps_take_only_what_the_page_sends(app_url, fn_index):
    """The batch's size and dim, a question's choice and a step's tab, sent as no page sends them: refused at the door
    (a slider or radio value out of its range) or answered with nothing changed, never a traceback."""
    size, dim = fn_index["batch-size", "input"], fn_index["batch-dim", "change"]
    for value in (65, 0, -1, 10 ** 400, "8", True, [8]):
        assert call(app_url, size, event_inputs("batch-size", "input", batch_size=value, batch_dim=1)) \
            .get("status") == 400, value
    for value in (2, -1, "1", None):
        answered = call(app_url, dim, event_inputs("batch-dim", "change", batch_size=8, batch_dim=value))
        assert answered.get("status") == 400 or answered["success"], value
    question = fn_index["question-dim1", "select"]
    for index in (99, -1, "0", 1.5, {"a": 1}, 10 ** 400):
        answered = call(app_url, question, event_inputs("question-dim1", "select"), {"index": index})
        assert answered.get("status") == 400 or (answered["success"] and "qn-said" not in json.dumps(answered)), index
    tab = fn_index["step-dim1", "select"]
    answered = call(app_url, tab, event_inputs("step-dim1", "select", batch_size=64, batch_dim=0))
    assert answered["success"]  # nothing drawn yet in this session: the step opens empty

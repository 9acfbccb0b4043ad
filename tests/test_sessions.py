"""Gradio's per-session state without its deep-link copy of every component: the same state otherwise, nothing
written to the copy, and the page's events still carry a session's drawing from one event to the next."""
import json
import uuid

from gradio.state_holder import SessionState

import app
from harness import call, event_inputs, pad_data
from mnist_cnn.strokes import draw_strokes
from web.registry import NEUTRAL, name
from web.sessions import LeanSession, LeanStateHolder, Unkept
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


def test_a_lean_session_sets_the_same_attributes_as_gradios(model):
    """LeanSession replaces SessionState.__init__: a Gradio that sets something new there must be noticed."""
    demo = app.build(model)
    lean, gradios = LeanSession(demo), SessionState(demo)
    assert set(vars(lean)) == set(vars(gradios))
    assert lean.blocks_config.blocks == gradios.blocks_config.blocks and lean.blocks_config is not demo.default_config
    assert len(json.dumps(gradios.config_values, default=str)) > 100_000 and lean.config_values == {}


def test_nothing_written_to_the_copy_is_kept():
    kept = Unkept()
    kept[1] = {"props": {"value": "x" * 1000}}
    assert kept == {} and 1 not in kept


def test_the_served_apps_sessions_keep_no_copy_and_still_carry_their_state(served, app_url, fn_index):
    assert isinstance(served.state_holder, LeanStateHolder) and served.server_app.state_holder is served.state_holder
    session = uuid.uuid4().hex
    drawn = call(app_url, fn_index["draw", "drawn"], pad_data(data_url(draw_strokes(SEVEN))), session=session)
    assert drawn["success"] and drawn["output"]["data"][0]["label"] == "7"
    state = served.state_holder.session_data[session]
    assert isinstance(state, LeanSession) and state.config_values == {} and list(state.components) == []
    # the next events read the drawing the session kept: the language switch reads it again, in Spanish...
    relabelled = call(app_url, fn_index["lang", "change"], event_inputs("lang", "change", "es"), session=session)
    assert relabelled["success"] and relabelled["output"]["data"][0]["label"] == "7"
    assert "Salida: 7 con probabilidad" in json.dumps(relabelled["output"]["data"], ensure_ascii=False)
    # ...and a what-if slider moves it
    moved = call(app_url, fn_index["shift-x", "input"], event_inputs("shift-x", "input", **{**{name(k): v for k, v in NEUTRAL.items()}, "shift_x": 1}),
                 session=session)
    assert moved["success"] and "Output: 7 with probability" in json.dumps(moved["output"]["data"])
    assert state.config_values == {}


def test_a_state_an_event_reads_lives_on_from_then_and_gradio_s_own_rule_is_from_its_last_change(model, served,
                                                                                                 app_url, tmp_path):
    """A visitor's network expires NETWORK_IDLE after the session last read with it, not after its upload (Gradio
    counts a State's time to live from its last change only)."""
    import gradio as gr
    import httpx
    import torch

    from harness import events
    from mnist_cnn.model import Net
    from mnist_cnn.own_model import NETWORK_IDLE

    demo = app.build(model)
    state = next(b for b in demo.blocks.values() if isinstance(b, gr.State) and b.time_to_live == NETWORK_IDLE)
    for kind, refreshed in ((SessionState, False), (LeanSession, True)):
        held = kind(demo)
        held[state._id] = "a network"
        set_at = held._state_ttl[state._id][1]
        assert held[state._id] == "a network"
        assert (held._state_ttl[state._id][1] > set_at) is refreshed, kind.__name__
    path = tmp_path / "mine.pt"  # and in the served app, through the page's events
    torch.save(Net().state_dict(), path)
    with open(path, "rb") as f:
        kept = httpx.post(app_url + "gradio_api/upload", files={"files": ("mine.pt", f)}, timeout=20).json()[0]
    by_trigger = {e["on"]: e for e in events(app_url)}
    own, pad = by_trigger["own-upload", "upload"], by_trigger["draw", "drawn"]
    session = uuid.uuid4().hex
    file = {"path": kept, "orig_name": "mine.pt", "meta": {"_type": "gradio.FileData"}}
    assert call(app_url, own["fn_index"], [file, None, None, None, "en"], session=session)["success"]
    network = next(b for b in served.blocks.values() if isinstance(b, gr.State) and b.time_to_live == NETWORK_IDLE)
    held = served.state_holder[session]
    uploaded_at = held._state_ttl[network._id][1]
    assert call(app_url, pad["fn_index"], pad_data(data_url(draw_strokes(SEVEN))), session=session)["success"]
    assert held._state_ttl[network._id][1] > uploaded_at and held.state_data[network._id] is not None

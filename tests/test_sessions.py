"""Gradio's per-session state without its deep-link copy of every component: the same state otherwise, nothing
written to the copy, and the page's events still carry a session's drawing from one event to the next."""
import json
import uuid

from gradio.state_holder import SessionState

import app
from harness import call, pad_data
from mnist_cnn.sessions import LeanSession, LeanStateHolder, Unkept
from mnist_cnn.strokes import draw_strokes
from mnist_cnn.widgets import data_url

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
    relabelled = call(app_url, fn_index["lang", "change"], [None, None, None, None, "es"], session=session)
    assert relabelled["success"] and relabelled["output"]["data"][0]["label"] == "7"
    assert "Salida: 7 con probabilidad" in json.dumps(relabelled["output"]["data"], ensure_ascii=False)
    # ...and a what-if slider moves it
    moved = call(app_url, fn_index["shift-x", "input"], [None, 1, 0, 0, 1, 0, None, None, "en"], session=session)
    assert moved["success"] and "Output: 7 with probability" in json.dumps(moved["output"]["data"])
    assert state.config_values == {}

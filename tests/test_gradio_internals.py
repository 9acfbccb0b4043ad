"""The one module that reads Gradio's and uvicorn's internals: its version checks, its guarded connections (served by
Gradio's own launch), its reading of Gradio's queue, its lean sessions, PageBlocks and its unparsed inputs, each
against what Gradio itself does."""
import asyncio
import importlib
import importlib.metadata
import inspect
import json
import socket
import sys
import uuid

import gradio as gr
import gradio.queueing
import httpx
import pytest
import uvicorn.config
from gradio.state_holder import SessionState

import app
from harness import Session, call, events, pad_data
from mnist_cnn.strokes import draw_strokes
from web import gradio_internals, views
from web.gradio_internals import LeanSession, LeanStateHolder, Unkept
from web.handlers import WHAT_IF
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


def by_name(app_url: str, fn_index: int, values: dict) -> list:
    """An event's inputs as the browser sends them, from values by element id (None for the rest: Gradio never reads
    what is sent for a State), in the order of the page's config."""
    config = httpx.get(app_url + "config", timeout=20).json()
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    names = [ids.get(block) for block in config["dependencies"][fn_index]["inputs"]]
    assert set(values) <= set(names), set(values) - set(names)
    return [values.get(name) for name in names]


def refused_at_import(monkeypatch, sentence: str) -> None:
    """Importing the module anew (with what the test has changed) raises ImportError saying sentence."""
    monkeypatch.delitem(sys.modules, "web.gradio_internals")
    with pytest.raises(ImportError, match=sentence):
        importlib.import_module("web.gradio_internals")
    monkeypatch.setitem(sys.modules, "web.gradio_internals", gradio_internals)


def test_another_gradio_version_is_refused_with_one_sentence(monkeypatch):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "gradio" else real(name))
    refused_at_import(monkeypatch, "was written for")


def test_a_gradio_whose_queue_spells_its_summary_frequency_right_is_refused_at_import(monkeypatch):
    """Were upstream to fix ANAYLTICS_CACHE_FREQUENCY's spelling, PageBlocks' override would silently do nothing."""
    real = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda thing: real(thing).replace("ANAYLTICS", "ANALYTICS"))
    refused_at_import(monkeypatch, "no longer has ANAYLTICS_CACHE_FREQUENCY")
    assert "self.ANAYLTICS_CACHE_FREQUENCY" in real(gradio.queueing.Queue)  # the installed Gradio's spelling


def test_gradio_s_launch_serves_with_the_guarded_protocol(served):
    """uvicorn takes the protocol by name from its table; Gradio's own launch() then uses it."""
    assert uvicorn.config.HTTP_PROTOCOLS["auto"] == "web.gradio_internals:GuardedProtocol"
    assert served.server.config.http_protocol_class is gradio_internals.GuardedProtocol


def test_a_whole_request_on_a_guarded_connection_is_answered_as_uvicorn_answers_it(app_url):
    host, port = app_url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /gradio_api/info HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 200")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        # a header still incomplete past MAX_HEADER_BYTES: h11 bounds what it buffers, as uvicorn answers it
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * (gradio_internals.MAX_HEADER_BYTES + 1))
        assert s.recv(64).startswith(b"HTTP/1.1 400")


def test_the_queue_s_jobs_sessions_and_events_read_as_gradio_holds_them(served, app_url):
    pen_up = next(e["fn_index"] for e in events(app_url) if e["on"] == ("draw", "drawn"))
    visitor = Session(app_url)
    drawing = data_url(draw_strokes([[(0.5, 0.05), (0.5, 0.95)]]))
    assert visitor.call(pen_up, pad_data(drawing))["success"]
    assert gradio_internals.is_session(served, visitor.hash)
    assert visitor.hash in served._queue.pending_messages_per_session.keys()
    assert not gradio_internals.is_session(served, "neverjoined")
    assert not gradio_internals.is_event(served, "0" * 32)
    assert all(isinstance(session, str) for session, _ in gradio_internals.jobs(served))


@pytest.mark.parametrize("address, trusted", [("127.0.0.1", True), ("::1", True), ("127.0.0.2", False),
                                               ("10.0.0.7", False), (None, False)])
def test_trusted_proxies_are_this_machine_unless_told(monkeypatch, address, trusted):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert gradio_internals.trusted(address) is trusted
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "")
    assert gradio_internals.trusted(address) is False


def test_an_address_is_shut_out_after_its_strikes_and_let_in_again_after_a_while():
    strikes, now = gradio_internals.Strikes(), 1000.0
    for i in range(gradio_internals.STRIKES - 1):
        strikes.strike("127.0.0.20", now + i * 0.01)
    assert not strikes.shut_out("127.0.0.20", now + 1)
    strikes.strike("127.0.0.20", now + 1)
    assert strikes.shut_out("127.0.0.20", now + 2) and not strikes.shut_out("127.0.0.21", now + 2)
    assert not strikes.shut_out("127.0.0.20", now + 2 + gradio_internals.SHUT_OUT_SECONDS)
    slow = gradio_internals.Strikes()  # as many refusals, spread over more than STRIKE_SECONDS
    for i in range(gradio_internals.STRIKES):
        slow.strike("127.0.0.22", now + i * gradio_internals.STRIKE_SECONDS / 50)
    assert not slow.shut_out("127.0.0.22", now + gradio_internals.STRIKE_SECONDS * 2)
    trusted = gradio_internals.Strikes()
    for i in range(2 * gradio_internals.STRIKES):
        trusted.strike("127.0.0.1", now)
    assert not trusted.shut_out("127.0.0.1", now)


def test_clients_take_turns_in_each_concurrency_group_each_keeping_its_own_order():
    from types import SimpleNamespace

    def event(address: str, session: str):
        return SimpleNamespace(session_hash=session, request=SimpleNamespace(client=SimpleNamespace(host=address)))
    flood = [event("127.0.0.30", f"f{i}") for i in range(5)]
    other = [event("127.0.0.31", "o1"), event("127.0.0.31", "o2")]
    local = [event("127.0.0.1", "tab1"), event("127.0.0.1", "tab2")]  # this machine's: each session its own turn
    visitor = event("127.0.0.32", "v")
    line = SimpleNamespace(queue=[*flood, other[0], local[0], other[1], local[1], visitor])
    blocks = SimpleNamespace(_queue=SimpleNamespace(event_queue_per_concurrency_id={"pen": line}))
    gradio_internals.take_turns(blocks)
    assert line.queue == [flood[0], other[0], local[0], local[1], visitor, flood[1], other[1], *flood[2:]]


def test_in_the_served_queue_a_visitor_waits_behind_one_event_of_a_flooding_client(served, app_url):
    """A client that joins 40 pen-ups at once: the visitor who joins next is second in line, not 41st."""
    pen_up = next(e["fn_index"] for e in events(app_url) if e["on"] == ("draw", "drawn"))
    drawing = data_url(draw_strokes([[(0.5, 0.05), (0.5, 0.95)]]))

    def join(c: httpx.Client, session: str) -> str:
        body = {"data": pad_data(drawing), "fn_index": pen_up, "session_hash": session, "event_data": None,
                "trigger_id": None}
        return c.post(app_url + "gradio_api/queue/join", json=body).json().get("event_id")
    line = served._queue.event_queue_per_concurrency_id
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.33"), timeout=20) as flood, \
            httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.34"), timeout=20) as visitor:
        for i in range(40):
            join(flood, f"flood{i}")
        mine = join(visitor, "visitor")
        waiting = [e._id for q in line.values() for e in q.queue]
    assert mine is not None and (mine not in waiting or waiting.index(mine) <= 1)


# PageBlocks: the browser gets word for word what Gradio itself sends for an event's outputs, but the outputs an
# event skips cost nothing and leave the session's components as they were; the queue keeps an open session's
# messages however many sessions join after it, and sums up no event.
READING = [*views.READING, "current", "original", "filter-top", "compare", *WHAT_IF, "pad"]  # as app.wire has them


@pytest.fixture(scope="module")
def demo(model):
    demo = app.build(model)
    demo.get_config_file()  # as launch() does: each session starts from the page's config
    return demo


@pytest.fixture(scope="module")
def pen_up(demo):
    """The pen-up's event: a reading's outputs."""
    fn = next(f for f in demo.fns.values() if any(kind == "drawn" for _, kind in f.targets))
    assert len(fn.outputs) == len(READING)
    return fn


def outputs(out: dict, fn) -> dict:
    """A reading handler's outputs by name -> {component: value}, as app.wire hands them to Gradio."""
    return {block: out[key] for block, key in zip(fn.outputs, READING) if key in out} or gr.skip()


def both(demo, fn, predictions) -> tuple:
    """(PageBlocks' answer, Gradio's own answer) for the same predictions, each in a new session."""
    async def run():
        return (await demo.postprocess_data(fn, predictions, SessionState(demo)),
                await gr.Blocks.postprocess_data(demo, fn, predictions, SessionState(demo)))
    return asyncio.run(run())


def test_the_browser_gets_what_gradio_itself_sends(demo, pen_up):
    for out in (demo.page.drawn(data_url(draw_strokes(SEVEN)), None, None, "en"),  # every output changed
                demo.page.drawn("/etc/passwd", None, None, "es"),  # a sentence, the rest left as it is
                {}):  # nothing changed
        ours, gradios = both(demo, pen_up, outputs(out, pen_up))
        assert json.dumps(ours, default=str) == json.dumps(gradios, default=str)


def test_a_skipped_output_costs_nothing_and_the_session_keeps_its_components(demo, pen_up):
    refused = outputs(demo.page.drawn("/etc/passwd", None, None, "en"), pen_up)
    assert len(refused) == 2  # the sentence, and the pad's token
    skipped = [b for b in pen_up.outputs if b not in refused and not b.stateful]

    def built(postprocess) -> int:
        """The session's components that postprocess built anew (not the page's own)."""
        state = SessionState(demo)
        asyncio.run(postprocess(demo, pen_up, refused, state))
        return sum(state.blocks_config.blocks[b._id] is not b for b in pen_up.outputs if not b.stateful)

    assert len(skipped) > 10  # the reading's pictures and label, left as they are
    assert built(gr.Blocks.postprocess_data) == len(skipped)  # Gradio builds each skipped one anew for the session
    assert built(type(demo).postprocess_data) == 0  # PageBlocks none: the session keeps the page's own


def test_an_event_with_one_output_that_changes_nothing_leaves_it_as_it_is(app_url):
    """The sandbox's controls moved before anything is drawn: the sandbox stays empty (it used to get a list)."""
    radio = next(e["fn_index"] for e in events(app_url) if e["on"] == ("sandbox-padding", "change"))
    sandbox = {"sandbox-padding": 1, "sandbox-stride": 1, "sandbox-pool-stride": 2, "lang": "en"}
    answer = call(app_url, radio, by_name(app_url, radio, sandbox), session=uuid.uuid4().hex)
    assert answer["success"] and answer["output"]["data"][0]["__type__"] == "update"
    assert "value" not in answer["output"]["data"][0]


def test_an_open_session_keeps_its_messages_however_many_sessions_join_after_it(demo):
    messages = demo._queue.pending_messages_per_session  # each session's messages, as the queue keeps them
    messages["visitor"] = "its queue"
    for i in range(messages.max_size):  # a flood of new sessions while the visitor's answer is on its way
        messages[f"attacker-{i}"] = "theirs"
        assert messages["visitor"] == "its queue"  # its stream reads it, which keeps it
    assert len(messages) == messages.max_size and "attacker-0" not in messages  # still bounded


def test_the_queue_sums_up_no_event_for_the_monitoring_page(served, app_url):
    pad = next(e for e in events(app_url) if e["trigger"] and e["trigger"][0][1] == "drawn")
    for _ in range(3):
        assert call(app_url, pad["fn_index"], pad_data(None))["success"]
    assert served._queue.events_recorded >= 3 and served._queue.cached_event_analytics_summary == {"functions": {}}


# Lean sessions: Gradio's per-session state without its deep-link copy of every component, the same state otherwise,
# and the page's events still carry a session's drawing from one event to the next.
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
    relabel = fn_index["lang", "change"]
    relabelled = call(app_url, relabel, by_name(app_url, relabel, {"lang": "es"}), session=session)
    assert relabelled["success"] and relabelled["output"]["data"][0]["label"] == "7"
    assert "Salida: 7 con probabilidad" in json.dumps(relabelled["output"]["data"], ensure_ascii=False)
    # ...and a what-if slider moves it
    what_if = fn_index["shift-x", "input"]
    shifted = {"shift-x": 1, "shift-y": 0, "angle": 0, "scale": 1, "thickness": 0, "lang": "en"}
    moved = call(app_url, what_if, by_name(app_url, what_if, shifted), session=session)
    assert moved["success"] and "Output: 7 with probability" in json.dumps(moved["output"]["data"])
    assert state.config_values == {}


def test_a_state_an_event_reads_lives_on_from_then_and_gradio_s_own_rule_is_from_its_last_change(model, served,
                                                                                                 app_url, tmp_path):
    """A visitor's network expires NETWORK_IDLE after the session last read with it, not after its upload (Gradio
    counts a State's time to live from its last change only)."""
    import gradio as gr
    import torch

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
    uploading = by_name(app_url, own["fn_index"], {"own-upload": file, "lang": "en"})
    assert call(app_url, own["fn_index"], uploading, session=session)["success"]
    network = next(b for b in served.blocks.values() if isinstance(b, gr.State) and b.time_to_live == NETWORK_IDLE)
    held = served.state_holder[session]
    uploaded_at = held._state_ttl[network._id][1]
    assert call(app_url, pad["fn_index"], pad_data(data_url(draw_strokes(SEVEN))), session=session)["success"]
    assert held._state_ttl[network._id][1] > uploaded_at and held.state_data[network._id] is not None


# Unparsed inputs: drawn by Gradio's own front end, with its own config, but handing over what was sent
STOCK = ((lambda kind: kind(-4, 4, value=0, step=1), gradio_internals.Slider, gr.Slider),
         (lambda kind: kind([0, 1, 2], value=1), gradio_internals.Radio, gr.Radio),
         (lambda kind: kind("Upload"), gradio_internals.UploadButton, gr.UploadButton),
         (lambda kind: kind(label="image"), gradio_internals.ApiFile, gr.File))


@pytest.mark.parametrize("make, ours, stock", STOCK)
def test_an_unparsed_input_has_gradio_s_own_front_end_and_config(make, ours, stock):
    mine, gradios = make(ours), make(stock)
    assert mine.get_block_name() == gradios.get_block_name() == stock.__name__.lower()
    assert mine.get_config() == gradios.get_config()
    assert mine.data_model is None


def test_an_unparsed_input_hands_over_what_was_sent_where_gradio_parses_or_fails():
    assert gradio_internals.Slider(-4, 4, step=1).preprocess(None) is None
    with pytest.raises(TypeError):
        gr.Slider(-4, 4, step=1).preprocess(None)  # Gradio's: a traceback
    assert gradio_internals.Radio([0, 1, 2]).preprocess(7) == 7
    with pytest.raises(gr.Error):
        gr.Radio([0, 1, 2]).preprocess(7)
    sent = {"path": "/tmp/gradio/x/digit.png", "meta": {"_type": "gradio.FileData"}}
    assert gradio_internals.UploadButton().preprocess(sent) == sent["path"]
    assert gradio_internals.ApiFile().preprocess("/etc/passwd") is None


def test_the_api_page_describes_the_predict_input_as_gradio_describes_a_file():
    ours, gradios = gradio_internals.ApiFile().api_info(), gr.File().api_info()
    assert {k: ours[k] for k in ("properties", "required", "type")} == \
        {k: gradios[k] for k in ("properties", "required", "type")}
    ours["properties"].clear()
    assert gradio_internals.ApiFile().api_info()["properties"]  # each caller gets its own copy

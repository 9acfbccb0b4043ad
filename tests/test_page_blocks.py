"""PageBlocks: the browser gets word for word what Gradio itself sends for an event's outputs, but the outputs an
event skips cost nothing and leave the session's components as they were; the queue keeps an open session's
messages however many sessions join after it, and sums up no event."""
import asyncio
import json
import time
import uuid

import gradio as gr
import pytest
from gradio.state_holder import SessionState

import app
from harness import call, events, pad_data
from mnist_cnn.strokes import draw_strokes
from web.registry import KEPT
from web.registry import READING as READ
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]
READING = [*READ, *KEPT]  # as web/registry.py has them


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
    state = SessionState(demo)

    def seconds(postprocess) -> float:
        start = time.perf_counter()
        for _ in range(10):
            asyncio.run(postprocess(demo, pen_up, refused, state))
        return time.perf_counter() - start

    gradios = seconds(gr.Blocks.postprocess_data)  # Gradio builds each skipped component anew for the session
    state = SessionState(demo)
    ours = seconds(type(demo).postprocess_data)
    assert ours < gradios / 3
    skipped = [b for b in pen_up.outputs if b not in refused and not b.stateful]
    assert all(state.blocks_config.blocks[b._id] is b for b in skipped)


def test_an_event_with_one_output_that_changes_nothing_leaves_it_as_it_is(app_url):
    """The sandbox's controls moved before anything is drawn: the sandbox stays empty (it used to get a list)."""
    radio = next(e for e in events(app_url) if e["trigger"] and e["trigger"][0][1] == "change"
                 and e["inputs"][:2] == ["state", "radio"])
    answer = call(app_url, radio["fn_index"], [None, 1, 1, 2, None, "en"], session=uuid.uuid4().hex)
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

"""A stream asked for a session the process does not hold (mnist_cnn/lost_session.py): Gradio's own answer, without
the traceback Gradio logs for it; other requests pass through untouched."""
import asyncio
import json
import time

import httpx

from harness import free_port
from mnist_cnn.lost_session import STREAM, UnknownSession
from mnist_cnn.text import EN


class Gradio:
    """What the middleware asks of Gradio's app: its Blocks' queue's sessions with events on their way."""

    def __init__(self, sessions: set):
        self._queue = type("Queue", (), {"pending_messages_per_session": {s: [] for s in sessions}})()

    def get_blocks(self):
        return self


def run(path: str, query: bytes, method: str = "GET", sessions: set = frozenset()) -> tuple[list, bool]:
    """The messages the middleware sends for a request, and whether it passed the request on."""
    passed, sent = [], []

    async def app(scope, receive, send):
        passed.append(scope["path"])

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "app": Gradio(sessions)}
    asyncio.run(UnknownSession(app)(scope, receive, send))
    return sent, bool(passed)


def test_an_unknown_session_s_stream_gets_gradio_s_not_found_event_and_ends():
    sent, passed = run(STREAM, b"session_hash=nobody")
    assert not passed and sent[0]["status"] == 200
    assert dict(sent[0]["headers"])[b"content-type"].startswith(b"text/event-stream")
    body = sent[1]["body"].decode()
    assert body.startswith("data: ") and body.endswith("\n\n")
    assert json.loads(body[6:]) == {"msg": "unexpected_error", "event_id": None, "message": EN["error.session"],
                                    "session_not_found": True, "success": False}


def test_a_known_session_s_stream_and_everything_else_pass_through():
    assert run(STREAM, b"session_hash=here", sessions={"here"}) == ([], True)
    assert run(STREAM, b"") == ([], True)  # no session_hash: Gradio's own 422
    assert run("/gradio_api/queue/join", b"session_hash=nobody", method="POST") == ([], True)
    assert run("/gradio_api/heartbeat/nobody", b"") == ([], True)


def not_found_from(url: str) -> tuple[int, dict]:
    """The status and the first event of the stream of a session nobody opened (Gradio alone breaks the stream off
    after it)."""
    with httpx.stream("GET", url.rstrip("/") + STREAM, params={"session_hash": "nobody-here"}, timeout=10) as answer:
        first = next(line for line in answer.iter_lines() if line.startswith("data: "))
        return answer.status_code, json.loads(first[len("data: "):])


def without_message(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "message"}


def test_gradio_alone_answers_with_the_same_event_and_logs_a_traceback(capfd):
    """Why the middleware exists, and that its event is Gradio's own (so that the page's client takes it as
    Gradio's): a Gradio that changes either shows here."""
    import gradio as gr

    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Button().click(lambda: None)
    demo.queue().launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        capfd.readouterr()
        status, gradios = not_found_from(demo.local_url)
        time.sleep(0.5)  # the traceback is logged after the answer
        assert "Traceback" in capfd.readouterr().err
    finally:
        demo.close()
    sent, _ = run(STREAM, b"session_hash=nobody-here")
    ours = json.loads(sent[1]["body"].decode()[6:])
    assert status == 200 and gradios.keys() == ours.keys() and without_message(gradios) == without_message(ours)


def test_the_app_answers_an_unknown_session_s_stream_without_a_traceback(app_url, capfd):
    capfd.readouterr()
    status, event = not_found_from(app_url)
    time.sleep(0.5)
    assert status == 200 and event["session_not_found"] and event["message"] == EN["error.session"]
    assert "Traceback" not in capfd.readouterr().err

"""The one module that reads Gradio's and uvicorn's internals: its version check, its guarded connections (served by
Gradio's own launch), and its reading of Gradio's queue, each against what Gradio itself does."""
import importlib
import importlib.metadata
import socket
import sys

import pytest
import uvicorn.config

from harness import Session, events, pad_data
from mnist_cnn.strokes import draw_strokes
from web import gradio_internals
from web.widgets import data_url


def test_another_gradio_version_is_refused_with_one_sentence(monkeypatch):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "gradio" else real(name))
    monkeypatch.delitem(sys.modules, "web.gradio_internals")
    with pytest.raises(ImportError, match="was written for"):
        importlib.import_module("web.gradio_internals")
    monkeypatch.setitem(sys.modules, "web.gradio_internals", gradio_internals)


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
    import httpx

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

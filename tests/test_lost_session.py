"""A stream asked for a session the process does not hold (web/lost_session.py): Gradio's own answer, said by the
door without the traceback Gradio logs for it."""
import json
import time

import httpx

from harness import free_port
from web.lost_session import STREAM, not_found
from web.text import EN, ES


def test_the_event_is_gradio_s_own_for_an_unknown_session_in_the_sender_s_language():
    body = not_found("es").decode()
    assert body.startswith("data: ") and body.endswith("\n\n")
    assert json.loads(body[6:]) == {"msg": "unexpected_error", "event_id": None, "message": ES["error.session"],
                                    "session_not_found": True, "success": False}


def not_found_from(url: str) -> tuple[int, dict]:
    """The status and the first event of the stream of a session nobody opened (Gradio alone breaks the stream off
    after it)."""
    with httpx.stream("GET", url.rstrip("/") + STREAM, params={"session_hash": "nobody-here"}, timeout=10) as answer:
        first = next(line for line in answer.iter_lines() if line.startswith("data: "))
        return answer.status_code, json.loads(first[len("data: "):])


def without_message(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "message"}


def test_gradio_alone_answers_with_the_same_event_and_logs_a_traceback(capfd):
    """Why the door answers it, and that its event is Gradio's own (so that the page's client takes it as
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
    ours = json.loads(not_found().decode()[6:])
    assert status == 200 and gradios.keys() == ours.keys() and without_message(gradios) == without_message(ours)


def test_the_app_answers_an_unknown_session_s_stream_without_a_traceback(app_url, capfd):
    capfd.readouterr()
    status, event = not_found_from(app_url)
    time.sleep(0.5)
    assert status == 200 and event["session_not_found"] and event["message"] == EN["error.session"]
    assert "Traceback" not in capfd.readouterr().err

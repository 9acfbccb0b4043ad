"""A stream asked for a session this process does not hold (its process was lost behind nginx, or the client made it
up) gets Gradio's own answer, "session not found", without the traceback Gradio 6.31 prints to the log for each one.
"""
import json
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from .i18n import t

STREAM = "/gradio_api/queue/data"  # where the page reads a session's answers: ?session_hash=...


def not_found() -> bytes:
    """The one Server-Sent Event Gradio sends for an unknown session (its client then takes the session as lost)."""
    message = {"msg": "unexpected_error", "event_id": None, "message": t("error.session"),
               "session_not_found": True, "success": False}
    return f"data: {json.dumps(message, ensure_ascii=False)}\n\n".encode()


class UnknownSession:
    """ASGI middleware: a GET of the queue's stream for a session_hash that has nothing on its way in this process is
    answered here, as Gradio answers it (200, one "unexpected_error" event with session_not_found), and ends.
    Gradio raises an HTTPException inside its stream for it, after the response has started, and logs a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == STREAM:
            sessions = parse_qs(scope["query_string"].decode("latin-1")).get("session_hash")
            # scope["app"] is Gradio's App; its queue's sessions with events on their way are Gradio's own check
            # (gradio.routes queue_data), which has no public form
            if sessions and sessions[0] not in scope["app"].get_blocks()._queue.pending_messages_per_session:
                body = not_found()
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"text/event-stream; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode()),
                                        (b"cache-control", b"no-cache")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

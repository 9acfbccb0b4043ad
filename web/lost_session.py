"""The answer to a stream asked for a session this process does not hold (its process was lost behind nginx, or the
client made it up): Gradio's own "session not found" event, which the page's client takes as a lost session, said
by the door without the traceback Gradio 6.31 logs for each one."""
import json

from starlette.types import Send

from .i18n import t

STREAM = "/gradio_api/queue/data"  # where the page reads a session's answers: ?session_hash=...


def not_found(lang: str = "en") -> bytes:
    """The one Server-Sent Event Gradio sends for an unknown session."""
    message = {"msg": "unexpected_error", "event_id": None, "message": t("error.session", lang),
               "session_not_found": True, "success": False}
    return f"data: {json.dumps(message, ensure_ascii=False)}\n\n".encode()


async def answer(send: Send, lang: str = "en") -> None:
    """Send that event as the whole answer (200, as Gradio answers it), and end it."""
    body = not_found(lang)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-cache")]})
    await send({"type": "http.response.body", "body": body})

"""A guard in front of Gradio's routes that run events: bodies are bounded, and files named in them must lie in
Gradio's upload folder. Gradio itself refuses such requests too, but with a generic "Error" and a traceback in the
log for each; here they get one sentence and cost nothing. The handlers check every value again (inputs.py).
"""
import json
import os

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .i18n import t

MAX_BODY = 1_500_000  # bytes: a pad's data URL (at most 1 MB) and its JSON wrapping; uploads go to /upload instead
OPEN_ROUTES = ("/gradio_api/upload",)  # multipart files, bounded by launch(max_file_size=...)


def files_outside(value: object, folder: str, depth: int = 0) -> bool:
    """Whether value names, anywhere inside it, a file ({"path": ...}, as Gradio marks files, with or without its
    "meta") outside folder; or nests deeper than any page sends."""
    if depth > 20:
        return True
    if isinstance(value, dict) and "path" in value:
        path = value["path"]
        return not isinstance(path, str) or not os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)
    if isinstance(value, dict):
        return any(files_outside(v, folder, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(files_outside(v, folder, depth + 1) for v in value)
    return False


class Door:
    """ASGI middleware: POSTs to /gradio_api/... with a body over MAX_BODY get 413, and with a file outside the
    upload folder get 400, each with one English sentence (the page never sends either)."""

    def __init__(self, app: ASGIApp, upload_folder: str) -> None:
        self.app, self.folder = app, upload_folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/gradio_api/") \
                or scope["path"].startswith(OPEN_ROUTES):
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:  # read it all, but never more than MAX_BODY + 1 bytes of it
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                return await JSONResponse({"error": t("error.too_large")}, 413)(scope, receive, send)
        if body[:1] in (b"{", b"["):
            try:
                if files_outside(json.loads(body), self.folder):
                    return await JSONResponse({"error": t("error.not_uploaded")}, 400)(scope, receive, send)
            except (ValueError, RecursionError):
                return await JSONResponse({"error": t("error.request")}, 400)(scope, receive, send)
        sent = False

        async def replay() -> dict:  # the body once more, for Gradio; then whatever the client sends next
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replay, send)

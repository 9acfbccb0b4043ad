"""A guard in front of Gradio's routes that run events: bodies are bounded, files named in them must lie in Gradio's
upload folder, and a queue join must send each input a value the page can send there. Refused here, a request costs
next to nothing; past here, Gradio makes it a session and a job before a handler refuses it (inputs.py)."""
import json
import math
import os

import gradio as gr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .i18n import t

MAX_BODY = 1_500_000  # bytes: a pad's data URL (at most 1 MB) and its JSON wrapping; uploads go to /upload instead
OPEN_ROUTES = ("/gradio_api/upload",)  # multipart files, bounded by launch(max_file_size=...)
JOIN = "/gradio_api/queue/join"  # where the page sends its events: all inputs, in order, and the event's fn_index
# The page makes no deep links, and Gradio's route for them writes a file to the upload folder on every call
CLOSED_ROUTES = ("/gradio_api/deep_link",)


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


def number(value: object) -> bool:
    """Whether value is a finite JSON number (not a bool, which Python counts as one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def whole(value: object) -> bool:
    """Whether value is an int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def fits(component: gr.components.Component, value: object, longest: dict[str, int] | None = None) -> bool:
    """Whether value is one the page can send for this input component: None (nothing yet), a number in a slider's
    range, one of a radio's choices, a file payload, a string for HTML (at most longest[its elem_id] characters,
    if given). Gradio never reads what is sent for a State, and other components are left to their handlers."""
    if value is None or isinstance(component, gr.State):
        return True
    if isinstance(component, gr.Slider):
        return number(value) and component.minimum <= value <= component.maximum
    if isinstance(component, gr.Radio):
        return not isinstance(value, bool) and any(value == choice for _, choice in component.choices)
    if isinstance(component, (gr.File, gr.UploadButton)):
        return isinstance(value, dict) and "path" in value  # where the path points: files_outside
    if isinstance(component, gr.HTML):
        return isinstance(value, str) and len(value) <= (longest or {}).get(component.elem_id, len(value))
    return True


def fits_event(blocks: gr.Blocks, body: object, longest: dict[str, int] | None = None) -> bool:
    """Whether a queue join names an event of the page and sends it a value that fits each of its inputs (and, to
    an event that takes the picked item, a whole-number index)."""
    if not isinstance(body, dict) or type(body.get("fn_index")) is not int:
        return False
    fn, data = blocks.fns.get(body["fn_index"]), body.get("data")
    # fn.fn is None for an event the browser runs alone (Undo, Clear's cancelling): the page never sends those here
    if fn is None or fn.fn is None or not isinstance(data, list) or len(data) != len(fn.inputs):
        return False
    picked = body.get("event_data")
    if fn.collects_event_data and isinstance(picked, dict):
        index = picked.get("index")
        if not (index is None or whole(index) or isinstance(index, list) and all(map(whole, index))):
            return False
    return all(fits(component, value, longest) for component, value in zip(fn.inputs, data))


class Door:
    """ASGI middleware: the routes the page never uses (CLOSED_ROUTES) get 404; POSTs to /gradio_api/... with a body
    over MAX_BODY get 413; with a file outside the upload folder, or a queue join with a value its event's input
    never gets from the page, 400; each with one English sentence (the page never sends any of them). longest: the
    most characters the page sends to an HTML input, by its elem_id."""

    def __init__(self, app: ASGIApp, upload_folder: str, longest: dict[str, int] | None = None) -> None:
        self.app, self.folder, self.longest = app, upload_folder, longest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in CLOSED_ROUTES:
            return await JSONResponse({"error": t("error.closed")}, 404)(scope, receive, send)
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
                request = json.loads(body)
                if files_outside(request, self.folder):
                    return await JSONResponse({"error": t("error.not_uploaded")}, 400)(scope, receive, send)
            except (ValueError, RecursionError):
                return await JSONResponse({"error": t("error.request")}, 400)(scope, receive, send)
            # scope["app"] is Gradio's own app (Starlette puts itself there before its middleware runs)
            if scope["path"].rstrip("/") == JOIN and not fits_event(scope["app"].get_blocks(), request, self.longest):
                return await JSONResponse({"error": t("error.value")}, 400)(scope, receive, send)
        sent = False

        async def replay() -> dict:  # the body once more, for Gradio; then whatever the client sends next
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replay, send)

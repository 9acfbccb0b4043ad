"""The one place every request passes before Gradio: only the page's and the public API's routes, bodies read as
Gradio will read them and checked against what the page sends, a fair share of the queue and of uploads for each
client, safe headers on every answer, and one sentence (never a traceback) for whatever is refused."""
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import gradio as gr
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mnist_cnn.inputs import MAX_PATH
from mnist_cnn.own_model import MAX_BYTES as MAX_UPLOAD

from . import gradio_internals, lost_session
from .i18n import TEXTS, language, t
from .registry import STEPS

MAX_BODY = 1_500_000  # bytes of an event's JSON: a pad's data URL (at most 1 MB) and its wrapping
MULTIPART_SLACK = 64 * 1024  # an upload's body: its file, and the part's boundary and headers
STEP_IDS = tuple(step.id for step in STEPS)  # what ?step= may ask for
LANGUAGES = tuple(TEXTS)  # and ?lang=
JOIN = "/gradio_api/queue/join"  # where the page sends its events
UPLOAD_FIELD = "files"  # the one part of an upload, as Gradio's page and client name it
SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the page's random session hash (gradio_client's: a uuid)
EVENT_ID = re.compile(r"[0-9a-f]{32}")  # Gradio's event ids
# The routes the page and the public API use, by method; every other one is refused. Gradio also serves running
# any event outside the queue (/run, /api), the API's other calls (/call/<name> of the page's private events,
# /call/v2), MCP, monitoring, deep links, login and proxying routes, none of which the page uses.
ROUTES = {
    "GET": re.compile(r"/|/config/?|/theme\.css|/favicon\.ico|/manifest\.json|/robots\.txt|/(assets|static|svelte)/.+"
                      r"|/gradio_api/(info|app_id|startup-events|queue/data)/?|/gradio_api/heartbeat/[^/]+"
                      r"|/gradio_api/call/predict/[^/]+|/gradio_api/file=.+"),
    "POST": re.compile(r"/gradio_api/(queue/join|cancel|upload|call/predict)/?"),
}
ROUTES["HEAD"] = ROUTES["GET"]
# At most this many events of one session, and of one client address, waiting or running. A pen-up and the
# experiments after it are 2, a slider moved while the pen moves a few more; a class of 30 behind one school router,
# about 60. Gradio's queue holds 256 (app.py), so no single client can fill it and refuse a visitor's pen-up. A
# trusted proxy's own address (gradio_internals.trusted: this machine, unless --share) has no per-address limits.
PER_SESSION = 8
PER_CLIENT = 96
# Uploads of one client address: a burst of UPLOAD_BURST (a class uploading its networks at once), then one every
# UPLOAD_EVERY seconds. A flood of 5 MB uploads then writes at most 2.5 MB/s, which the folder's cleaning removes.
UPLOAD_BURST = 40
UPLOAD_EVERY = 2.0
# A Content-Security-Policy the page passes: Gradio's page runs inline scripts and styles, and shows pictures as
# data: URLs; nothing is loaded from another site. frame-ancestors lets a Hugging Face Space embed it.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
       "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'self' https://huggingface.co https://*.hf.space")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", CSP.encode()),
           (b"referrer-policy", b"same-origin")]
log = logging.getLogger(__name__)  # one line a second of each kind (quiet_log)


def files_outside(value: object, folder: str, depth: int = 0) -> bool:
    """Whether value names, anywhere inside it, a file ({"path": ...}, as Gradio marks files, with or without its
    "meta") outside folder, or one not in the shape Gradio's page sends; or nests deeper than any page sends."""
    if depth > 20:
        return True
    if isinstance(value, dict) and "path" in value:
        path = value["path"]
        return not is_file_payload(value) or not os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)
    if isinstance(value, dict):
        return any(files_outside(v, folder, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(files_outside(v, folder, depth + 1) for v in value)
    return False


# What Gradio's page and client send for a file, key by key: anything else is no file of theirs
FILE_KEYS = {"path": str, "url": (str, type(None)), "orig_name": (str, type(None)), "size": (int, type(None)),
             "mime_type": (str, type(None)), "is_stream": bool, "meta": dict}
FILE_META = {"_type": "gradio.FileData"}


def is_file_payload(value: dict) -> bool:
    """Whether a {"path": ...} is a file as Gradio sends one: known keys of the right types (no bool for a number),
    a path of at most MAX_PATH characters, and a "meta", if any, that says gradio.FileData."""
    for key, item in value.items():
        kinds = FILE_KEYS.get(key)
        if kinds is None or not isinstance(item, kinds) or isinstance(item, bool) and key != "is_stream":
            return False
    return 0 < len(value["path"]) <= MAX_PATH and value.get("meta", FILE_META) == FILE_META


def number(value: object) -> bool:
    """Whether value is a JSON number that is finite (ints of any size compared exactly, never as floats)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or isinstance(value, float) and math.isfinite(value)


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
        return isinstance(value, dict) and "path" in value and is_file_payload(value)
    if isinstance(component, gr.HTML):
        return isinstance(value, str) and len(value) <= (longest or {}).get(component.elem_id, len(value))
    return True


def fits_picked(picked: object) -> bool:
    """Whether an event's data is one the page sends: nothing, or a dict whose numbers ("index", the pad's "n") are
    whole (or lists of them) and short."""
    if picked is None:
        return True
    if not isinstance(picked, dict):
        return False
    for key in ("index", "n"):
        value = picked.get(key)
        if not (value is None or whole(value) and abs(value) <= 2 ** 53
                or isinstance(value, list) and len(value) <= 2 and all(whole(v) and abs(v) <= 2 ** 53 for v in value)):
            return False
    return True


def fits_event(blocks: gr.Blocks, body: object, longest: dict[str, int] | None = None) -> bool:
    """Whether a queue join names an event of the page that runs on the server, from a session the page could
    have, and sends it a value that fits each of its inputs (and event data the page sends)."""
    if not isinstance(body, dict) or type(body.get("fn_index")) is not int:
        return False
    fn, data = blocks.fns.get(body["fn_index"]), body.get("data")
    # fn.fn is None for an event the browser runs alone (Undo, Clear's cancelling): the page never sends those here
    if fn is None or fn.fn is None or not isinstance(data, list) or len(data) != len(fn.inputs):
        return False
    if not (isinstance(body.get("session_hash"), str) and SESSION.fullmatch(body["session_hash"])):
        return False
    if not fits_picked(body.get("event_data")):
        return False
    return all(fits(component, value, longest) for component, value in zip(fn.inputs, data))


def fits_call(blocks: gr.Blocks, body: object, api_name: str) -> bool:
    """Whether a call of the public API (/call/<api_name>) sends its event a value for each of its inputs."""
    fn = next((f for f in blocks.fns.values() if f.api_name == api_name and f.fn is not None), None)
    if fn is None or not isinstance(body, dict) or not set(body) <= {"data", "session_hash", "event_data"}:
        return False
    data = body.get("data")
    return isinstance(data, list) and len(data) == len(fn.inputs) and \
        all(fits(component, value) for component, value in zip(fn.inputs, data))


def fits_cancel(blocks: gr.Blocks, body: object) -> bool:
    """Whether a cancel names a session, an event id and an event of the page, as the page sends them."""
    return isinstance(body, dict) and isinstance(body.get("session_hash"), str) and \
        bool(SESSION.fullmatch(body["session_hash"])) and isinstance(body.get("event_id"), str) and \
        bool(EVENT_ID.fullmatch(body["event_id"])) and type(body.get("fn_index")) is int and \
        body["fn_index"] in blocks.fns


def upload_parts(body: bytes, content_type: str) -> list[dict[str, str]] | None:
    """The Content-Disposition parameters of each part of a multipart body, or None if it is not one."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        return None
    parts, header = [], {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] = header.get("field", b"") + data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] = header.get("value", b"") + data[start:end]

    def on_header_end() -> None:
        if header.get("field", b"").lower() == b"content-disposition":
            _, params = parse_options_header(header.get("value", b""))
            parts[-1].update({k.decode("latin-1"): v.decode("latin-1") for k, v in params.items()})
        header.clear()

    parser = MultipartParser(boundary, {"on_part_begin": lambda: parts.append({}), "on_header_field": on_header_field,
                                        "on_header_value": on_header_value, "on_header_end": on_header_end})
    try:
        parser.write(body)
        parser.finalize()
    except Exception:  # any malformed multipart body: python-multipart raises several kinds
        return None
    return parts


class Bucket:
    """A token bucket per client address: burst tokens, one more every `every` seconds."""

    def __init__(self, burst: int, every: float) -> None:
        self.burst, self.every, self.tokens = burst, every, {}  # address -> (tokens, when counted)

    def take(self, address: str) -> bool:
        """Whether address may go on now (and one token is spent)."""
        now = time.monotonic()
        tokens, then = self.tokens.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) / self.every)
        if len(self.tokens) > 10_000:  # forget the full ones: a bucket at its burst is the same as none
            self.tokens = {a: (n, w) for a, (n, w) in self.tokens.items() if n + (now - w) / self.every < self.burst}
        if tokens < 1:
            self.tokens[address] = (tokens, now)
            return False
        self.tokens[address] = (tokens - 1, now)
        return True


class LostSession(Exception):
    """A stream asked for a session this process does not hold: answered as Gradio answers it (lost_session)."""


class Refusal(Exception):
    """A request the door refuses: its status and the key of its sentence in text.py."""

    def __init__(self, status: int, key: str, **values) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


def client_address(scope: Scope) -> str | None:
    """The sender's address as uvicorn put it in the scope (behind a trusted proxy: the one it forwards)."""
    return (scope.get("client") or (None, 0))[0]


def client_language(scope: Scope) -> str:
    """The language of a request's sender, from its Accept-Language header (the page's own languages only)."""
    header = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
    return language(header.split(",")[0].strip())


class Door:
    """ASGI middleware in front of Gradio's app: each request is checked as the module says before Gradio sees it;
    a refusal gets its status and one sentence in the sender's language, and an answer that Gradio would end in a
    traceback gets one too. longest: the most characters the page sends to an HTML input, by its elem_id."""

    def __init__(self, app: ASGIApp, upload_folder: str, longest: dict[str, int] | None = None) -> None:
        self.app, self.folder, self.longest = app, upload_folder, longest
        self.uploads = Bucket(UPLOAD_BURST, UPLOAD_EVERY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the page opens none
            return await send({"type": "websocket.close", "code": 1008})
        if scope["type"] != "http":  # the lifespan
            return await self.app(scope, receive, send)
        started, address = False, client_address(scope)

        async def guarded(message: Message) -> None:  # the door's headers on every answer
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        async def answered(message: Message) -> None:  # Gradio's answer: a join it took puts a new event in line
            if message["type"] == "http.response.start" and message["status"] == 200 and \
                    scope["path"].rstrip("/") == JOIN:
                gradio_internals.take_turns(scope["app"].get_blocks())  # before the client hears of its event
            await guarded(message)
        try:
            if gradio_internals.STRIKES_BY_ADDRESS.shut_out(address):
                raise Refusal(429, "error.shut_out", seconds=gradio_internals.SHUT_OUT_SECONDS)
            receive = await self.check(scope, receive)
            await self.app(scope, receive, answered)
        except LostSession:
            await lost_session.answer(guarded, client_language(scope))
        except Refusal as refusal:
            if refusal.status != 429:  # a fair share's refusal may come to a real page; the others never do
                gradio_internals.STRIKES_BY_ADDRESS.strike(address)
            log.warning("refused %s %.80s: %s", scope["method"], scope["path"], refusal.key, extra={"kind": refusal.key})
            if not started:
                await self.refuse(scope, guarded, refusal)
        except Exception as e:  # Gradio's answer to something a client sent, ended in an error: one line, no traceback
            log.warning("%s answering %s %.80s", type(e).__name__, scope["method"], scope["path"],
                        extra={"kind": type(e).__name__})
            if not started:
                await self.refuse(scope, guarded, Refusal(400, "error.request"))

    async def refuse(self, scope: Scope, send: Send, refusal: Refusal) -> None:
        """The refusal's status and sentence, as JSON."""
        sentence = t(refusal.key, client_language(scope), **refusal.values)
        await JSONResponse({"error": sentence}, refusal.status)(scope, lambda: None, send)

    async def check(self, scope: Scope, receive: Receive) -> Receive:
        """The request checked (Refusal if it fails); the receive function that gives Gradio its body again."""
        method, path = scope["method"], scope["path"]
        if method not in ROUTES or not ROUTES[method].fullmatch(path):
            raise Refusal(404, "error.closed")
        blocks = scope["app"].get_blocks()  # Gradio's own app: Starlette puts itself there before its middleware
        if method != "POST":
            self.check_stream(blocks, path, scope.get("query_string", b""))
            return receive
        route = path.removeprefix("/gradio_api/").rstrip("/")
        if route == "upload":
            return await self.check_upload(scope, receive)
        body = await read_body(receive, MAX_BODY)
        try:  # exactly as Gradio will read it (FastAPI: json.loads of the bytes, which finds UTF-8, -16 or -32)
            request = json.loads(body)
        except (ValueError, RecursionError):  # ints too long for Python to read are a ValueError too
            raise Refusal(400, "error.request") from None
        if files_outside(request, self.folder):
            raise Refusal(400, "error.not_uploaded")
        fits_route: dict[str, Callable[[], bool]] = {
            "queue/join": lambda: fits_event(blocks, request, self.longest),
            "cancel": lambda: fits_cancel(blocks, request),
            "call/predict": lambda: fits_call(blocks, request, "predict")}
        if not fits_route[route]():
            raise Refusal(400, "error.value")
        if route == "queue/join":
            self.check_share(blocks, request["session_hash"], scope)
        return replay(body, receive)

    def check_stream(self, blocks: gr.Blocks, path: str, query: bytes) -> None:
        """A stream of a session's or an event's answers is opened only for one the queue knows (an unknown but
        well-formed session gets Gradio's own "not found", which the page takes as a lost session)."""
        if path.rstrip("/") == lost_session.STREAM:
            sessions = parse_qs(query.decode("latin-1")).get("session_hash", [])
            if len(sessions) != 1 or not SESSION.fullmatch(sessions[0]):
                raise Refusal(404, "error.session")
            if not gradio_internals.is_session(blocks, sessions[0]):
                raise LostSession()
        elif path == "/":
            self.check_address(query)
        elif path.startswith("/gradio_api/call/predict/"):
            if not gradio_internals.is_event(blocks, path.rstrip("/").rsplit("/", 1)[1]):
                raise Refusal(404, "error.session")
        elif path.startswith("/gradio_api/heartbeat/") and not SESSION.fullmatch(path.rstrip("/").rsplit("/", 1)[1]):
            raise Refusal(404, "error.session")

    @staticmethod
    def check_address(query: bytes) -> None:
        """The page's own address may ask for a step (?step=<id>) and a language (?lang=en|es), once each, and
        nothing else by those names; other names are Gradio's (?view=api) or nobody's, and are left alone."""
        asked = parse_qs(query.decode("latin-1"), keep_blank_values=True)
        if "step" in asked and (len(asked["step"]) != 1 or asked["step"][0] not in STEP_IDS):
            raise Refusal(400, "error.step", steps=", ".join(STEP_IDS))
        if "lang" in asked and (len(asked["lang"]) != 1 or asked["lang"][0] not in LANGUAGES):
            raise Refusal(400, "error.lang")

    def check_share(self, blocks: gr.Blocks, session: str, scope: Scope) -> None:
        """A session, and a client address, may have only so many events waiting or running."""
        address = client_address(scope)
        mine = ours = 0
        for their_session, their_address in gradio_internals.jobs(blocks):
            mine += their_session == session
            ours += their_address == address
        if mine >= PER_SESSION or ours >= PER_CLIENT and not gradio_internals.trusted(address):
            raise Refusal(429, "error.busy")

    async def check_upload(self, scope: Scope, receive: Receive) -> Receive:
        """An upload: one file, no other field, at most MAX_UPLOAD bytes, within its client's share."""
        address = client_address(scope) or "?"
        if not gradio_internals.trusted(address) and not self.uploads.take(address):
            raise Refusal(429, "error.uploads")
        body = await read_body(receive, MAX_UPLOAD + MULTIPART_SLACK)
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1")
        parts = upload_parts(body, content_type)
        if parts is None or len(parts) != 1 or parts[0].get("name") != UPLOAD_FIELD or "filename" not in parts[0]:
            raise Refusal(400, "error.upload")
        return replay(body, receive)


async def read_body(receive: Receive, limit: int) -> bytes:
    """A request's whole body, refused as soon as it passes limit bytes (its time is bounded by the connection's
    deadline, gradio_internals.REQUEST_SECONDS)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal(400, "error.request")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refusal(413, "error.too_large", limit=limit / 1e6)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive function that gives the body once more, then whatever the client sends next (its disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return again

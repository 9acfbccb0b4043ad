"""An outside red team's floods against `python app.py`, re-run for two checkouts side by side (--old, a git revision
checked out into a temporary worktree, and --new, a folder): for each flood, a fresh server on a free loopback port,
with an upload folder of its own, and a visitor drawing a digit every PAUSE s. Printed: the visitor's pen-up p50
before the flood and p50/p95 during it, the server's peak memory and open files, the log lines and bytes it wrote, its
tracebacks and its bare "Error" answers (from the flood's start to DRAIN s after its end), then the flood's own figures.
Floods: fuzz, run-predict, pickles, images, slowloris, uploads, queue (each function's docstring says what it sends).
Every loop is bounded in count and time, and clients use 127.0.0.0/8 only.

Run from the repository root: `python -m bench.bench_red_team` (`--only fuzz`, `--seconds 10`, `--old REV --new PATH`).
"""
import base64
import collections
import contextlib
import dataclasses
import io
import json
import os
import pickle
import random
import select
import selectors
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import torch
from PIL import Image
from tqdm import tqdm

from bench.bench_load import PadUser, frames, pad_events
from bench.common import arguments, dev_samples, quantile, rss_mb
from harness import REPO, VERIFY, Session, events, pad_data, serving
from mnist_cnn.inputs import PNG_URL

OLD = "45ed72f"  # the code the red team attacked
BASELINE = 5  # drawings the visitor makes before a flood (after one to warm up)
PAUSE = 0.5  # seconds from the start of one of the visitor's drawings to the next
MOST_DRAWINGS = 500  # the visitor's drawings during one flood, at most
DRAIN = 2.0  # seconds after a flood before the server's log and its peaks are read
SAMPLE = 0.1  # seconds between two readings of the server's memory and open files
STREAM = 10.0  # seconds the fuzz waits for the answer of one request
CRAFTED_TIMEOUT = 60.0  # seconds a crafted image or network may take to be answered
CUT = "[cut off]"  # marks an answer the server broke off (what came before it is kept)
HALF_SENT, MOST_CONNECTIONS = 500, 3000  # slowloris: requests whose headers never end, then bare connections
PER_ADDRESS = 500  # slowloris: connections from each source address (127.0.0.2, 127.0.0.3, ...)
CUT_UPLOADS, CUT_AFTER = 50, 1_000_000  # uploads broken off after this many bytes of a 5 MB file
TEXT_FIELD, CHUNK = 200_000_000, 1_000_000  # bytes of the huge text field, sent a chunk at a time
FILE_BYTES, FILES = 5_000_000, 100  # one request with 100 files of 5 MB (the app's max_file_size)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# The two checkouts and their servers

@contextlib.contextmanager
def checkout(rev: str):
    """A detached worktree of this repository at rev, in a temporary folder; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="red_team_") as folder:
        path = Path(folder) / "app"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), rev], check=True,
                       capture_output=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], capture_output=True)


@dataclasses.dataclass
class Server:
    """A running `python app.py`: its process, address, log file and upload folder (its GRADIO_TEMP_DIR)."""
    process: subprocess.Popen
    url: str
    log: Path
    uploads: Path

    @property
    def api(self) -> str:
        return self.url + "gradio_api"

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])


@contextlib.contextmanager
def served(app: Path):
    """`python app.py` of the checkout app, with an upload folder of its own and its output in a log file."""
    with tempfile.TemporaryDirectory(prefix="red_team_server_") as folder:
        log, uploads = Path(folder) / "server.log", Path(folder) / "uploads"
        # PYTHONUNBUFFERED: what the server prints reaches the log as it prints it, not when it stops
        env = {"GRADIO_TEMP_DIR": str(uploads), "PYTHONUNBUFFERED": "1"}
        with open(log, "wb") as out, serving("app.py", cwd=app, env=env, log=out) as (process, url):
            yield Server(process, url, log, uploads)


class Peaks:
    """The server's largest resident memory (MB) and count of open files (/proc/<pid>/fd), every SAMPLE seconds."""

    def __init__(self, pid: int):
        self.pid, self.rss, self.fds, self.done = pid, 0.0, 0, threading.Event()
        self.watcher = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        while True:
            with contextlib.suppress(OSError, StopIteration):  # the process is gone, or exiting
                self.rss = max(self.rss, rss_mb(self.pid))
                self.fds = max(self.fds, len(os.listdir(f"/proc/{self.pid}/fd")))
            if self.done.wait(SAMPLE):
                return

    def __enter__(self):
        self.watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.watcher.join()


# What the server answered

def says_nothing(value: object) -> bool:
    """Whether a JSON answer is Gradio's error without a word ({"error": null}, which the page shows as "Error"), as
    a body or inside a queue's final message."""
    if isinstance(value, dict) and value.get("msg") == "process_completed":
        return not value.get("success") and says_nothing(value.get("output") or {"error": None})
    return isinstance(value, dict) and "error" in value and not value["error"]


def bare_error(status: int, text: str) -> bool:
    """Whether an answer (a body, or the lines of an event stream) says only that something failed: a bare 500, or
    Gradio's {"error": null}, in a body, a queue message or a /call stream's error event."""
    if status >= 500 and text.strip() in ("", "Internal Server Error"):
        return True
    with contextlib.suppress(ValueError):
        return says_nothing(json.loads(text))
    event = None
    for line in text.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            with contextlib.suppress(ValueError):
                value = json.loads(line[5:])
                if says_nothing(value) or (value is None and event == "error"):
                    return True
    return False


def outcome(status: int | None, text: str) -> str:
    """An answer in a few words: its status, and whether it was a bare error or cut off."""
    if status is None:
        return "no answer"
    return " ".join([str(status), *(["bare Error"] if bare_error(status, text) else []),
                     *(["cut off"] if CUT in text else [])])


class Tally:
    """The answers to a flood's requests, by kind of request: counts of each outcome, and the bare errors."""

    def __init__(self):
        self.lock, self.kinds = threading.Lock(), collections.defaultdict(collections.Counter)

    def add(self, kind: str, status: int | None, text: str) -> str:
        said = outcome(status, text)
        with self.lock:
            self.kinds[kind][said] += 1
        return said

    def expect(self, kinds: list[str]) -> None:
        """List these kinds first, in this order."""
        for kind in kinds:
            self.kinds[kind]

    def message(self, kind: str, message: dict) -> str:
        """Count a queue call's final message, or its refusal at the join (harness.join's {"status": ...})."""
        if "status" in message:
            return self.add(kind, message["status"], message.get("output") or "")
        return self.add(kind, 200, json.dumps(message))

    @property
    def bare(self) -> int:
        return sum(n for counts in self.kinds.values() for said, n in counts.items() if "bare Error" in said)

    def rows(self) -> dict[str, str]:
        """Each kind's outcomes, most frequent first: {kind: "500 ×12, 200 ×3"}."""
        return {"  " + kind: ", ".join(f"{said} ×{n}" for said, n in counts.most_common()) for kind, counts in
                self.kinds.items()}


def request(client: httpx.Client, method: str, url: str, seconds: float = STREAM, **options) -> tuple:
    """(status, text) of one request, the body read for at most `seconds`; an event stream is read up to its final
    message. (None, error) if nothing came back; text ends with CUT if the server broke it off."""
    lines, status, end = [], None, time.perf_counter() + seconds
    try:
        with client.stream(method, url, timeout=seconds, **options) as answer:
            status, event = answer.status_code, None
            for line in answer.iter_lines():
                lines.append(line)
                event = line[6:].strip() if line.startswith("event:") else event
                final = line.startswith("data:") and (event in ("complete", "error") or any(
                    k in line for k in ('"process_completed"', '"close_stream"', '"unexpected_error"')))
                if final or time.perf_counter() > end:
                    break
    except httpx.TimeoutException:
        pass  # an answer still on its way: what came so far
    except httpx.HTTPError as e:
        if status is None:
            return None, type(e).__name__
        lines.append(CUT)
    return status, "\n".join(lines)


def followed(client: httpx.Client, server: Server, method: str, path: str, session: str | None = None,
             **options) -> tuple:
    """(status, text) of a request, and of the stream that carries its answer if it started an event: the queue's
    stream for a join (session's), /call/<name>/<event_id> for a /call/<name>."""
    status, text = request(client, method, server.api + path, **options)
    with contextlib.suppress(ValueError, AttributeError, TypeError, KeyError):  # no event started: a refusal
        event = json.loads(text)["event_id"]
        if path == "/queue/join":
            return request(client, "GET", server.api + "/queue/data", params={"session_hash": session})
        if path.startswith("/call/"):
            return request(client, "GET", f"{server.api}{path}/{event}")
    return status, text


def attacker(n: int = 0) -> httpx.Client:
    """The HTTP client of attacking client n: on an address of its own (127.0.0.2, 127.0.0.3, ...), apart from the
    visitor's 127.0.0.1, as distinct machines would be."""
    return httpx.Client(verify=VERIFY, transport=httpx.HTTPTransport(local_address=f"127.0.0.{2 + n % 32}"))


def loops(clients: int, seconds: float, most: int, work) -> int:
    """work(client, i) over and over on `clients` threads, each at most `most` times and until `seconds` have
    passed; how many calls were made."""
    deadline = time.perf_counter() + seconds

    def run(client: int) -> int:
        i = 0
        while i < most and time.perf_counter() < deadline:
            work(client, i)
            i += 1
        return i

    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(run, range(clients)))


# The visitor

class Recorded(Session):
    """A visitor's session that outlives a dropped stream or a lost answer, and keeps the pen-ups that failed."""

    def __init__(self, url: str, session: str, timeout: float, watched: int):
        super().__init__(url, session, timeout)
        self.watched, self.failed = watched, []

    def call(self, fn_index: int, data: list, event_data=None) -> dict:
        try:
            message = super().call(fn_index, data, event_data)
        except Exception as e:  # no answer in time, or no connection: the page would wait, or show nothing
            message = {"success": False, "status": None, "output": f"no answer ({type(e).__name__})"}
        if fn_index == self.watched and not message.get("success"):
            self.failed.append(message)
        return message

    def read(self) -> None:
        try:
            super().read()
        except Exception:  # the server dropped the stream: the next call opens another
            with self.lock:
                self.reader = None


class Visitor(PadUser):
    """A visitor drawing digits on the pad, one every PAUSE seconds, each sent at pen-up, as the page does."""

    def __init__(self, url: str, drawings: list[list[str]], timeout: float):
        fns = pad_events(url)
        super().__init__(url, fns, "visitor-" + uuid.uuid4().hex, timeout)
        self.session.http.close()
        self.session = Recorded(url, self.session.hash, timeout, fns[1])
        self.drawings, self.rng = drawings, random.Random(0)

    def keep_drawing(self, done: threading.Event, most: int) -> None:
        """Draw until done is set, at most `most` times."""
        for _ in range(most):
            if done.is_set():
                return
            start = time.perf_counter()
            self.draw(self.rng.choice(self.drawings), 0)
            done.wait(max(0.0, start + PAUSE - time.perf_counter()))

    def forget(self) -> None:
        self.results.clear()
        self.session.failed.clear()


def failed_bare(message: dict) -> bool:
    """Whether a pen-up that failed got a bare error (at the door: its status and body; else the queue's message)."""
    if "status" in message:
        return message["status"] is not None and bare_error(message["status"], message.get("output") or "")
    return says_nothing(message)


# The pieces the floods send

def filled(event: dict, values: dict[int, object]) -> list:
    """An event's data: values at their positions (negative from the end), None elsewhere."""
    data = [None] * len(event["inputs"])
    for position, value in values.items():
        data[position] = value
    return data


def joined(fn_index: int, data: list, session: str, event_data=None) -> str:
    """A queue join's body, as the page writes it."""
    return json.dumps({"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
                       "trigger_id": None})


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(side: int, colour: int, first: bytes = b"") -> bytes:
    """A side × side PNG of 1 bit a pixel, every pixel 0 (colour 3: paletted, 0 white; 0: grey, 0 black), with the
    chunk `first` before its IHDR."""
    row = b"\x00" * (1 + (side + 7) // 8)  # a row: its filter byte, then its pixels, 8 to a byte
    palette = chunk(b"PLTE", b"\xff\xff\xff\x00\x00\x00") if colour == 3 else b""
    return (PNG_SIGNATURE + first + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, colour, 0, 0, 0))
            + palette + chunk(b"IDAT", zlib.compress(row * side, 9)) + chunk(b"IEND", b""))


def png_behind_a_chunk(side: int = 13000, claimed: int = 280) -> str:
    """A PNG data URL for the pad whose first chunk, unknown (decoders skip it), holds claimed × claimed where the
    IHDR's width and height would be (bytes 16-24), before an IHDR of side × side, 1-bit paletted."""
    png = blank_png(side, 3, chunk(b"caNv", struct.pack(">II", claimed, claimed)))
    return PNG_URL + base64.b64encode(png).decode()


def ico_holding(side: int = 12000) -> bytes:
    """An ICO file whose one entry says 256 × 256 px (0 in its size bytes) and holds a side × side 1-bit PNG."""
    png = blank_png(side, 0)
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 6 + 16)  # after the 6-byte header and itself
    return struct.pack("<HHH", 0, 1, 1) + entry + png


def jpeg_scans_repeated(repeats: int = 20000, side: int = 1000) -> bytes:
    """A white side × side progressive JPEG whose last scan comes `repeats` times: every scan is a pass over the
    whole image for the decoder (~15 s at these sizes), and a scan of a white image takes ~12 bytes."""
    out = io.BytesIO()
    Image.new("L", (side, side), 255).save(out, "JPEG", progressive=True, quality=90)
    data = out.getvalue()
    # 0xFFDA (start of scan) and 0xFFD9 (end of image) are markers: 0xFF in the coded data is always followed by 0
    last, end = data.rindex(b"\xff\xda"), data.rindex(b"\xff\xd9")
    return data[:end] + data[last:end] * (repeats - 1) + data[end:]


def allocating_pickle(counter: bool, calls: int = 100, size: int = 4_999_999) -> bytes:
    """A state_dict-looking pickle (protocol 2, written opcode by opcode) of `calls` entries, each
    builtins.bytearray(size), or collections.Counter(bytearray(size)): calls the app allows, each a few bytes."""
    out = bytearray(b"\x80\x02}(")  # PROTO 2, EMPTY_DICT, MARK
    for i in range(calls):
        key = f"t{i}".encode()
        out += b"X" + struct.pack("<I", len(key)) + key  # BINUNICODE: the entry's name
        if counter:  # GLOBAL, then BINPUT to memo 0 the first time; BINGET from memo 0 afterwards
            out += b"ccollections\nCounter\nq\x00" if i == 0 else b"h\x00"
        out += b"cbuiltins\nbytearray\nq\x01" if i == 0 else b"h\x01"
        out += b"J" + struct.pack("<i", size) + b"\x85R"  # BININT size, TUPLE1, REDUCE: bytearray(size)
        if counter:
            out += b"\x85R"  # TUPLE1, REDUCE: Counter(that)
    return bytes(out + b"u.")  # SETITEMS, STOP


def legacy_pt(pickled: bytes) -> bytes:
    """A file in torch's legacy format (its magic number, protocol and system pickles first) holding pickled."""
    info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    head = [torch.serialization.MAGIC_NUMBER, 1001, info]
    return b"".join(pickle.dumps(x, protocol=2) for x in head) + pickled


def answered_after(took: dict[str, list[float]], kinds: list[str]) -> dict[str, object]:
    """Each kind's answered calls' p50 in seconds, "—" for none."""
    return {f"  {k}: answered after (s, p50)": statistics.median(took[k]) if took[k] else "—" for k in kinds}


def upload(client: httpx.Client, server: Server, name: str, content: bytes) -> tuple:
    """One file sent to Gradio's upload route: (the page's file value or None, status, text)."""
    status, text = request(client, "POST", server.api + "/upload", files={"files": (name, content)}, seconds=60)
    with contextlib.suppress(ValueError, IndexError, TypeError, KeyError):
        path = json.loads(text)[0]
        return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}, status, text
    return None, status, text


def page_events(url: str) -> dict:
    """The events the floods call, from the page's config: by (element id, event name), and "alone" (the first
    event the browser runs by itself)."""
    found = events(url)
    named = {e["on"]: e for e in found if e["on"] and e["backend"]}
    named["alone"] = next(e for e in found if not e["backend"])
    named["what-if"] = next(e for e in found if "slider" in e["inputs"] and e["on"] and e["on"][1] == "input")
    return named


# The floods: each takes the server, the options and the tally of answers; returns its own figures

def fuzz(server: Server, args, tally: Tally) -> dict:
    """Bodies that skip the door's checks (leading whitespace, a BOM, UTF-16), numbers of 401 digits, an empty
    session, streams and answers of events that never were, private and unknown names, a file with a bad "meta"."""
    page, big = page_events(server.url), 10 ** 400
    pad, slider, example = page[("draw", "drawn")], page["what-if"], page[("examples", "select")]
    bad_file = {"path": str(server.uploads / "x"), "meta": 5}
    at_slider = filled(slider, {slider["inputs"].index("slider"): big, -1: "en"})

    def probes(s: str) -> list[tuple]:  # (name, method, path, body, session)
        json_body = {"headers": {"content-type": "application/json"}}
        join = lambda name, body, session=s: (name, "POST", "/queue/join", body, session)  # noqa: E731
        return [
            join("join with a space first, to a browser-only event", " " + joined(page["alone"]["fn_index"], [], s)),
            join("join with a BOM first", "\ufeff" + joined(page["alone"]["fn_index"], [], s)),
            join("join in UTF-16", joined(page["alone"]["fn_index"], [], s).encode("utf-16")),
            join("join with a space first, a number for the drawing",
                 " " + joined(pad["fn_index"], filled(pad, {0: 7, -1: "en"}), s)),
            join("slider of 401 digits", joined(slider["fn_index"], at_slider, s)),
            join("slider of 401 digits, a space first", " " + joined(slider["fn_index"], at_slider, s)),
            join("picked index of 401 digits", joined(example["fn_index"], filled(example, {-1: "en"}), s,
                                                      {"index": big})),
            join("pad's count of 401 digits", joined(pad["fn_index"], pad_data(None), s, {"n": big})),
            join('"session_hash": ""', joined(pad["fn_index"], pad_data(None), ""), ""),
            join('{"path": ..., "meta": 5} to the upload',
                 joined(page[("upload", "upload")]["fn_index"], filled(page[("upload", "upload")], {0: bad_file}), s)),
            ("stream of a session never joined", "GET", "/queue/data?session_hash=never-" + s, None, None),
            ("answer of an unknown event id", "GET", f"/call/predict/{s}", None, None),
            ("/call/<private event> {data: []}", "POST", f"/call/{pad['api_name']}", json.dumps({"data": []}), None),
            ("/call/nope {data: []}", "POST", "/call/nope", json.dumps({"data": []}), None),
            ('/call/predict {"path": ..., "meta": 5}', "POST", "/call/predict", json.dumps({"data": [bad_file]}),
             None),
        ], json_body

    count = len(probes("x")[0])
    tally.expect([name for name, *_ in probes("x")[0]])

    def work(client: int, i: int) -> None:
        listed, options = probes(uuid.uuid4().hex)
        name, method, path, body, session = listed[(client + 4 * i) % count]
        with attacker(client) as http:  # a connection each: a broken answer can spoil the next one
            body = body.encode() if isinstance(body, str) else body
            tally.add(name, *followed(http, server, method, path, session,
                                      **({"content": body, **options} if body is not None else {})))

    sent = loops(4, args.seconds, 500, work)
    return {"fuzz requests": sent, **tally.rows()}


def run_predict(server: Server, args, tally: Tally) -> dict:
    """32 clients call the pen-up outside the queue (/gradio_api/run/predict and /gradio_api/api/predict, with its
    fn_index), each with a real drawing."""
    page = page_events(server.url)
    pad, drawing = page[("draw", "drawn")], frames(dev_samples()[0]["strokes"], 1)[-1]
    routes, readings = ["/run/predict", "/api/predict"], []
    clients = [attacker(n) for n in range(32)]

    def work(client: int, i: int) -> None:
        body = {"data": pad_data(drawing), "fn_index": pad["fn_index"], "session_hash": f"run-{client}",
                "event_data": {"n": i + 1}}
        status, text = request(clients[client], "POST", server.api + routes[i % 2], json=body, seconds=30)
        tally.add("/gradio_api" + routes[i % 2], status, text)
        if status == 200 and '"confidences"' in text:
            readings.append(1)

    t = time.perf_counter()
    sent = loops(32, args.seconds, 200, work)
    for c in clients:
        c.close()
    return {"calls outside the queue": sent, "readings answered": len(readings),
            "readings per second": len(readings) / (time.perf_counter() - t), **tally.rows()}


def pickles(server: Server, args, tally: Tally) -> dict:
    """4 visitors upload tiny pickles of calls the app allows as their own network (builtins.bytearray(4999999)
    ×100; collections.Counter(bytearray(4999999)) ×100), then call the page's own-network event through the queue."""
    own = page_events(server.url)[("own-upload", "upload")]
    files = {"bytearray(4999999) ×100": legacy_pt(allocating_pickle(False)),
             "Counter(bytearray(4999999)) ×100": legacy_pt(allocating_pickle(True))}
    kinds, took = list(files), collections.defaultdict(list)
    tally.expect(kinds)

    def work(client: int, i: int) -> None:
        kind = kinds[client % 2]
        with attacker() as http:
            file, status, text = upload(http, server, "cnn.pt", files[kind])
        if file is None:
            tally.add(kind, status, text)
            return
        session, t = Recorded(server.url, uuid.uuid4().hex, CRAFTED_TIMEOUT, -1), time.perf_counter()
        message = session.call(own["fn_index"], filled(own, {0: file, -1: "en"}))
        if message.get("success"):
            took[kind].append(time.perf_counter() - t)
        tally.message(kind, message)
        session.http.close()

    sent = loops(4, args.seconds, 5, work)
    return {"networks uploaded": sent, **answered_after(took, kinds), **tally.rows()}


def images(server: Server, args, tally: Tally) -> dict:
    """Crafted images, one client each: a pad PNG whose first chunk claims 280×280 before an IHDR of 13000×13000;
    an ICO holding a 12000² PNG; a progressive JPEG with its last scan 20,000 times (both uploaded as images)."""
    page = page_events(server.url)
    pad, uploaded = page[("draw", "drawn")], page[("upload", "upload")]
    crafted = {"pad PNG 13000² behind a 280² chunk": png_behind_a_chunk(),
               "ICO holding a 12000² PNG": ("digit.ico", ico_holding()),
               "progressive JPEG, last scan ×20,000": ("digit.jpg", jpeg_scans_repeated())}
    kinds, took = list(crafted), collections.defaultdict(list)
    tally.expect(kinds)

    def work(client: int, i: int) -> None:
        kind = kinds[client]
        session, t = Recorded(server.url, uuid.uuid4().hex, CRAFTED_TIMEOUT, -1), time.perf_counter()
        if isinstance(crafted[kind], str):
            message = session.call(pad["fn_index"], pad_data(crafted[kind]), {"n": 1})
        else:
            with attacker() as http:
                file, status, text = upload(http, server, *crafted[kind])
            if file is None:
                tally.add(kind, status, text)
                return
            message = session.call(uploaded["fn_index"], filled(uploaded, {0: file, -1: "en"}))
        if message.get("success"):
            took[kind].append(time.perf_counter() - t)
        tally.message(kind, message)
        session.http.close()

    sent = loops(len(kinds), args.seconds, 3, work)
    return {"crafted images sent": sent, **answered_after(took, kinds), **tally.rows()}


def open_file_limit(pid: int) -> str:
    """A process's soft limit of open files, from /proc/<pid>/limits."""
    with contextlib.suppress(OSError, StopIteration):
        return next(line.split()[3] for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                    if line.startswith("Max open files"))
    return "?"


def slowloris(server: Server, args, tally: Tally) -> dict:
    """HALF_SENT requests whose headers never end, then bare connections up to MOST_CONNECTIONS in all (stopping at
    the first refused), held for --seconds: how many the server closes, and after how long."""
    deadline, opened, refused = time.perf_counter() + args.seconds, {}, "none"
    watch = selectors.DefaultSelector()
    for i in range(MOST_CONNECTIONS):
        if time.perf_counter() > deadline:
            break
        conn = socket.socket()
        try:
            conn.settimeout(3)
            conn.bind((f"127.0.0.{2 + i // PER_ADDRESS}", 0))  # distinct clients, on the loopback network
            conn.connect(("127.0.0.1", server.port))
            if i < HALF_SENT:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        except OSError as e:
            conn.close()
            refused = f"{type(e).__name__} at connection {i + 1}"
            break
        conn.setblocking(False)
        opened[conn] = time.perf_counter()
        watch.register(conn, selectors.EVENT_READ)
    closed, answered = {}, 0
    while watch.get_map() and time.perf_counter() < deadline:
        for key, _ in watch.select(timeout=0.5):
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if data:  # an answer (a 408, a 400...) before the server closes it
                answered += 1
                continue
            closed[key.fileobj] = time.perf_counter() - opened[key.fileobj]
            watch.unregister(key.fileobj)
    for conn in opened:
        conn.close()
    return {"server's open-file limit": open_file_limit(server.process.pid),
            "connections opened": len(opened), "half-sent requests": min(HALF_SENT, len(opened)),
            "first refused": refused, "closed by the server": len(closed),
            "closed after (s, p50)": statistics.median(closed.values()) if closed else "—",
            "answers before closing": answered, "still open at the end": len(opened) - len(closed)}


def files_in(folder: Path) -> tuple[int, int]:
    """(files, bytes) under folder."""
    found = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return len(found), sum(p.stat().st_size for p in found)


def raw_upload(server: Server, head: bytes, length: int) -> socket.socket:
    """A connection that has sent the headers of a multipart POST to the upload route (length bytes to come) and
    head, the start of its body."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=30, source_address=("127.0.0.2", 0))
    conn.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
                 f"Content-Type: multipart/form-data; boundary=XX\r\n\r\n".encode() + head)
    return conn


def uploads(server: Server, args, tally: Tally) -> dict:
    """One request with FILES files of 5 MB; a TEXT_FIELD-byte text field, streamed (stopped once the server
    answers); CUT_UPLOADS uploads broken off after CUT_AFTER bytes: what each costs, and the files left behind."""
    deadline, figures = time.perf_counter() + args.seconds, {}
    with tempfile.NamedTemporaryFile(prefix="red_team_") as five:
        five.write(os.urandom(FILE_BYTES))
        five.flush()
        handles = [open(five.name, "rb") for _ in range(FILES)]  # httpx streams them, 64 KB at a time
        t = time.perf_counter()
        with attacker() as http:
            status, text = request(http, "POST", server.api + "/upload", seconds=120,
                                   files=[("files", (f"f{i}.bin", f)) for i, f in enumerate(handles)])
        for f in handles:
            f.close()
        figures[f"{FILES} files of 5 MB: answer after (s)"] = time.perf_counter() - t
        tally.add(f"{FILES} files of 5 MB", status, text)
    kept, size = files_in(server.uploads)
    figures["files kept, MB on disk"] = f"{kept}, {size / 1e6:.0f}"

    head = b'--XX\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
    tail = b"\r\n--XX--\r\n"
    conn, sent, t = raw_upload(server, head, len(head) + TEXT_FIELD + len(tail)), 0, time.perf_counter()
    block, answer = b"a" * CHUNK, b""
    try:
        while sent < TEXT_FIELD and time.perf_counter() < deadline + 30:
            readable, writable, _ = select.select([conn], [conn], [], 1)
            if readable:  # the server answered (or closed) before the end: refused early
                answer += conn.recv(65536)
                break
            if writable:
                sent += conn.send(block[:min(CHUNK, TEXT_FIELD - sent)])
        if sent >= TEXT_FIELD:
            conn.settimeout(60)
            conn.sendall(tail)
            while b"\r\n\r\n" not in answer and (data := conn.recv(65536)):
                answer += data
    except OSError:
        pass
    finally:
        conn.close()
    line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    figures["200 MB text field: MB sent"] = sent / 1e6
    figures["200 MB text field: answer after (s)"] = time.perf_counter() - t
    tally.add("200 MB text field", int(line.split()[1]) if line.startswith("HTTP/") else None,
              answer.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"))

    before = files_in(server.uploads)[0]
    file_head = b'--XX\r\nContent-Disposition: form-data; name="files"; filename="cut.png"\r\n\r\n'
    for _ in range(CUT_UPLOADS):
        with contextlib.suppress(OSError):
            conn = raw_upload(server, file_head, len(file_head) + FILE_BYTES + len(tail))
            conn.sendall(os.urandom(CUT_AFTER))
            time.sleep(0.02)  # the server has read it
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset, as a crash
            conn.close()
    time.sleep(DRAIN)
    figures[f"temp files left by {CUT_UPLOADS} cut-off uploads"] = files_in(server.uploads)[0] - before
    return {**figures, **tally.rows()}


def queue_flood(server: Server, args, tally: Tally) -> dict:
    """4 loops join the queue with real pen-ups for --queue-seconds and never read the answers."""
    pad = page_events(server.url)[("draw", "drawn")]
    drawing = frames(dev_samples()[1]["strokes"], 1)[-1]
    clients = [attacker() for _ in range(4)]  # four loops of one client

    def work(client: int, i: int) -> None:
        session = f"queue-{client}-{i}"
        status, text = request(clients[client], "POST", server.api + "/queue/join", seconds=10,
                               content=joined(pad["fn_index"], pad_data(drawing), session, {"n": 1}).encode(),
                               headers={"content-type": "application/json"})
        tally.add("join, never read", status, text)

    sent = loops(4, args.queue_seconds, 5000, work)
    for c in clients:
        c.close()
    return {"joins sent": sent, **tally.rows()}


FLOODS = {"fuzz": fuzz, "run-predict": run_predict, "pickles": pickles, "images": images, "slowloris": slowloris,
          "uploads": uploads, "queue": queue_flood}


# One flood against one checkout, and the table

def measured(app: Path, flood, args, drawings: list) -> dict:
    """A fresh server of the checkout app: the visitor's baseline, then the flood with the visitor drawing; the
    figures."""
    with served(app) as server:
        visitor = Visitor(server.url, drawings, args.timeout)
        visitor.keep_drawing(threading.Event(), 1)  # the first reading warms the server up
        visitor.forget()
        visitor.keep_drawing(threading.Event(), BASELINE)
        baseline = [1000 * r[0] for r in visitor.results if r[2]]
        visitor.forget()
        start, tally, done = server.log.stat().st_size, Tally(), threading.Event()
        with Peaks(server.process.pid) as peaks, ThreadPoolExecutor(1) as pool:
            drawing = pool.submit(visitor.keep_drawing, done, MOST_DRAWINGS)
            try:
                extra = flood(server, args, tally)
            finally:
                done.set()
                drawing.result()
            time.sleep(DRAIN)
        visitor.stop()
        log = server.log.read_bytes()[start:]
        alive = server.process.poll() is None
    ms = [1000 * r[0] for r in visitor.results if r[2]]
    failed = visitor.session.failed
    return {"baseline pen-up p50 (ms)": statistics.median(baseline) if baseline else "—",
            "pen-up p50 (ms)": statistics.median(ms) if ms else "—",
            "pen-up p95 (ms)": quantile(ms, 95) if ms else "—",
            "pen-ups answered": f"{len(ms)}/{len(visitor.results)}",
            'pen-ups refused "Queue is full"': sum("Queue is full" in str(m.get("output")) for m in failed),
            "peak RSS (MB)": peaks.rss, "peak open fds": peaks.fds,
            "log lines": log.count(b"\n"), "log bytes": len(log),
            "tracebacks": sum(b"Traceback" in line for line in log.splitlines()),
            'bare "Error" answers': tally.bare + sum(map(failed_bare, failed)),
            "server alive after": "yes" if alive else f"NO (exit {server.process.returncode})", **extra}


def shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(name: str, seconds: float, figures: dict[str, dict]) -> str:
    """The figures of one flood, a row each, the checkouts side by side."""
    rows = list(dict.fromkeys(k for f in figures.values() for k in f))
    width = max(map(len, rows)) + 2
    cells = {side: [shown(f.get(row, "")) for row in rows] for side, f in figures.items()}
    widths = {side: max(len(side), *map(len, c)) + 2 for side, c in cells.items()}
    lines = [f"{name} ({seconds:.0f} s)".ljust(width) + "".join(side.ljust(widths[side]) for side in figures)]
    lines += [row.ljust(width) + "".join(cells[side][i].ljust(widths[side]) for side in figures)
              for i, row in enumerate(rows)]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = arguments(__doc__, {
        "old": (OLD, "git revision of today's code, checked out into a temporary worktree"),
        "new": (str(REPO), "folder of the code under test"),
        "seconds": (20.0, "how long each flood lasts (the queue flood: --queue-seconds)"),
        "queue_seconds": (30.0, "how long the queue flood lasts"),
        "timeout": (15.0, "seconds the visitor waits for one answer"),
        "only": (None, "run one flood only", *FLOODS)})
    torch.set_num_threads(1)
    floods = [args.only] if args.only else list(FLOODS)
    drawings = [frames(s["strokes"], 1) for s in dev_samples()[:20]]  # real pen-drawn digits, as the pad sends them
    with checkout(args.old) as old, tqdm(total=2 * len(floods), unit="run") as bar:
        new = Path(args.new).resolve()
        sides = {f"old {args.old}": old, f"new {new.name}": new}
        for name in floods:
            figures = {}
            for side, app in sides.items():
                bar.set_description(f"{name}, {side}")
                figures[side] = measured(app, FLOODS[name], args, drawings)
                bar.update()
            tqdm.write(table(name, args.queue_seconds if name == "queue" else args.seconds, figures))


if __name__ == "__main__":
    main()

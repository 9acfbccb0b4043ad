"""What the tests and the benchmarks share: Debian's Chromium, the app served on a free loopback port (in this process
or a subprocess, or as several behind nginx), the pen on the pad driven by the mouse, and a raw client of Gradio's
queue, as an attacker uses it.
"""
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

import httpx

from web import registry

REPO = Path(__file__).resolve().parent
# Every client here speaks plain HTTP on the loopback interface: nothing to verify, and loading the certificate store
# for each new httpx client costs ~20 ms of CPU, which in a load test competes with the server it measures.
VERIFY = False
# Real pen-drawn digits from writers never trained on, beside the repo: for measuring only, never shipped
DEV = REPO.parent / "shared" / "data" / "unipen-digits-dev.json"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(demo, **options):
    """Serve the app's Blocks from this process on a free loopback port (serving.LAUNCH's settings); returns demo."""
    from web import serving

    return serving.launch(demo, **{"server_name": "127.0.0.1", "server_port": free_port(), "prevent_thread_lock": True,
                               "quiet": True, **options})


@contextlib.contextmanager
def serving(script: str = "app.py", port: int = 0, timeout: float = 120, args: tuple = (), cwd: Path = REPO,
            env: dict | None = None, log=None):
    """Run `python script *args` in cwd (a checkout of this repository) on 127.0.0.1:port (0: any free port), with
    env's variables added; yields (process, url) once it serves its page. log: a file that gets the server's stdout
    and stderr (by default stdout is dropped and stderr shared with this process)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    output = {"stdout": log, "stderr": subprocess.STDOUT} if log is not None else {"stdout": subprocess.DEVNULL}
    server = subprocess.Popen([sys.executable, script, *args], cwd=cwd, env=env, **output)
    try:
        deadline = time.time() + timeout
        while not serves(url):
            if server.poll() is not None or time.time() > deadline:
                sys.exit(f"{script} did not serve a page at {url} within {timeout:.0f} s")
            time.sleep(0.3)
        yield server, url
    finally:
        server.terminate()
        server.wait(timeout=30)


class Deployment:
    """deploy/serve.py with `replicas` processes of app.py behind this machine's nginx on a free port, started as a
    person would (options: more of serve.py's); what it prints goes to log. Once it serves: its url, and the pid of
    each replica by its address."""

    def __init__(self, replicas: int, log: Path, *options: str, timeout: float = 300):
        self.port, self.log = free_port(), log
        self.process = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--replicas", str(replicas), "--port", str(self.port),
             "--first-port", str(free_port()), *options], cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.time() + timeout
        while "Serving" not in self.printed():
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"deploy/serve.py did not serve within {timeout:.0f} s:\n{self.printed()}")
            time.sleep(0.5)
        self.pids = {f"127.0.0.1:{port}": int(pid)
                     for pid, port in re.findall(r"pid (\d+) on 127\.0\.0\.1:(\d+)", self.printed())}

    def printed(self) -> str:
        """What serve.py, nginx and the replicas printed so far."""
        return self.log.read_text()

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def serves(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2).status_code == 200
    return False


def chromium(playwright):
    """Debian's Chromium, headless, launched by Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def open_app(browser, url: str, **options):
    """The app in a new browser context (Playwright's context options; English and 1280×900 unless told), once its
    pen works."""
    from web.widgets import PAD_READY_JS

    options = {"locale": "en-US", "viewport": {"width": 1280, "height": 900}, **options}
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_function(PAD_READY_JS)
    return page


def mouse_stroke(page, stroke: list, steps: int = 4) -> None:
    """Draw one stroke given in the unit square (x right, y down) with the mouse, on the middle 70% of the pad."""
    box = page.locator("#draw canvas").bounding_box()
    at = [(box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"]) for x, y in stroke]
    page.mouse.move(*at[0])
    page.mouse.down()
    for point in at[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def open_step(page, step: str) -> None:
    """Open one of the lesson's steps by its tab, as a learner does, once its panel shows."""
    page.click(f"#step-{step}-button")
    page.locator(f"#step-{step}").wait_for(state="visible")


def draw(page, strokes: list, steps: int = 4) -> None:
    """Draw strokes with the mouse, one after another, as a person would."""
    for stroke in strokes:
        mouse_stroke(page, stroke, steps)


def events(url: str) -> list[dict]:
    """Every event of the page, from its config as the browser gets it: fn_index, its input components' types, its
    api name (if any), whether it runs on the server, its triggers [(block id, event name)], the first of them as
    (element id, event name) or None, and the event it follows (the fn_index whose success runs it, or None)."""
    cfg = httpx.get(url.rstrip("/") + "/config", timeout=20).json()
    kinds = {c["id"]: c["type"] for c in cfg["components"]}
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in cfg["components"]}
    return [{"fn_index": i, "inputs": [kinds.get(c) for c in d["inputs"]], "api_name": d.get("api_name"),
             "backend": d.get("backend_fn", True), "trigger": d["targets"], "after": d.get("trigger_after"),
             "on": (ids.get(d["targets"][0][0]), d["targets"][0][1]) if d["targets"] else None}
            for i, d in enumerate(cfg["dependencies"])]


def inputs_of(event: "registry.Event", lang: str = "en", **values) -> list:
    """The raw inputs of one of the page's events (web/registry.py), by name: the values given, None for the others
    (the server ignores what is sent for a session's State), and the page's language."""
    values = {registry.LANG: lang, **values}
    return [values.get(registry.name(k)) for k in event.inputs]


def event_inputs(part: str, trigger: str, lang: str = "en", **values) -> list:
    """The raw inputs of the event that part's trigger fires, by name (see inputs_of)."""
    return inputs_of(next(e for e in registry.EVENTS if (e.part, e.trigger) == (part, trigger)), lang, **values)


def experiments_data(lang: str = "en") -> list:
    """The raw inputs of the experiments after a reading, every control where a fresh page has it."""
    controls = {registry.name(p.id): p.options.get("value") for p in registry.PARTS if p.id in registry.CONTROLS
                and not isinstance(p.options.get("value"), registry.Loaded)}
    return inputs_of(registry.AFTER_READING, lang, **controls)


def pad_data(drawing: str | None, lang: str = "en") -> list:
    """The raw inputs of the pad's events: the drawing, the session's things, the page's language."""
    return event_inputs("pad", "drawn", lang, pad=drawing)


def join(client: httpx.Client, base: str, session: str, fn_index: int, data: list, event_data=None) -> dict:
    """Join the queue with an event and raw data: Gradio's {"event_id": ...}, or the refusal as a final message."""
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
            "trigger_id": None}
    # json.dumps writes NaN and Infinity as JavaScript would, which strict JSON encoders refuse to send
    joined = client.post(base + "/queue/join", content=json.dumps(body), headers={"content-type": "application/json"})
    if joined.status_code != 200:
        return {"success": False, "status": joined.status_code, "output": joined.text}
    return joined.json()


def call(url: str, fn_index: int, data: list, event_data=None, session: str | None = None,
         timeout: float = 30) -> dict:
    """Join the queue with an event and raw data, and return the final message: {"success": bool, "output": ...}."""
    session = session or uuid.uuid4().hex
    base = url.rstrip("/") + "/gradio_api"
    with httpx.Client(timeout=timeout, verify=VERIFY) as client:
        joined = join(client, base, session, fn_index, data, event_data)
        if "event_id" not in joined:
            return joined
        event = joined["event_id"]  # a session's stream also carries the events that follow this one
        with client.stream("GET", base + "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id", event) == event:
                    return message
    return {"success": False, "output": "no answer"}


class Session:
    """One visitor's connection as the page keeps it: several events of the session may be on their way at once, and
    their answers come back on one stream, matched by event_id. (Gradio gives each message of a session to one
    reader, and drops a session's waiting events when its stream closes, so call() cannot overlap in one session.)
    address: the loopback address its connections come from (127.0.0.2, ...: another client, for nginx's limits);
    cookies: a cookie jar to share (a page reloaded keeps the browser's cookies)."""

    def __init__(self, url: str, session: str | None = None, timeout: float = 60, address: str | None = None,
                 cookies: httpx.Cookies | None = None):
        self.base, self.hash, self.timeout = url.rstrip("/") + "/gradio_api", session or uuid.uuid4().hex, timeout
        self.lock, self.answers, self.reader = threading.Lock(), {}, None  # event_id -> Future of its last message
        self.replicas = []  # the X-Replica header of each answer: which process behind nginx gave it (deploy/)
        self.errors = []  # the messages that ended the answers on their way: a broken stream, "session not found"
        # one connection pool, as a browser keeps
        self.http = httpx.Client(timeout=timeout, verify=VERIFY, cookies=cookies,
                                 transport=httpx.HTTPTransport(local_address=address) if address else None,
                                 event_hooks={"response": [self.seen]})
        # First a call that opens no session, as the page (its HTML) and gradio_client (its /config) make: behind
        # nginx (deploy/) it brings the cookie that keeps every later call of the session on one replica.
        self.http.get(self.base + "/app_id")
        self.replicas.clear()  # that call's replica was chosen by the client's address, before it had the cookie

    def seen(self, response: httpx.Response) -> None:
        """Note which replica answered (nginx's X-Replica header), if any."""
        if response.headers.get("x-replica"):
            self.replicas.append(response.headers["x-replica"])

    def answer(self, event: str) -> Future:
        """The future answer of an event, whether the caller or the stream asks first."""
        with self.lock:
            return self.answers.setdefault(event, Future())

    def call(self, fn_index: int, data: list, event_data=None) -> dict:
        """Join the queue with an event of this session; its final message once it comes."""
        joined = join(self.http, self.base, self.hash, fn_index, data, event_data)
        if "event_id" not in joined:
            return joined
        event = joined["event_id"]
        answer = self.answer(event)
        with self.lock:
            if self.reader is None:
                self.reader = threading.Thread(target=self.read, daemon=True)
                self.reader.start()
        try:
            return answer.result(self.timeout)
        finally:
            with self.lock:
                self.answers.pop(event, None)

    def read(self) -> None:
        """The session's stream, until Gradio closes it (nothing left on the way); opened again if something is. A
        stream that breaks, or says the server holds no such session, is the last answer of everything on its way."""
        while True:
            try:
                with self.http.stream("GET", self.base + "/queue/data", params={"session_hash": self.hash}) as stream:
                    for line in stream.iter_lines():
                        message = json.loads(line[5:]) if line.startswith("data:") else {}
                        if message.get("msg") == "process_completed":
                            self.answer(message["event_id"]).set_result(message)
                        if message.get("msg") == "unexpected_error":  # e.g. {"session_not_found": true}
                            self.end({"success": False, **message})
                        if message.get("msg") in ("close_stream", "unexpected_error"):
                            break
            except httpx.HTTPError as e:  # its server went away
                self.end({"success": False, "msg": "broken", "output": f"{type(e).__name__}: {e}"})
            with self.lock:
                if all(a.done() for a in self.answers.values()):
                    self.reader = None
                    return

    def end(self, message: dict) -> None:
        """Every answer still on its way is message."""
        with self.lock:
            self.errors.append(message)
            for answer in self.answers.values():
                if not answer.done():
                    answer.set_result(message)

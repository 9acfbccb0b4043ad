"""deploy/: two processes of the app behind this machine's nginx, started by deploy/serve.py as a person would. A
visitor's calls all reach one replica; a flood from one address is refused and a visitor elsewhere is not; streams
pass unbuffered; a visitor whose replica is killed gets one sentence in the page's language and a fresh page on the
other replica; SIGTERM stops everything. (Throughput and failover timings: bench/bench_replicas.py.)
"""
import contextlib
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from bench.bench_load import PadUser, frames, pad_events
from deploy import serve
from harness import VERIFY, Deployment, draw, free_port, open_app
from web.door import MAX_BODY
from web.i18n import t
from web.text import EN, ES
from web.widgets import LIVE_MS

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]
ONE = [[(0.5, 0.05), (0.5, 0.95)]]
ZERO = [[(0.5 + 0.3 * x, 0.5 - 0.45 * y) for x, y in
         [(0, 1), (0.7, 0.7), (1, 0), (0.7, -0.7), (0, -1), (-0.7, -0.7), (-1, 0), (-0.7, 0.7), (0, 1)]]]


def nginx_here() -> None:
    """Skip where nginx is not installed (in CI it must be: the README's test command installs it)."""
    if not NGINX:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: the README's test command installs it (apt-get install nginx)")
        pytest.skip("needs nginx (apt-get install nginx)")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    nginx_here()
    running = Deployment(2, tmp_path_factory.mktemp("deploy") / "serve.log", "--no-restart")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def fns(deployed) -> tuple[int, int, int]:
    """fn_index of the pad's live reading, its pen-up and the experiments after a pen-up, through nginx."""
    return pad_events(deployed.url)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_the_config_holds_the_app_s_own_limits_and_one_server_line_per_replica(tmp_path):
    nginx_here()
    config = serve.fill(["127.0.0.1:9001", "127.0.0.1:9002"], "127.0.0.1:9000")
    assert f"client_max_body_size {MAX_BODY};" in config  # an event's body: what the door lets through
    assert "client_max_body_size 5308416;" in config  # an upload: 5 MB and its multipart wrapping
    assert re.findall(r"server (127\.0\.0\.1:900\d) max_fails", config) == ["127.0.0.1:9001", "127.0.0.1:9002"]
    assert "{{" not in config and EN["error.limited"] in config
    prefix = serve.prefix_with(config)
    try:  # nginx itself accepts it, run as whoever runs the tests
        checked = subprocess.run([*serve.nginx_command(NGINX, prefix), "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    finally:
        shutil.rmtree(prefix)


def test_a_sentence_nginx_cannot_hold_is_refused(monkeypatch):
    monkeypatch.setitem(EN, "error.limited", "Wait $remote_addr")  # nginx would read a variable there
    with pytest.raises(ValueError, match="error.limited"):
        serve.sentence("error.limited")


def test_a_name_resolves_to_one_server_per_address():
    assert serve.resolve(["localhost:7860", "127.0.0.1:7861"])[-1] == "127.0.0.1:7861"
    assert "127.0.0.1:7860" in serve.resolve(["localhost:7860"])


def test_a_replica_that_exits_is_started_again(tmp_path):
    script = tmp_path / "idle.py"
    script.write_text("import time\ntime.sleep(60)\n")
    replica, nginx = serve.Replica(1, 1, str(script), restart=True), subprocess.Popen(["sleep", "60"])
    replica.start()
    first, stop = replica.process, threading.Event()
    supervising = threading.Thread(target=serve.supervise, args=([replica], nginx, stop))
    supervising.start()
    try:
        first.kill()
        deadline = time.time() + serve.RESTART_DELAY + 10
        while replica.process is first and time.time() < deadline:
            time.sleep(0.2)
        assert replica.process is not first and replica.process.poll() is None
    finally:
        stop.set()
        supervising.join()
        serve.stop_all([replica.process, nginx])


def test_every_call_of_a_visitor_reaches_one_replica_and_visitors_spread_over_both(deployed, fns, digit_strokes):
    """12 visitors each draw with the live pen (its readings, the pen-up, its experiments), from 3 addresses: each
    visitor's answers all come from one replica (nginx's X-Replica header), none fails, and both replicas serve."""
    drawing = frames(digit_strokes["7"], 4)

    def visit(i: int) -> tuple[set, list]:
        user = PadUser(deployed.url, fns, uuid.uuid4().hex, timeout=60, address=f"127.0.0.{2 + i % 3}")
        try:
            for _ in range(2):
                user.draw(drawing, LIVE_MS / 1000)
            return set(user.session.replicas), user.results
        finally:
            user.stop()

    with ThreadPoolExecutor(4) as pool:
        visits = list(pool.map(visit, range(12)))
    assert all(len(replicas) == 1 for replicas, _ in visits), [r for r, _ in visits]
    assert all(ok for _, results in visits for *_, ok in results) and sum(len(r) for _, r in visits) == 24
    assert {r for replicas, _ in visits for r in replicas} == set(deployed.pids)  # 2 ** -11 to fail by chance


def test_the_predict_api_works_through_nginx(deployed, tmp_path):
    from gradio_client import Client, handle_file

    from mnist_cnn.strokes import draw_strokes

    draw_strokes(SEVEN).save(tmp_path / "seven.png")
    client = Client(deployed.url, verbose=False, ssl_verify=VERIFY)
    assert client.predict(handle_file(str(tmp_path / "seven.png")), api_name="/predict")["label"] == "7"


def test_a_flood_from_one_address_is_refused_and_a_learner_and_a_page_load_elsewhere_are_not(deployed, fns,
                                                                                              digit_strokes):
    base = deployed.url.rstrip("/")
    learner = PadUser(deployed.url, fns, uuid.uuid4().hex, address="127.0.0.3")
    flooding = httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    learned = []

    def learn() -> None:  # a learner at the page's own pace: a live reading every LIVE_MS while the pen moves
        for _ in range(3):
            learner.draw(frames(digit_strokes["0"], 12), LIVE_MS / 1000)
        learned.extend(learner.session.replicas)

    learning = threading.Thread(target=learn)
    learning.start()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: flooding.get(base + "/gradio_api/info"), range(300)))
    codes = [a.status_code for a in answers]
    page = httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.4"))
    loaded = page.get(deployed.url)
    assets = set(re.findall(r'(?:src|href)="\./(assets/[^"]+)"', loaded.text))
    page_codes = [loaded.status_code] + [page.get(f"{base}/{a}").status_code for a in assets]
    learning.join()
    learner.stop()
    assert codes.count(429) > 100 and set(codes) <= {200, 429}, sorted(set(codes))
    assert next(a for a in answers if a.status_code == 429).json() == {"error": EN["error.limited"]}
    assert assets and set(page_codes) == {200}
    assert all(ok for *_, ok in learner.results) and len(learner.results) == 3 and learned


class Trickle:
    """A stand-in for a replica on a free port that answers every request with a stream of Server-Sent Events of the
    given sizes, one every `pause` seconds, noting when each was sent."""

    def __init__(self, sizes: tuple[int, ...], pause: float):
        self.sizes, self.pause, self.sent = sizes, pause, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self.server.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            connection, _ = self.server.accept()
            threading.Thread(target=self.stream, args=(connection,), daemon=True).start()

    def stream(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n")
            for size in self.sizes:
                event = b"data: " + b"x" * size + b"\n\n"
                self.sent.append(time.monotonic())
                connection.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                time.sleep(self.pause)
            connection.sendall(b"0\r\n\r\n")


@contextlib.contextmanager
def nginx_before(servers: list[str]):
    """This machine's nginx with deploy/nginx.conf filled in for servers, on a free port; yields its URL."""
    nginx_here()
    port = free_port()
    prefix = serve.prefix_with(serve.fill(servers, f"127.0.0.1:{port}"))
    nginx = subprocess.Popen(serve.nginx_command(NGINX, prefix))
    try:
        while not listening(port):
            assert nginx.poll() is None
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        serve.stop_all([nginx])
        shutil.rmtree(prefix)


@pytest.mark.parametrize("route", ["gradio_api/queue/data?session_hash=s", "gradio_api/heartbeat/s"])
def test_event_streams_pass_through_unbuffered(route):
    """nginx in front of a stand-in replica that sends an event the size of a heartbeat, of a small answer and of a
    live reading (its panels' pictures), each followed by a pause: each arrives as it is sent. Buffered, nginx held
    each event but the first until the next one came."""
    trickle = Trickle((12, 6_000, 60_000), pause=1.5)
    with nginx_before([trickle.address]) as url:
        arrived = []
        with httpx.stream("GET", url + route, timeout=10) as stream:
            for line in stream.iter_lines():
                if line:
                    arrived.append(time.monotonic())
    assert len(arrived) == 3 and all(a - s < 0.5 for a, s in zip(arrived, trickle.sent)), \
        [round(a - s, 2) for a, s in zip(arrived, trickle.sent)]


def test_with_no_replica_answering_the_page_says_so_and_the_page_s_client_takes_the_connection_as_lost():
    with nginx_before([f"127.0.0.1:{free_port()}"]) as url:  # nothing listens there
        page, call = httpx.get(url), httpx.post(url + "gradio_api/queue/join", json={})
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert EN["error.unavailable"] in page.text and html.escape(ES["error.unavailable"]) in page.text
    assert '<meta http-equiv="refresh"' in page.text  # it tries again by itself
    # Gradio's client (6.x) takes this error for a lost connection: it waits for the app, then reloads the page
    assert call.status_code == 502 and call.json() == {"error": "Connection errored out. ",
                                                       "detail": EN["error.unavailable"]}
    assert "x-replica" not in call.headers


def test_a_body_over_the_door_s_limit_is_refused_by_nginx_in_json(deployed):
    answer = httpx.post(deployed.url + "gradio_api/queue/join", content=b"x" * (MAX_BODY + 1))
    assert answer.status_code == 413 and answer.json() == {"error": t("error.too_large", limit=MAX_BODY / 1e6)}
    assert "x-replica" not in answer.headers  # nginx's own answer: no replica saw it


def test_a_visitor_whose_replica_dies_gets_the_sentence_and_a_fresh_page_on_the_other(deployed, browser):
    """In Chromium, in Spanish: a drawing read, the page idle, its replica killed, the visitor drawing again at once:
    the sentence and a fresh page from the other replica (whichever the page noticed first: its line to its replica
    breaking, or an answer from the other), which reads the drawing after it. Nothing shows a traceback, and the
    other replica's log has none."""
    page = open_app(browser, deployed.url + "?lang=es", locale="es-ES")
    replicas = []
    page.on("response", lambda r: "/gradio_api/" in r.url and r.headers.get("x-replica")
            and replicas.append(r.headers["x-replica"]))
    draw(page, SEVEN)
    expect(page.locator("#prediction .output-class")).to_have_text("7", timeout=30_000)
    page.wait_for_timeout(3000)  # the experiments after it answered: nothing on its way
    mine = replicas[-1]
    os.kill(deployed.pids[mine], signal.SIGKILL)
    with contextlib.suppress(PlaywrightError):  # the page may reload under the pen
        draw(page, ONE)
    note = page.locator("#replica-lost")
    expect(note).to_have_text(ES["replica.lost"], timeout=30_000)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.wait_for_function("() => document.querySelector('#draw canvas[data-ready]')")
    page.wait_for_timeout(1000)
    draw(page, ZERO)
    expect(page.locator("#prediction .output-class")).to_have_text("0", timeout=30_000)
    other = next(a for a in deployed.pids if a != mine)
    assert replicas[-1] == other
    assert "Traceback" not in page.content()
    assert f"port {mine.rsplit(':', 1)[1]}" in deployed.printed() and "Traceback" not in deployed.printed()
    page.context.close()


def test_sigterm_stops_nginx_and_every_replica(deployed):
    pids = list(deployed.pids.values())
    assert deployed.stop() == 0
    deadline = time.time() + 10
    while any(map(alive, pids)) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(map(alive, pids))
    with pytest.raises(httpx.ConnectError):
        httpx.get(deployed.url, timeout=2)

"""A classroom at once: concurrent gradio_client clients each send pen-drawn digits to /predict, against
`python app.py`, against bench/floor_app.py (the cheapest app with the same contract) and against
`bench/floor_app.py --cnn` (that bare app doing app.py's reading: the most any app doing this work can reach),
in one run.

Prints, for each: throughput, p50/p99 latency, errors, the server's CPU time per request and its memory growth;
then the throughput ratios, and whether every answer equals what that drawing gets alone (computed in this process
first). The apps take turns in rounds, so that all see the same load from the rest of the machine.
Then the live pen (--live-users): simulated visitors each draw on the page's pad through the raw queue, as the page
does, each on one session's stream: while the pen moves, the drawing so far every --interval ms (only the newest
waits while one is read, as trigger_mode="always_last" does in the browser), then the whole drawing at pen-up, sent at
once and followed by its experiments; prints pen-up to answer p50/p90, the server's memory growth and how long its
page takes to load meanwhile.
Run from the repository root: `python -m bench.bench_load` (`--only live` or `--only predict` for one part). The
drawings are real pen-drawn UNIPEN digits, used only for measuring. Everything stays on the loopback interface.
"""
import contextlib
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import torch
from gradio_client import Client, handle_file

from bench.common import arguments, cpu_seconds, quantile, rss_mb, spread
from harness import DEV, Session, events, experiments_data, pad_data, serving
from mnist_cnn.checkpoint import load_model
from mnist_cnn.pipeline import confidences, read_digit
from mnist_cnn.strokes import draw_strokes, load_samples, random_drawing
from web.widgets import data_url

APPS = {"floor": ("bench/floor_app.py",), "cnn": ("bench/floor_app.py", "--cnn"), "app": ("app.py",)}
TOLERANCE = 1e-6  # an answer equals the one alone if every confidence is within this


def drawings(n: int, folder: Path, seed: int) -> list[str]:
    """n PNG files of UNIPEN digits drawn as a person might on the app's canvas (brush, size and place vary)."""
    rng = random.Random(seed)
    samples = load_samples(DEV)
    for i in range(n):
        random_drawing(rng.choice(samples)["strokes"], rng).save(folder / f"drawing_{i}.png")
    return [str(folder / f"drawing_{i}.png") for i in range(n)]


def answer(result: dict) -> dict[str, float]:
    """gr.Label's answer as the client gets it -> {digit: confidence}."""
    return {c["label"]: c["confidence"] for c in result["confidences"]}


def client(url: str) -> Client:
    # ssl_verify=False: each call of gradio_client builds a new httpx client, and loading the certificate store
    # for it costs ~20 ms of CPU, more than the server's work; on plain-HTTP loopback there is nothing to verify
    return Client(url, verbose=False, ssl_verify=False)


def load(clients: list[Client], pid: int, work: list[list[str]], timeout: float) -> dict:
    """Each client sends its list of files, one after another, all clients at once, to /predict; the wall time,
    the server's (process pid) CPU time, and (path, seconds, answer or exception) for each request."""
    go = threading.Barrier(len(clients) + 1)

    def run(c: Client, paths: list[str]) -> list[tuple]:
        go.wait()
        out = []
        for path in paths:
            t = time.perf_counter()
            try:
                got = answer(c.submit(handle_file(path), api_name="/predict").result(timeout=timeout))
            except Exception as e:  # counted and shown: the benchmark's job is to report errors, not to stop
                got = e
            out.append((path, time.perf_counter() - t, got))
        return out

    with ThreadPoolExecutor(len(clients)) as pool:
        futures = [pool.submit(run, c, paths) for c, paths in zip(clients, work)]
        go.wait()
        t0, cpu0 = time.perf_counter(), cpu_seconds(pid)
        done = [r for f in futures for r in f.result()]
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    return {"wall": wall, "cpu": cpu, "results": done, "rss": rss_mb(pid)}


def summary(name: str, runs: list[dict], rss: tuple, expected: dict | None) -> dict:
    """Print one app's figures; return them."""
    results = [r for run in runs for r in run["results"]]
    wall, cpu = sum(run["wall"] for run in runs), sum(run["cpu"] for run in runs)
    ms = sorted(1000 * t for _, t, _ in results)
    errors = [got for _, _, got in results if isinstance(got, Exception)]
    rate = len(results) / wall
    print(f"{name:>5}: {rate:5.1f} req/s  p50 {quantile(ms, 50):5.0f} ms  p99 {quantile(ms, 99):5.0f} ms  errors {len(errors)}  "
          f"server CPU {1000 * cpu / len(results):4.1f} ms/req  "
          f"RSS {rss[0]:.0f} -> {rss[1]:.0f} MB (growth {rss[1] - rss[0]:+.1f} MB; after each turn "
          + " ".join(f"{run['rss']:.0f}" for run in runs) + ")")
    for e in errors[:3]:
        print(f"       error: {type(e).__name__}: {e}")
    wrong = 0
    if expected is not None:
        wrong = sum(1 for p, _, got in results if not isinstance(got, Exception)
                    and (got.keys() != expected[p].keys()
                         or max(abs(got[k] - expected[p][k]) for k in got) > TOLERANCE))
        print(f"       answers equal to the drawing's answer alone: {len(results) - len(errors) - wrong}"
              f"/{len(results)}")
    return {"rate": rate, "errors": len(errors), "growth": rss[1] - rss[0], "wrong": wrong}


def ratio(runs: dict, figures: dict, a: str, b: str) -> float:
    """Print the throughput of app a over app b, overall and turn by turn (each turn beside the other's); return it."""
    turns = " ".join(f"{(len(x['results']) / x['wall']) / (len(y['results']) / y['wall']):.2f}"
                     for x, y in zip(runs[a], runs[b]))
    overall = figures[a]["rate"] / figures[b]["rate"]
    print(f"throughput {a} / {b}: {overall:.2f}; turn by turn: {turns}")
    return overall


def pad_events(url: str) -> tuple[int, int, int]:
    """fn_index of the pad's "sketch" event (the pen moves), its "drawn" event (pen-up) and of the experiments that
    follow a pen-up, from the page's config."""
    found = events(url)
    sketch, pad = (next(e["fn_index"] for e in found if e["trigger"] and e["trigger"][0][1] == kind)
                   for kind in ("sketch", "drawn"))
    return sketch, pad, next(e["fn_index"] for e in found if e["after"] == pad)


def frames(strokes: list, n: int) -> list[str]:
    """The drawing as the pad sends it while the pen moves: n data URLs, the last one the whole drawing."""
    points = [(i, j) for i, stroke in enumerate(strokes) for j in range(len(stroke))]
    cut = [points[max(1, round(len(points) * (k + 1) / n)) - 1] for k in range(n)]
    return [data_url(draw_strokes([s[:j + 1] if i == last else s for i, s in enumerate(strokes[:last + 1])]))
            for last, j in cut]


class PadUser:
    """One visitor drawing, as the page's pad does, on one session's stream: while the pen moves, the drawing so far,
    one live reading at a time (while one is read, only the newest waits: always_last); at pen-up the whole drawing
    at once, never waiting for a live reading, then its experiments. Sends are numbered, as the page numbers them."""

    def __init__(self, url: str, fns: tuple[int, int, int], session: str, timeout: float = 60, **connection):
        """connection: Session's address and cookies."""
        self.session, self.fns = Session(url, session, timeout, **connection), fns
        self.count, self.waiting = 0, None  # the pad's sends so far; the newest live drawing not yet sent, numbered
        self.changed = threading.Condition()
        self.results = []  # (seconds from pen-up to the reading, to its experiments, success)
        self.stopped = False
        threading.Thread(target=self.send_newest, daemon=True).start()

    def numbered(self) -> dict:
        self.count += 1
        return {"n": self.count}

    def sketch(self, url: str) -> None:
        """The pen moves: the drawing so far waits to be sent, in place of any not yet sent."""
        with self.changed:
            self.waiting = (url, self.numbered())
            self.changed.notify_all()

    def send_newest(self) -> None:
        sketch, _, _ = self.fns
        while True:
            with self.changed:
                while self.waiting is None and not self.stopped:
                    self.changed.wait()
                if self.stopped:
                    return
                (drawing, number), self.waiting = self.waiting, None
            self.session.call(sketch, pad_data(drawing), number)

    def pen_up(self, url: str) -> None:
        """The pen goes up: the whole drawing is read at once, then its experiments."""
        _, pad, experiments = self.fns
        with self.changed:
            self.waiting, number = None, self.numbered()  # a live drawing not yet sent is never sent
        start = time.perf_counter()
        read = self.session.call(pad, pad_data(url), number)
        t_read = time.perf_counter()
        if read.get("success"):
            self.session.call(experiments, experiments_data())
        self.results.append((t_read - start, time.perf_counter() - start, bool(read.get("success"))))

    def draw(self, drawing: list[str], interval: float) -> None:
        """The pen moves for len(drawing) - 1 intervals, sending the drawing so far, then goes up; returns once the
        pen-up's reading and its experiments are answered."""
        start = time.perf_counter()
        for k, url in enumerate(drawing[:-1]):
            time.sleep(max(0.0, start + k * interval - time.perf_counter()))
            self.sketch(url)
        time.sleep(max(0.0, start + (len(drawing) - 1) * interval - time.perf_counter()))
        self.pen_up(drawing[-1])

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()


def live_pen(url: str, pid: int, args) -> None:
    """--live-users visitors drawing --live-drawings digits each on the pad at once; print the figures."""
    rng = random.Random(args.seed)
    samples = load_samples(DEV)
    pool = [frames(rng.choice(samples)["strokes"], args.frames) for _ in range(40)]  # drawings, as the pad sends them
    fns = pad_events(url)
    PadUser(url, fns, "warm-up").draw(pool[0], 0)
    before, probes, done = rss_mb(pid), [], threading.Event()

    def probe() -> None:  # someone opening the page meanwhile: its config, every half second
        while not done.wait(0.5):
            t = time.perf_counter()
            httpx.get(url + "config", timeout=60)
            probes.append(1000 * (time.perf_counter() - t))

    users = [PadUser(url, fns, f"live-{i}") for i in range(args.live_users)]
    watcher = threading.Thread(target=probe)
    watcher.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(users)) as run:
        list(run.map(lambda i: [users[i].draw(rng.choice(pool), args.interval / 1000)
                                for _ in range(args.live_drawings)], range(len(users))))
    wall = time.perf_counter() - t0
    done.set()
    watcher.join()
    for user in users:
        user.stop()
    results = [r for user in users for r in user.results]
    print(f"live pen: {len(users)} users × {args.live_drawings} drawings, the drawing so far every {args.interval:.0f} ms "
          f"for {args.frames - 1} intervals, then pen-up; {wall:.0f} s")
    print(f"  pen-up to its reading: {spread([1000 * r[0] for r in results], digits=0)} (aim: p50 <= 150 ms); "
          f"to its experiments too: {spread([1000 * r[1] for r in results], digits=0)}; "
          f"failed: {sum(not r[2] for r in results)}")
    print(f"  page config fetched meanwhile: {spread(probes, digits=0)}, max {max(probes, default=0):.0f} ms")
    after = rss_mb(pid)
    print(f"  server RSS {before:.0f} -> {after:.0f} MB (growth {after - before:+.1f} MB)")


def main() -> None:
    args = arguments(__doc__, {
        "only": (None, "run one part only (default: both)", "predict", "live"), "clients": (32, "/predict clients"),
        "drawings": (20, "drawings each client sends to each app"), "seed": (0, "of the drawings picked"),
        "rounds": (4, "turns per app; each sends drawings/rounds per client"),
        "timeout": (120.0, "seconds one request may take"), "live_users": (32, "visitors drawing on the pad at once"),
        "live_drawings": (10, "drawings each of them makes"),
        "frames": (8, "drawings sent per drawing: while the pen moves, then at pen-up"),
        "interval": (100.0, "ms between the drawings sent while the pen moves")})
    torch.set_num_threads(1)
    if args.only != "predict":
        with serving("app.py") as (server, url):
            live_pen(url, server.pid, args)
    if args.only != "live":
        predict_load(args)


def predict_load(args) -> None:
    """The classroom on /predict: app, floor and bare CNN app in turns; print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        paths = drawings(args.clients * args.drawings, Path(tmp), args.seed)
        model = load_model()
        expected = {p: confidences(read_digit(model, p)) for p in paths}
        per_client = [paths[i::args.clients] for i in range(args.clients)]
        runs, rss, after = {name: [] for name in APPS}, {}, {}
        with contextlib.ExitStack() as stack:
            servers = {name: stack.enter_context(serving(script, args=args)) for name, (script, *args) in APPS.items()}
            clients = {}
            for name, (server, url) in servers.items():
                c = client(url)
                c.predict(handle_file(paths[0]), api_name="/predict")  # the first call warms up each server
                c.close()
                rss[name] = rss_mb(server.pid)
                with ThreadPoolExecutor(args.clients) as pool:
                    clients[name] = list(pool.map(client, [url] * args.clients))
            for r in range(args.rounds):
                work = [mine[r::args.rounds] for mine in per_client]
                for name, (server, _) in servers.items():
                    runs[name].append(load(clients[name], server.pid, work, args.timeout))
            for name, (server, _) in servers.items():
                after[name] = rss_mb(server.pid)
                for c in clients[name]:
                    c.close()

    print(f"{args.clients} clients × {args.drawings} drawings per app, in {args.rounds} turns per app")
    figures = {name: summary(name, runs[name], (rss[name], after[name]), None if name == "floor" else expected)
               for name in APPS}

    ratio(runs, figures, "cnn", "floor")  # what the CNN's reading costs
    ratio(runs, figures, "app", "cnn")  # what the rest of the app costs
    app_over_floor = ratio(runs, figures, "app", "floor")
    real = figures["app"]
    met = {"no errors": real["errors"] == 0, "every answer equal": real["wrong"] == 0 and real["errors"] == 0,
           "memory growth < 50 MB": real["growth"] < 50, "throughput >= 0.8 × floor": app_over_floor >= 0.8}
    print("requirements: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in met.items()))


if __name__ == "__main__":
    main()

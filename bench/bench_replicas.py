"""Several processes of the app behind nginx (deploy/serve.py), in one run, each client from its own loopback address
(127.0.0.2, 127.0.0.3, ...), visitors drawing as the page does (bench/bench_load.py's PadUser: the live pen every
--interval ms, the pen-up, its experiments, and again as soon as they are answered):

- throughput: --visitors at once through nginx in front of 2 replicas and in front of 1 (the same nginx.conf), in
  alternating turns: drawings read per second (the aim: 2 replicas ≥ 1.5 × 1 replica);
- stickiness: over the drawings made on 2 replicas (the aim: ≥ 500), answers from another replica than the
  visitor's first (nginx's X-Replica header) and "session not found" (the aim: 0 and 0);
- hostile: while the visitors draw, one client floods /gradio_api/info from its own address (--flood calls, 16 at
  once) and a page is loaded with all its assets from another (every request Chromium makes for it, replayed: the
  browser's rendering is not the server's work): how much of the flood nginx refuses (429), what of the page load
  it refuses (the aim: nothing) and the visitors' pen-up to reading p95 (the aim: ≤ 1 s);
- failover: while the visitors draw, one replica is killed (SIGKILL). A visitor acts as the page's
  web/static/replica.js does: an answer from another replica, or a call or stream that fails, is the sentence,
  and it goes on as a fresh session (the same cookies, as a reloaded page); for each visitor of the killed replica,
  kill to sentence and sentence to a reading again (the aim: ≤ 5 s), the others' drawings (the aim: none lost), and
  tracebacks in the replicas' logs (the aim: 0). The page's own reload is not in it: that is the last part,
- the page: in Chromium, a page that has read a drawing sits idle, its replica is killed (serve.py starts it again
  between rounds): kill to the sentence on the fresh page, and to the next drawing read.

Run from the repository root: `python -m bench.bench_replicas`. Everything stays on the loopback interface.
"""
import os
import random
import re
import signal
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from tqdm import tqdm

from bench.bench_load import PadUser, frames, pad_events
from bench.common import arguments, quantile, spread
from harness import DEV, VERIFY, Deployment, chromium
from mnist_cnn.strokes import load_samples

FLOODER, PAGE = "127.0.0.250", "127.0.0.251"  # the flooding client's address, the page load's


def address(i: int, addresses: int) -> str:
    """The loopback address of visitor i: visitors share --addresses addresses, as pupils behind a few routers."""
    return f"127.0.0.{2 + i % addresses}"


class Visitor:
    """One visitor drawing again and again until a deadline, as the page does; with failover on, as the page with
    replica.js does: an answer from another replica than the session's first, or a drawing not read, is the
    sentence, and a fresh session follows (the same cookies). Notes when each reading and each sentence came."""

    def __init__(self, url: str, fns: tuple, i: int, args, failover: bool = False):
        self.url, self.fns, self.args, self.failover = url, fns, args, failover
        self.where, self.cookies = address(i, args.addresses), httpx.Cookies()
        self.rng = random.Random(args.seed + i)
        self.users, self.readings, self.sentences = [], [], []  # PadUsers (one per session); times
        self.fresh()

    def fresh(self) -> None:
        """A new session (a page loaded), which notes when it is lost: its first answer from another replica than its
        first, or its first answer that a broken stream or "session not found" ended (then the page asks who answers
        now: another replica)."""
        user = PadUser(self.url, self.fns, uuid.uuid4().hex, timeout=self.args.timeout, address=self.where,
                       cookies=self.cookies)
        user.lost_at, session, ended = None, user.session, user.session.end

        def seen(response: httpx.Response) -> None:
            if user.lost_at is None and session.replicas and response.headers.get("x-replica") not in (
                    None, session.replicas[0]):
                user.lost_at = time.perf_counter()

        def end(message: dict) -> None:
            user.lost_at = user.lost_at or time.perf_counter()
            ended(message)

        session.http.event_hooks["response"].insert(0, seen)
        session.end = end
        self.users.append(user)

    def run(self, pool: list, until: float) -> None:
        while time.perf_counter() < until:
            user = self.users[-1]
            try:
                user.draw(self.rng.choice(pool), self.args.interval / 1000)
                read = user.results[-1][2]
            except Exception:  # a call whose answer never came (counted, not raised: the benchmark reports it)
                read = False
                user.results.append((self.args.timeout, self.args.timeout, False))
            if self.failover and (user.lost_at or not read):
                # the page says its sentence when it notices, then reloads; here the drawing under way ends first
                self.sentences.append(user.lost_at or time.perf_counter())
                user.stop()
                self.fresh()
            elif read:
                self.readings.append(time.perf_counter())
        self.users[-1].stop()

    @property
    def results(self) -> list:
        return [r for user in self.users for r in user.results]

    def replica(self) -> str | None:
        """The replica of its first session's first answer."""
        first = self.users[0].session.replicas
        return first[0] if first else None


def load(url: str, fns: tuple, pool: list, args, failover: bool = False, during=None) -> tuple[list, float]:
    """--visitors visitors drawing for --seconds at once (during(start) runs beside them); the visitors, the wall
    time."""
    visitors = [Visitor(url, fns, i, args, failover) for i in range(args.visitors)]
    start = time.perf_counter()
    until = start + args.seconds
    with ThreadPoolExecutor(len(visitors) + 1) as run:
        beside = run.submit(during, start) if during else None
        list(run.map(lambda v: v.run(pool, until), visitors))
        if beside:
            beside.result()
    return visitors, time.perf_counter() - start


def flood(url: str, calls: int) -> list[int]:
    """calls rapid GETs of /gradio_api/info from FLOODER, 16 at once: their status codes."""
    with httpx.Client(timeout=60, verify=VERIFY, transport=httpx.HTTPTransport(local_address=FLOODER)) as client:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda _: client.get(url + "gradio_api/info").status_code, range(calls)))


def page_requests(url: str) -> list[str]:
    """What a page load asks for (the page and every asset, font and call, not its streams), as Chromium loads it."""
    from playwright.sync_api import sync_playwright

    from web.widgets import PAD_READY_JS

    with sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page()
        asked = []
        page.on("request", lambda r: r.method == "GET" and not re.search(r"/(queue/data|heartbeat/)", r.url)
                and asked.append(r.url))
        page.goto(url, timeout=60_000)
        page.wait_for_function(PAD_READY_JS, timeout=60_000)
        browser.close()
    return asked


def page_load(asked: list[str]) -> tuple[list[int], float]:
    """A page load from PAGE, as the server sees it (a browser's rendering is on another machine): every request
    Chromium made, 6 at a time as a browser does; the status of each, the seconds."""
    start = time.perf_counter()
    with httpx.Client(timeout=60, verify=VERIFY, transport=httpx.HTTPTransport(local_address=PAGE)) as client:
        codes = [client.get(asked[0]).status_code]  # the page first, which brings the cookie
        with ThreadPoolExecutor(6) as pool:
            codes += list(pool.map(lambda u: client.get(u).status_code, asked[1:]))
    return codes, time.perf_counter() - start


def rate(visitors: list, wall: float) -> float:
    """Drawings read per second."""
    return sum(ok for v in visitors for *_, ok in v.results) / wall


def pen_up_ms(visitors: list) -> list[float]:
    return [1000 * r[0] for v in visitors for r in v.results if r[2]]


def main() -> None:
    args = arguments(__doc__, {
        "visitors": (16, "visitors drawing at once"), "addresses": (4, "loopback addresses the visitors come from"),
        "seconds": (20.0, "seconds of each turn, and of the hostile and failover parts"),
        "rounds": (3, "turns of each (1 replica, 2 replicas)"), "frames": (4, "drawings sent per drawing"),
        "interval": (100.0, "ms between the drawings sent while the pen moves"), "seed": (0, "of the drawings"),
        "flood": (300, "the flooding client's calls"), "kill_after": (5.0, "seconds into the failover part"),
        "timeout": (30.0, "seconds one call may take"),
        "page_rounds": (3, "replicas killed under a page in Chromium"),
        "only": (None, "run one part only (default: all)", "throughput", "hostile", "failover", "page")})
    rng = random.Random(args.seed)
    samples = load_samples(DEV)
    pool = [frames(rng.choice(samples)["strokes"], args.frames) for _ in range(40)]
    met = {}
    with tempfile.TemporaryDirectory(prefix="bench_replicas_") as tmp:
        if args.only != "page":
            print("starting deploy/serve.py with 1 and with 2 replicas...", flush=True)
            with ThreadPoolExecutor(2) as start:
                one, two = start.map(lambda n: Deployment(n, Path(tmp) / f"serve{n}.log", "--no-restart"), (1, 2))
            try:
                met = measure(one, two, pool, args)
            finally:
                one.stop()
                two.stop()
        if args.only in (None, "page"):
            met.update(page_part(Path(tmp), args))
    print("requirements: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in met.items()))


def measure(one: Deployment, two: Deployment, pool: list, args) -> dict:
    """The parts on raw clients: print the figures; the requirements met."""
    fns = pad_events(two.url)
    for deployed in (one, two):  # a first drawing warms each replica up
        for address_of_visitor in range(len(deployed.pids)):
            load_one = Visitor(deployed.url, fns, address_of_visitor, args)
            load_one.users[-1].draw(pool[0], 0)
            load_one.users[-1].stop()

    met = {}
    if args.only in (None, "throughput"):
        met.update(throughput(one, two, fns, pool, args))
    if args.only in (None, "hostile"):
        met.update(hostile_part(two, fns, pool, args))
    if args.only in (None, "failover"):
        met.update(failover(two, fns, pool, args))
    return met


def throughput(one: Deployment, two: Deployment, fns: tuple, pool: list, args) -> dict:
    """Throughput, 2 replicas beside 1, and stickiness on 2: print the figures; the requirements met."""
    runs = {"1 replica": [], "2 replicas": []}
    for _ in tqdm(range(args.rounds), desc="throughput turns", unit="round"):
        for name, deployed in (("1 replica", one), ("2 replicas", two)):
            runs[name].append(load(deployed.url, fns, pool, args))
    rates = {name: [rate(v, w) for v, w in turns] for name, turns in runs.items()}
    overall = {name: sum(sum(ok for v in vs for *_, ok in v.results) for vs, _ in turns) / sum(w for _, w in turns)
               for name, turns in runs.items()}
    ratio = overall["2 replicas"] / overall["1 replica"]
    print(f"\nthroughput: {args.visitors} visitors from {args.addresses} addresses, {args.rounds} turns of "
          f"{args.seconds:.0f} s each, the live pen every {args.interval:.0f} ms for {args.frames - 1} intervals")
    for name in runs:
        visitors = [v for vs, _ in runs[name] for v in vs]
        print(f"  {name:>10}: {overall[name]:5.2f} drawings read/s (turns: "
              + " ".join(f"{r:.2f}" for r in rates[name]) + f"); pen-up to reading {spread(pen_up_ms(visitors), 95, 0)}"
              f"; failed {sum(not ok for v in visitors for *_, ok in v.results)}")
    print(f"  2 replicas / 1 replica: {ratio:.2f} (turn by turn: "
          + " ".join(f"{b / a:.2f}" for a, b in zip(rates["1 replica"], rates["2 replicas"])) + "; aim: ≥ 1.5)")

    on_two = [v for vs, _ in runs["2 replicas"] for v in vs]
    drawings = sum(len(v.results) for v in on_two)
    wrong = sum(sum(r != v.replica() for r in u.session.replicas) for v in on_two for u in v.users)
    not_found = sum(bool(e.get("session_not_found")) for v in on_two for u in v.users for e in u.session.errors)
    spread_over = {v.replica() for v in on_two}
    print(f"stickiness: {drawings} drawings with their experiments on 2 replicas: answers from another replica than "
          f"the visitor's first: {wrong}; session not found: {not_found}; visitors on "
          + ", ".join(f"{r}: {sum(v.replica() == r for v in on_two)}" for r in sorted(spread_over, key=str)))

    return {"2 replicas ≥ 1.5 × 1": ratio >= 1.5, "≥ 500 drawings on 2 replicas": drawings >= 500,
            "0 from the wrong replica": wrong == 0, "0 session not found": not_found == 0}


def hostile_part(two: Deployment, fns: tuple, pool: list, args) -> dict:
    """A flood and a page load while the visitors draw: print the figures; the requirements met."""
    hostile, asked = {}, page_requests(two.url)

    def attack(start: float) -> None:
        time.sleep(2)
        with ThreadPoolExecutor(2) as both:
            flooded, loaded = both.submit(flood, two.url, args.flood), both.submit(page_load, asked)
            hostile["flood"], (hostile["page"], hostile["load"]) = flooded.result(), loaded.result()

    visitors, wall = load(two.url, fns, pool, args, during=attack)
    codes, page = hostile["flood"], hostile["page"]
    ms = pen_up_ms(visitors)
    print(f"hostile: {args.flood} rapid calls to /gradio_api/info from {FLOODER}: {codes.count(429)} refused (429), "
          f"{codes.count(200)} answered, other {len(codes) - codes.count(429) - codes.count(200)}; a page load "
          f"meanwhile from {PAGE} (the {len(asked)} requests of Chromium's): {len(page)} responses, {sum(c in (429, 503) for c in page)} refused, "
          f"{hostile['load']:.1f} s; visitors' pen-up to reading {spread(ms, 95, 0)} "
          f"(aim: ≤ 1000 ms), {rate(visitors, wall):.2f} drawings read/s")

    return {"flood refused in part": codes.count(429) > 0,
            "page load never refused": not any(c in (429, 503) for c in page),
            "visitors' p95 ≤ 1 s under the flood": quantile(ms, 95) <= 1000}


def failover(two: Deployment, fns: tuple, pool: list, args) -> dict:
    """A replica killed while the visitors draw: print the figures; the requirements met."""
    killed = {}

    def kill(start: float) -> None:
        time.sleep(args.kill_after)
        victim = next(iter(two.pids))
        killed.update(address=victim, at=time.perf_counter())
        os.kill(two.pids[victim], signal.SIGKILL)

    visitors, wall = load(two.url, fns, pool, args, failover=True, during=kill)
    theirs = [v for v in visitors if v.replica() == killed["address"]]
    others = [v for v in visitors if v.replica() != killed["address"]]
    told = [min((s for s in v.sentences if s > killed["at"]), default=None) for v in theirs]
    again = [min((r for r in v.readings if r > s), default=None) if s else None for v, s in zip(theirs, told)]
    to_sentence = [s - killed["at"] for s in told if s]
    to_reading = [r - s for s, r in zip(told, again) if s and r]
    tracebacks = len(re.findall("Traceback", two.printed()))
    within = sum(1 for s, r in zip(told, again) if s and r and r - killed["at"] <= 5)
    print(f"failover: replica {killed['address']} killed {args.kill_after:.0f} s into {args.seconds:.0f} s of "
          f"{args.visitors} visitors; its {len(theirs)} visitors: {len(to_sentence)} got the sentence, kill to "
          f"sentence {fmt(to_sentence)}, sentence to a reading again {fmt(to_reading)}; {within}/{len(theirs)} "
          f"read again within 5 s of the kill; the other {len(others)} visitors: "
          f"{sum(len(v.sentences) for v in others)} sentences, "
          f"{sum(not ok for v in others for *_, ok in v.results)} drawings not read; tracebacks in the logs: "
          f"{tracebacks}")

    return {"every visitor of the lost replica reads again within 5 s": within == len(theirs) > 0,
            "the others unaffected": not any(v.sentences for v in others), "0 tracebacks": tracebacks == 0}


def replica_pids(deployed: Deployment) -> dict[str, int]:
    """The pid of each replica now, by its address (serve.py prints each replica it starts again)."""
    printed = deployed.printed()
    ports = dict(re.findall(r"replica (\d+) pid \d+ on (127\.0\.0\.1:\d+)", printed))
    pids = {number: int(pid) for number, pid in re.findall(r"replica (\d+) pid (\d+) on", printed)}
    pids.update({number: int(pid) for number, pid in re.findall(r"replica (\d+) started again \(pid (\d+)\)",
                                                                printed)})
    return {ports[number]: pid for number, pid in pids.items()}


def page_part(folder: Path, args) -> dict:
    """In Chromium: a page's replica killed under it, --page-rounds times: print the figures; the requirements met."""
    from playwright.sync_api import expect, sync_playwright

    from harness import draw, open_app
    from web.widgets import PAD_READY_JS

    seven, one = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]], [[(0.5, 0.05), (0.5, 0.95)]]
    deployed, told, again = Deployment(2, folder / "serve-page.log"), [], []
    try:
        with sync_playwright() as p:
            browser = chromium(p)
            for _ in range(args.page_rounds):
                while not all(map(alive_at, replica_pids(deployed))):  # both serve: the one killed before is back
                    time.sleep(0.5)
                page, replicas = open_app(browser, deployed.url), []
                page.on("response", lambda r: "/gradio_api/" in r.url and r.headers.get("x-replica")
                        and replicas.append(r.headers["x-replica"]))
                draw(page, seven)
                expect(page.locator("#prediction .output-class")).to_have_text("7", timeout=30_000)
                page.wait_for_timeout(3000)  # its experiments answered: the page is idle
                os.kill(replica_pids(deployed)[replicas[-1]], signal.SIGKILL)
                start = time.perf_counter()
                expect(page.locator("#replica-lost")).to_be_visible(timeout=30_000)
                told.append(time.perf_counter() - start)
                page.wait_for_function(PAD_READY_JS, timeout=30_000)
                draw(page, one)
                expect(page.locator("#prediction .output-class")).to_have_text("1", timeout=30_000)
                again.append(time.perf_counter() - start)
                page.context.close()
            browser.close()
    finally:
        deployed.stop()
    print(f"the page in Chromium: its replica killed {len(told)} times while it sat idle: kill to the sentence on "
          f"the fresh page {fmt(told)}; to its next drawing read {fmt(again)} (the drawing takes ~1 s)")
    return {"the page says the sentence within 5 s": bool(told) and max(told) <= 5}


def alive_at(address: str) -> bool:
    """Whether the app answers at address."""
    try:
        return httpx.get(f"http://{address}/gradio_api/app_id", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def fmt(seconds: list[float]) -> str:
    return f"median {sorted(seconds)[len(seconds) // 2]:.1f} s, max {max(seconds):.1f} s" if seconds else "none"


if __name__ == "__main__":
    main()

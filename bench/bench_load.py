"""A classroom at once: concurrent gradio_client clients each send pen-drawn digits to /predict, against
`python app.py`, against bench/floor_app.py (the cheapest app with the same contract) and against
`bench/floor_app.py --cnn` (that bare app doing app.py's reading: the most any app doing this work can reach),
in one run.

Prints, for each: throughput, p50/p99 latency, errors, the server's CPU time per request and its memory growth;
then the throughput ratios, and whether every answer equals what that drawing gets alone (computed in this process
first). The apps take turns in rounds, so that all see the same load from the rest of the machine.
Run from the repository root: `python -m bench.bench_load`. The drawings are real pen-drawn UNIPEN digits, used
only for measuring. Everything stays on the loopback interface.
"""
import argparse
import contextlib
import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from gradio_client import Client, handle_file

from bench.common import cpu_seconds, parser, quantile, rss_mb
from harness import DEV, REPO, serving
from mnist_cnn.checkpoint import load_model
from mnist_cnn.pipeline import confidences, read_digit
from mnist_cnn.strokes import load_samples, random_drawing

APPS = {"floor": ("bench/floor_app.py",), "cnn": ("bench/floor_app.py", "--cnn"), "app": ("app.py",)}
TOLERANCE = 1e-6  # an answer equals the one alone if every confidence is within this


def drawings(n: int, folder: Path, seed: int) -> list[str]:
    """n PNG files of UNIPEN digits drawn as a person might on the app's canvas (brush, size and place vary)."""
    rng = random.Random(seed)
    samples = load_samples(DEV)
    paths = []
    for i in range(n):
        path = folder / f"drawing_{i}.png"
        random_drawing(rng.choice(samples)["strokes"], rng).save(path)
        paths.append(str(path))
    return paths


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
    q = statistics.quantiles(ms, n=100, method="inclusive")
    rate = len(results) / wall
    print(f"{name:>5}: {rate:5.1f} req/s  p50 {q[49]:5.0f} ms  p99 {q[98]:5.0f} ms  errors {len(errors)}  "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--drawings", type=int, default=20, help="drawings each client sends to each app")
    parser.add_argument("--rounds", type=int, default=4, help="turns per app; each sends drawings/rounds per client")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one request may take")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

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

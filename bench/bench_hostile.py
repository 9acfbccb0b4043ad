"""Hostile clients against `python app.py` (issue 15), on the loopback interface only, in bounded runs.

(a) --hostile clients, for --seconds, send the attacks of tests/test_hostile.py (server paths, URLs, giant values, bad
payloads) and the largest pad value the pad still reads (a PNG data URL under inputs.MAX_DRAWING, MAX_PAD_SIDE px a
side, its top rows noise: as many as keep it under half inked, past which the pad refuses it) to every event of the
page through the raw queue, while one visitor draws a digit every second:
prints the visitor's answer time p50/p95 (aim: p95 <= 2 s) and the counts of answers and refusals.
(b) --sessions sessions each send the largest pad value once: the server's memory growth (aim: <= +100 MB); then, in
this process, what each session keeps (the json length of Gradio's config_values, empty since
web/gradio_internals.py's LeanSession, and the arrays in its gr.State values) after --kept sessions each read one
largest pad value.

Run from the repository root: `python -m bench.bench_hostile`.
"""
import base64
import contextlib
import io
import itertools
import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.bench_load import PadUser, frames, pad_events
from bench.common import arguments, rss_mb, test_module
from harness import DEV, call, events, launch, pad_data, serving
from mnist_cnn.errors import InputError
from mnist_cnn.images import MAX_PAD_SIDE
from mnist_cnn.inputs import MAX_DRAWING, PNG_URL, drawing
from mnist_cnn.strokes import draw_strokes, load_samples


def hostile_module():
    """tests/test_hostile.py, for its attacks (its audit hook idles unless its test is watching)."""
    return test_module("test_hostile")


def largest_pad_value(side: int = MAX_PAD_SIDE, limit: int = MAX_DRAWING) -> str:
    """A PNG data URL of side × side px with as many rows of noise as the pad still reads (inputs.drawing): under
    limit characters, and not so inked that it is refused before the reading."""
    noise = np.random.default_rng(0).integers(0, 256, (side, side), dtype=np.uint8)

    def url(rows: int) -> str:
        pixels = np.full((side, side), 255, np.uint8)
        pixels[:rows] = noise[:rows]
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG", compress_level=1)
        return PNG_URL + base64.b64encode(buf.getvalue()).decode()

    def read(rows: int) -> bool:
        value = url(rows)
        with contextlib.suppress(InputError):
            return len(value) <= limit and drawing(value) is not None
        return False

    low, high = 0, side  # the most rows of noise the pad still reads: more rows only add ink and characters
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if read(mid) else (low, mid - 1)
    return url(low)


def outcome(message: dict) -> str:
    """What the server did with an attack."""
    if message.get("success"):
        return "answered"
    if "status" in message:
        return f"refused at the door ({message['status']})"
    return "no answer" if message.get("output") == "no answer" else "refused by Gradio or a handler"


def under_attack(url: str, args, biggest: str) -> None:
    """Part (a)."""
    hostile = hostile_module()
    with tempfile.TemporaryDirectory(prefix="bench_hostile_") as folder:
        secret = str(Path(folder) / "secret.png")
        draw_strokes([[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]).save(secret)
        hits = {**hostile.attacks(secret), "largest pad value": biggest}
        page = [e for e in events(url) if e["backend"]]
        _, pad, _ = pad_events(url)
        jobs = [(e, p, name) for e in page for p, name in hostile.attackable(e, list(hits))]
        jobs += [(e, 0, "largest pad value") for e in page if e["fn_index"] == pad] * (len(jobs) // 4)
        random.Random(args.seed).shuffle(jobs)
        deadline, counts, lock = time.perf_counter() + args.seconds, {}, threading.Lock()
        work = itertools.cycle(jobs)

        def attacker(_) -> None:
            while time.perf_counter() < deadline:
                with lock:
                    event, position, name = next(work)
                try:
                    said = outcome(call(url, event["fn_index"], *hostile.sent(event, position, hits[name]),
                                        timeout=args.timeout))
                except Exception as e:  # a timeout or a dropped connection: counted, not fatal
                    said = f"client error ({type(e).__name__})"
                with lock:
                    counts[said] = counts.get(said, 0) + 1

        samples = load_samples(DEV)
        visitor, times = PadUser(url, pad_events(url), "visitor", timeout=args.timeout), []

        def draws() -> None:
            rng = random.Random(args.seed)
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                visitor.draw(frames(rng.choice(samples)["strokes"], 1), 0)
                time.sleep(max(0.0, start + 1 - time.perf_counter()))

        with ThreadPoolExecutor(args.hostile + 1) as pool:
            drawing = pool.submit(draws)
            list(pool.map(attacker, range(args.hostile)))
            drawing.result()
        visitor.stop()
        times = [r[0] for r in visitor.results]
        print(f"(a) {args.hostile} hostile clients for {args.seconds:.0f} s, {len(jobs)} attacks in turn "
              f"({len(hits)} kinds, the largest pad value {len(biggest):,} characters), one visitor drawing a digit "
              f"a second")
        print(f"    visitor's drawing to its reading: p50 {1000 * statistics.median(times):.0f} ms, "
              f"p95 {1000 * float(np.percentile(times, 95)):.0f} ms, max {1000 * max(times):.0f} ms (aim: p95 <= "
              f"2000 ms); readings {sum(r[2] for r in visitor.results)}/{len(times)}, the drawing with its "
              f"experiments p50 {1000 * statistics.median(r[1] for r in visitor.results):.0f} ms")
        print("    attacks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def many_sessions(url: str, n: int, biggest: str, workers: int = 8) -> list[dict]:
    """n sessions each send the largest pad value once to the pad; the answers."""
    _, pad, _ = pad_events(url)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda i: call(url, pad, pad_data(biggest), session=uuid.uuid4().hex,
                                            timeout=120), range(n)))


def array_bytes(values) -> int:
    """Bytes of the numpy arrays and tensors held by these values and their fields, each object counted once."""
    held = {id(v): v for value in values for v in (value, *getattr(value, "__dict__", {}).values())}.values()
    return sum(v.nbytes for v in held if isinstance(v, (np.ndarray, torch.Tensor)))


def kept_per_session(n: int, biggest: str) -> None:
    """In this process: n sessions read the largest pad value; what each keeps, and the memory."""
    import app
    from mnist_cnn.checkpoint import load_model

    demo = launch(app.build(load_model()))
    try:
        before = rss_mb()
        answers = many_sessions(demo.local_url, n, biggest)
        sessions = demo.state_holder.session_data.values()
        kept = [len(json.dumps(s.config_values, default=str)) for s in sessions]
        held = [array_bytes(s.state_data.values()) for s in sessions]
        answered = sum(a.get("success", False) for a in answers)
        print(f"(b) in this process, {n} sessions each read the largest pad value ({answered} answered): "
              f"{len(kept)} sessions kept; per session, Gradio's config_values json p50 "
              f"{statistics.median(kept):,.0f} characters (max {max(kept):,}) and the arrays of its gr.State values "
              f"p50 {statistics.median(held) / 1e3:.1f} KB (max {max(held) / 1e3:.1f} KB); this process's RSS "
              f"{before:.0f} -> {rss_mb():.0f} MB")
    finally:
        demo.close()


def main() -> None:
    args = arguments(__doc__, {
        "hostile": (48, "hostile clients at once"), "seconds": (60.0, "how long they attack (0: not at all)"),
        "sessions": (200, "sessions that each send the largest pad value"),
        "kept": (1000, "sessions whose kept values are measured in this process"),
        "timeout": (60.0, "seconds one request may take"), "seed": (0, "of the attacks' order and the drawings")})
    torch.set_num_threads(1)
    biggest = largest_pad_value()
    if args.seconds > 0:
        with serving("app.py") as (server, url):
            under_attack(url, args, biggest)
    if args.sessions > 0:
        with serving("app.py") as (server, url):
            many_sessions(url, 2, biggest)  # warm-up
            before = rss_mb(server.pid)
            t = time.perf_counter()
            answers = many_sessions(url, args.sessions, biggest)
            print(f"(b) {args.sessions} sessions each sent the largest pad value ({len(biggest):,} characters, "
                  f"{MAX_PAD_SIDE}×{MAX_PAD_SIDE} px) in {time.perf_counter() - t:.0f} s: "
                  f"{sum(bool(a.get('success')) for a in answers)} answered; server RSS {before:.0f} -> "
                  f"{rss_mb(server.pid):.0f} MB (growth {rss_mb(server.pid) - before:+.1f} MB; aim <= +100 MB)")
    if args.kept > 0:
        kept_per_session(args.kept, biggest)


if __name__ == "__main__":
    main()

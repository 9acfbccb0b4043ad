"""Memory of many sessions that each read with their own network: each uploads a state_dict (as the notebook saves
it) through the page's own events and draws a digit; prints the server's memory growth (the aim: 30 sessions under
+150 MB). With --networks same, every session uploads the same file (as a class does with the notebook's cnn.pt),
which the server keeps once. Run from the repository root: `python -m bench.bench_own_sessions`. Everything stays on
loopback.
"""
import tempfile
from pathlib import Path

import httpx
import torch

import app
from bench.common import arguments, rss_mb
from harness import call, event_inputs, events, launch, pad_data
from mnist_cnn.checkpoint import load_model
from mnist_cnn.model import Net
from mnist_cnn.strokes import draw_strokes
from web import serving
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


def main() -> None:
    args = arguments(__doc__, {"sessions": (30, "sessions, each with its own network"),
                               "networks": ("own", "each session's network: its own file, or the same file for all",
                                            "own", "same")})
    torch.set_num_threads(1)
    serving.few_malloc_arenas()  # as app.main() does
    demo = launch(app.build(load_model()))
    url = demo.local_url
    found = {e["on"]: e["fn_index"] for e in events(url)}
    own, pad = found["own-upload", "upload"], found["draw", "drawn"]
    seven = data_url(draw_strokes(SEVEN))
    call(url, pad, pad_data(seven), session="warm-up")
    before = rss_mb(None)
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.sessions):
            path = Path(folder) / f"cnn{i if args.networks == 'own' else 0}.pt"
            if not path.exists():
                torch.manual_seed(i)
                torch.save(Net().state_dict(), path)
            with open(path, "rb") as f:
                kept = httpx.post(url + "gradio_api/upload", files={"files": ("cnn.pt", f)}).json()[0]
            session = f"session-{i}"
            call(url, pad, pad_data(seven), session=session)
            file = {"path": kept, "orig_name": "cnn.pt", "meta": {"_type": "gradio.FileData"}}
            assert call(url, own, event_inputs("own-upload", "upload", own_upload=file), session=session)["success"]
    after = rss_mb(None)
    which = "its own network" if args.networks == "own" else "the same network"
    print(f"{args.sessions} sessions, each with {which} and a drawing: server RSS {before:.0f} -> {after:.0f} MB "
          f"(growth {after - before:+.0f} MB, {(after - before) / args.sessions:+.2f} MB a session; "
          f"aim < +150 MB for 30)")
    demo.close()


if __name__ == "__main__":
    main()

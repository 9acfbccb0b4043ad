"""An app of this repository served by a subprocess on a loopback port, for the benchmark and screenshot scripts."""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(script: str = "app.py", port: int = 0, timeout: float = 120, args: tuple = ()):
    """Run `python script *args` on 127.0.0.1:port (0: any free port); yields (process, url) once it serves its page."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, script, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while True:
            if server.poll() is not None:
                sys.exit(f"{script} stopped before it served a page")
            if time.time() > deadline:
                sys.exit(f"{script} did not answer at {url} within {timeout:.0f} s")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        yield server, url
    finally:
        server.terminate()
        server.wait(timeout=30)

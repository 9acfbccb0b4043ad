"""Serve the app as several processes behind this machine's nginx, in the foreground: `python deploy/serve.py
--replicas 2 --port 8080` starts 2 processes of `python app.py` on loopback ports and nginx on 127.0.0.1:8080 with
deploy/nginx.conf filled in; Ctrl-C or SIGTERM stops them all. With --upstream it starts nginx alone, in front of
replicas that run elsewhere (deploy/compose.yaml).
"""
import argparse
import html
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script, from anywhere: the app's package and app.py are beside deploy/

from tqdm import tqdm  # noqa: E402  (after the path: this file is run as a script)

from web.i18n import t  # noqa: E402
from web.widgets import LIVE_MS  # noqa: E402

TEMPLATE = Path(__file__).with_name("nginx.conf")
# The most requests a learner's page sends in a second: while the pen moves, a live reading at most every LIVE_MS,
# each a queue join and the stream that brings its answer; then the pen-up and its experiments, two more of each.
LEARNER_PEAK = 2 * (1000 // LIVE_MS) + 4
EVENT_RATE = 2 * LEARNER_PEAK  # events per visitor per second: twice a learner's peak
EVENT_BURST = 2 * EVENT_RATE  # what a visitor may send at once beyond its rate
# Other calls per visitor: a page load (the page; gradio_client's config and API info), Gradio's reconnecting (every
# 2 s), a reload now and then
CALL_RATE, CALL_BURST = 5, 20
CLASS = 40  # learners behind one address (a school's NAT)
FIRST_CALL_RATE, FIRST_CALL_BURST = CLASS // 4, 2 * CLASS  # calls without a cookie, per address: a class loads at once
ADDRESS_RATE = CLASS * LEARNER_PEAK  # everything from one address
ADDRESS_BURST = 2 * ADDRESS_RATE
# Connections open at once: a browser opens at most 6 to one server (HTTP/1.1), its streams among them; a script
# with gradio_client may run a few calls at once.
VISITOR_CONNECTIONS = 16
ADDRESS_CONNECTIONS = CLASS * VISITOR_CONNECTIONS
UPLOAD_WRAPPING = 64 * 1024  # bytes of multipart wrapping around an uploaded file, at most
READY_TIMEOUT = 180  # seconds a replica may take to serve its page (loading torch, the weights, the test digits)
RESTART_DELAY = 2  # seconds before a replica that exited is started again
UNSAFE = set("$\\'\"<>&{}")  # characters that a sentence written into nginx.conf may not hold


def app_limits() -> tuple[int, int]:
    """The app's own body limits in bytes: an event's and an uploaded file's (web/door.py, which app.py
    launches Gradio with)."""
    from web.door import MAX_BODY, MAX_UPLOAD

    return MAX_BODY, MAX_UPLOAD


def sentence(key: str, lang: str = "en", **values) -> str:
    """A sentence of text.py for nginx.conf, where it sits inside a quoted string, a JSON string or HTML."""
    said = t(key, lang, **values)
    if UNSAFE & set(said):
        raise ValueError(f"text {key!r} ({lang}) holds one of {''.join(sorted(UNSAFE))}, which nginx.conf cannot")
    return said


def fill(servers: list[str], listen: str, access_log: str | None = None, template: str | None = None) -> str:
    """deploy/nginx.conf with its names filled in, its server line once per address in servers ("host:port")."""
    max_body, max_upload = app_limits()
    values = {
        "LISTEN": listen, "ACCESS_LOG": f"{access_log} replicas" if access_log else "off",
        "MAX_BODY": str(max_body), "MAX_UPLOAD": str(max_upload + UPLOAD_WRAPPING),
        "EVENT_RATE": str(EVENT_RATE), "EVENT_BURST": str(EVENT_BURST), "CALL_RATE": str(CALL_RATE),
        "CALL_BURST": str(CALL_BURST), "FIRST_CALL_RATE": str(FIRST_CALL_RATE),
        "FIRST_CALL_BURST": str(FIRST_CALL_BURST), "ADDRESS_RATE": str(ADDRESS_RATE),
        "ADDRESS_BURST": str(ADDRESS_BURST),
        "VISITOR_CONNECTIONS": str(VISITOR_CONNECTIONS), "ADDRESS_CONNECTIONS": str(ADDRESS_CONNECTIONS),
        "TEXT_LIMITED": sentence("error.limited"), "TEXT_TOO_LARGE": sentence("error.too_large", limit=max_body / 1e6),
        "TEXT_UPLOAD_TOO_LARGE": sentence("error.upload_size", limit=max_upload // 2 ** 20),
        "TEXT_UNAVAILABLE": sentence("error.unavailable"),
        "HTML_UNAVAILABLE": html.escape(sentence("error.unavailable")),
        "HTML_UNAVAILABLE_ES": html.escape(sentence("error.unavailable", "es")),
    }
    lines = []
    for line in (template or TEMPLATE.read_text()).splitlines():
        if "{{SERVER}}" in line:
            lines += [line.replace("{{SERVER}}", server) for server in servers]
            continue
        for name, value in values.items():
            line = line.replace("{{" + name + "}}", value)
        if "{{" in line:
            raise ValueError(f"nginx.conf: a name serve.py does not fill in: {line.strip()}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def resolve(upstreams: list[str]) -> list[str]:
    """Each "host:port" as the addresses its host resolves to ("ip:port"), one server each: nginx's hash keeps a
    visitor on one server line, and a name that resolves to several addresses (a compose service's replicas) is one
    line for all of them."""
    found = []
    for upstream in upstreams:
        host, _, port = upstream.rpartition(":")
        for *_, address in socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM):
            ip = f"[{address[0]}]" if ":" in address[0] else address[0]
            if f"{ip}:{port}" not in found:
                found.append(f"{ip}:{port}")
    return found


def nginx_binary(name: str) -> str:
    """The nginx to run: name on the PATH, or in /usr/sbin (Debian's, not on a user's PATH)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if not found:
        sys.exit(f"No {name} here: install it (Debian: apt-get install nginx)")
    return found


def prefix_with(config: str) -> Path:
    """A new folder for nginx (its pid, its temporary files) holding config as nginx.conf. Readable by all: run as
    root, nginx's workers are "nobody", and they write their temporary files under it."""
    prefix = Path(tempfile.mkdtemp(prefix="mnist-nginx-"))
    prefix.chmod(0o755)
    (prefix / "temp").mkdir()
    (prefix / "nginx.conf").write_text(config)
    return prefix


def nginx_command(binary: str, prefix: Path) -> list[str]:
    """nginx in the foreground with prefix's config, its error log on stderr."""
    return [binary, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e", "stderr"]


class Replica:
    """One process of the app, on a loopback port, started again when it exits unless told not to."""

    def __init__(self, number: int, port: int, script: str, restart: bool):
        self.number, self.port, self.script, self.restart = number, port, script, restart
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start `python script` on the port (a process group of its own: a Ctrl-C reaches serve.py alone)."""
        env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(self.port),
               "GRADIO_ANALYTICS_ENABLED": "False"}
        self.process = subprocess.Popen([sys.executable, self.script], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                        start_new_session=True)

    def serves(self) -> bool:
        """Whether the app answers on the port."""
        try:
            with urllib.request.urlopen(f"http://{self.address}/gradio_api/app_id", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False



def stop_all(processes: list[subprocess.Popen], grace: float = 20) -> None:
    """Ask each process to stop; kill those still running after grace seconds."""
    running = [p for p in processes if p and p.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_served(replicas: list[Replica], stop: threading.Event) -> None:
    """Return once every replica serves its page; exit if one ends, if stop is set, or after READY_TIMEOUT."""
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = list(replicas)
    with tqdm(total=len(replicas), desc="replicas serving", unit="replica") as bar:
        while waiting:
            if stop.is_set():
                raise SystemExit("stopped before the replicas served")
            for replica in list(waiting):
                if replica.process.poll() is not None:
                    raise SystemExit(f"replica {replica.number} (port {replica.port}) exited with code "
                                     f"{replica.process.returncode} before serving")
                if replica.serves():
                    waiting.remove(replica)
                    bar.update()
            if time.monotonic() > deadline:
                raise SystemExit(f"replicas not serving after {READY_TIMEOUT} s: "
                                 + ", ".join(str(r.port) for r in waiting))
            stop.wait(0.3)


def supervise(replicas: list[Replica], nginx: subprocess.Popen, stop: threading.Event) -> int:
    """Until stop is set or nginx ends: start again each replica that exits (after RESTART_DELAY) unless its restart
    is off. Returns serve.py's exit code."""
    exited: dict[int, float] = {}  # replica number -> when it was seen gone
    while not stop.wait(0.5):
        if nginx.poll() is not None:
            print(f"nginx exited with code {nginx.returncode}", file=sys.stderr)
            return 1
        for replica in replicas:
            code = replica.process.poll()
            if code is None:
                continue
            if replica.number not in exited:
                exited[replica.number] = time.monotonic()
                print(f"replica {replica.number} (port {replica.port}, pid {replica.process.pid}) exited with code "
                      f"{code}: nginx sends its visitors to the others"
                      + ("; it starts again" if replica.restart else ""), file=sys.stderr, flush=True)
            if replica.restart and time.monotonic() - exited[replica.number] > RESTART_DELAY:
                del exited[replica.number]
                replica.start()
                print(f"replica {replica.number} started again (pid {replica.process.pid})", flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="processes of the app to start")
    parser.add_argument("--port", type=int, default=8080, help="the port nginx listens on")
    parser.add_argument("--listen", default="127.0.0.1", help="the address nginx listens on (0.0.0.0: every one)")
    parser.add_argument("--first-port", type=int, default=None,
                        help="the first replica's loopback port, the others after it (None: --port + 1)")
    parser.add_argument("--upstream", action="append", default=[], metavar="HOST:PORT",
                        help="start no replica: nginx alone, in front of these (repeatable; a name that resolves "
                             "to several addresses gives one replica each)")
    parser.add_argument("--app", default="app.py", help="the script each replica runs, from the repository")
    parser.add_argument("--no-restart", action="store_true", help="leave a replica that exits stopped")
    parser.add_argument("--access-log", type=Path, default=None, help="a file for nginx's access log (None: no log)")
    parser.add_argument("--nginx", default="nginx", help="the nginx to run")
    parser.add_argument("--print-config", action="store_true", help="print the filled-in nginx.conf and exit")
    args = parser.parse_args()

    first = args.first_port or args.port + 1
    replicas = [] if args.upstream else [Replica(i + 1, first + i, args.app, not args.no_restart)
                                          for i in range(args.replicas)]
    servers = resolve(args.upstream) if args.upstream else [r.address for r in replicas]
    if not servers:
        sys.exit("no replica to serve: give --replicas 1 or more, or --upstream")
    access_log = args.access_log.resolve() if args.access_log else None
    config = fill(servers, f"{args.listen}:{args.port}", access_log and str(access_log))
    if args.print_config:
        print(config, end="")
        return
    binary = nginx_binary(args.nginx)
    prefix = prefix_with(config)
    if args.upstream:  # nginx alone: it becomes this process (a container's main process), and stops on SIGTERM
        print(f"nginx on http://{args.listen}:{args.port}/ in front of " + ", ".join(servers), flush=True)
        os.execv(binary, nginx_command(binary, prefix))

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    nginx = None
    code = 1
    try:
        for replica in replicas:
            replica.start()
        wait_until_served(replicas, stop)
        nginx = subprocess.Popen(nginx_command(binary, prefix), start_new_session=True)
        print(f"Serving http://{args.listen}:{args.port}/ with {len(replicas)} replicas: "
              + ", ".join(f"replica {r.number} pid {r.process.pid} on {r.address}" for r in replicas), flush=True)
        code = supervise(replicas, nginx, stop)
    except SystemExit as e:
        print(e, file=sys.stderr)
    finally:
        stop_all([nginx], grace=10)  # first: no new request reaches a replica that is stopping
        stop_all([r.process for r in replicas])
        shutil.rmtree(prefix, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()

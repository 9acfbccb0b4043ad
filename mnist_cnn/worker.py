"""Uploaded files are decoded in worker processes with a budget (MAX_SECONDS of CPU, MAX_MEMORY of address space):
a decoder busy inside Pillow cannot be stopped in this process, but a worker can be killed and another started.
The pad's PNGs, small and frequent, and images already decoded are read here, bounded by their header checks.
"""
import atexit
import contextlib
import io
import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from . import images
from .errors import KEY, InputError

# s of CPU time a file may take to be read. The slowest the limits allow, 25-megapixel RGBA PNGs and WebPs, take
# 0.5-0.9 s; a 2 MB photo 0.1 s (a JPEG decodes at the scale it is needed).
MAX_SECONDS = 1.0
MAX_WAIT = 5.0  # s of wall-clock time, for a worker that stalls without using its CPU time (a busy machine)
# Bytes of address space a worker may map: ~120 MB are Python, numpy and Pillow; reading the largest image allowed
# (a 25-megapixel WebP) peaks at ~500 MB.
MAX_MEMORY = 1_000_000_000
WORKERS = 2  # files read at once: the page's events that read them run two at a time (app.CNN); a third waits
START_WAIT = 30.0  # s a new worker may take to import numpy and Pillow on a busy machine
ROOT = Path(__file__).resolve().parent.parent  # where the package lies, for the worker's imports
HEAD = struct.Struct(">II")  # a message: the lengths of its JSON header and of its body, then both


def message(header: dict, body: bytes = b"") -> bytes:
    """One message between the server and a worker: a JSON header (never pickle: the worker reads hostile files)
    and raw bytes."""
    head = json.dumps(header).encode()
    return HEAD.pack(len(head), len(body)) + head + body


def read_exactly(stream, n: int) -> bytes | None:
    """n bytes from a blocking stream; None at its end."""
    data = bytearray()
    while len(data) < n:
        part = stream.read(n - len(data))
        if not part:
            return None
        data += part
    return bytes(data)


def receive(stream) -> tuple[dict, bytes] | None:
    """The next message from a blocking stream; None when it has closed."""
    lengths = read_exactly(stream, HEAD.size)
    if lengths is None:
        return None
    head, body = HEAD.unpack(lengths)
    return json.loads(read_exactly(stream, head)), read_exactly(stream, body) or b""


def serve() -> None:
    """A worker's loop, run as `python -c` with its memory limit as argument: decode each file it is sent into the
    grey levels preprocessing starts from, and answer; it ends when the server closes its input."""
    memory = int(sys.argv[1])
    with contextlib.suppress(ValueError, OSError):  # not every system caps address space (macOS does not)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # allocations beyond it fail: MemoryError
    # This process reads nothing else, so Pillow's process-wide guard can be the page's own limit; the size is
    # checked right after the header is parsed, so the guard's warning tells nothing
    Image.MAX_IMAGE_PIXELS = images.MAX_PIXELS
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    Image.init()  # every plugin now, not in the first file's time
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    sys.stdout = sys.stderr
    answers.write(message({"ready": True}))
    answers.flush()
    while (request := receive(sys.stdin.buffer)) is not None:
        header, body = request
        signal.setitimer(signal.ITIMER_PROF, header["seconds"])  # its SIGPROF ends the process: nothing to catch
        try:
            grey = images.work_grey(images.load_image(Path(header["path"]) if "path" in header else body))
            answer = message({"shape": grey.shape, "dtype": grey.dtype.str}, grey.tobytes())
        except InputError as e:
            answer = message({"key": e.key, "values": e.values})
        except MemoryError:
            answer = message({"key": "error.memory", "values": {"limit": memory // 1_000_000}})
        except Exception:  # a decoder's own failure on a damaged file; the server's log shows which
            traceback.print_exc()
            answer = message({"key": "error.damaged", "values": {}})
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        answers.write(answer)
        answers.flush()


class Worker:
    """One worker process and its pipes, used by one request at a time."""

    def __init__(self, memory: int) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        # -P: nothing imported from the current folder; the worker imports images.py, PIL and numpy, never torch
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-c", "from mnist_cnn.worker import serve; serve()", str(memory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0)
        try:
            ready = self.answer(time.monotonic() + START_WAIT)
        except (TimeoutError, EOFError):
            ready = None
        if ready != ({"ready": True}, b""):
            self.stop()
            raise RuntimeError("the image worker did not start")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the process now: a decoder cannot be asked to stop."""
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """End the process as it ends itself: its input closed."""
        self.process.stdin.close()
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.stop()

    def bytes_until(self, n: int, deadline: float) -> bytes:
        """n bytes of the worker's answer; TimeoutError past the deadline, EOFError if the worker died."""
        fd, data = self.process.stdout.fileno(), bytearray()
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            part = os.read(fd, min(n - len(data), 1 << 20))
            if not part:
                raise EOFError
            data += part
        return data

    def answer(self, deadline: float) -> tuple[dict, bytes]:
        """The worker's next message, by the deadline."""
        head, body = HEAD.unpack(self.bytes_until(HEAD.size, deadline))
        return json.loads(self.bytes_until(head, deadline)), bytes(self.bytes_until(body, deadline)) if body else b""

    def read(self, header: dict, body: bytes, wait: float) -> np.ndarray:
        """Send one file (its path in header, or its bytes as body) and return its grey levels; InputError with the
        worker's sentence, or error.slow if it ran out of time (then it is dead). BrokenPipeError if it had died."""
        self.process.stdin.write(message(header, body))
        try:
            answer, data = self.answer(time.monotonic() + wait)
        except TimeoutError:
            self.stop()
            raise InputError("error.slow", limit=header["seconds"]) from None
        except EOFError:  # killed by its CPU timer, or a decoder crashed
            if self.process.wait() == -signal.SIGPROF:
                raise InputError("error.slow", limit=header["seconds"]) from None
            raise InputError("error.damaged") from None
        return checked(answer, data)


def checked(answer: dict, data: bytes) -> np.ndarray:
    """A worker's answer as grey levels, or its InputError; anything a worker should not say is a damaged file (its
    decoder was misled)."""
    if isinstance(answer.get("key"), str) and KEY.fullmatch(answer["key"]):
        values = answer.get("values")
        if isinstance(values, dict) and all(isinstance(v, (str, int, float)) for v in values.values()):
            raise InputError(answer["key"], **values)
    shape = answer.get("shape")
    if answer.get("dtype") == "<f4" and isinstance(shape, list) and len(shape) == 2 and \
            all(type(s) is int and 0 < s <= images.WORK_SIDE for s in shape) and len(data) == 4 * shape[0] * shape[1]:
        return np.frombuffer(bytearray(data), dtype=np.float32).reshape(shape)
    raise InputError("error.damaged")


class Readers:
    """Up to `size` workers, each started when first needed and again after it was killed; a request takes an idle
    one, or waits for one."""

    def __init__(self, size: int = WORKERS, seconds: float = MAX_SECONDS, memory: int = MAX_MEMORY,
                 wait: float = MAX_WAIT) -> None:
        self.size, self.seconds, self.memory, self.wait = size, seconds, memory, wait
        self.idle: list[Worker] = []
        self.started = 0
        self.free = threading.Condition()

    def take(self) -> Worker:
        """An idle worker, or a new one if fewer than size run; waits while size are busy."""
        with self.free:
            while not self.idle and self.started >= self.size:
                self.free.wait()
            if self.idle:
                return self.idle.pop()
            self.started += 1
        try:
            return Worker(self.memory)
        except BaseException:
            self.give(None)
            raise

    def give(self, worker: Worker | None) -> None:
        """A worker back to the pool when it lives; a dead one makes room for a new one."""
        with self.free:
            if worker is not None and worker.alive:
                self.idle.append(worker)
            else:
                self.started -= 1
            self.free.notify()

    def warm(self) -> None:
        """One worker started now, so that the first upload does not wait for it."""
        self.give(self.take())

    def read(self, path: str | Path | None = None, data: bytes = b"") -> np.ndarray:
        """A file's grey levels (by its path, or its bytes), read by a worker within the budget."""
        header = {"seconds": self.seconds, **({"path": os.path.abspath(path)} if path is not None else {})}
        for attempt in (1, 2):
            worker = self.take()
            try:
                return worker.read(header, data, self.wait)
            except BrokenPipeError:  # it died while idle (killed from outside): once more with a new one
                worker.stop()
                if attempt == 2:
                    raise
            finally:
                self.give(worker)

    def close(self) -> None:
        """End the idle workers."""
        with self.free:
            idle, self.idle = self.idle, []
            self.started -= len(idle)
        for worker in idle:
            worker.close()


READERS = Readers()
atexit.register(READERS.close)


def read_grey(source, readers: Readers = READERS) -> np.ndarray:
    """What prepare takes -> the float32 (H, W) grey levels it starts from (images.work_grey): files and encoded
    images are read by a worker, except PNGs no larger than the pad's; those, and images already decoded, here."""
    if isinstance(source, (str, Path)) and not str(source).startswith("data:"):
        return readers.read(path=source)
    if isinstance(source, (str, bytes, bytearray, memoryview, io.IOBase)):
        data = images.encoded(source)
        if images.pad_png(data) is None:
            return readers.read(data=data)
        source = data
    return images.work_grey(images.load_image(source))

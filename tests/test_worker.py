"""Files decoded in worker processes with a budget: the same grey levels as in this process, the pad's PNGs kept
here, a reading over its CPU time, wall-clock time or memory stopped with its sentence, and a new worker after it."""
import base64
import io
import os
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from mnist_cnn import images, worker
from mnist_cnn.errors import InputError
from mnist_cnn.strokes import draw_strokes
from web.i18n import sentence

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


def blank_png(side: int, colour_type: int = 0) -> bytes:
    """A side×side 8-bit PNG of zeros (grey, or RGBA with colour_type 6): small on disk, large once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytes(1 + side * (4 if colour_type == 6 else 1))
    packer = zlib.compressobj(1)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def seven() -> Image.Image:
    return draw_strokes(SEVEN)


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> str:
    """A 5000×5000 RGBA PNG, the pixel limit: 0.4 MB on disk, 100 MB and ~0.7 s of CPU to read."""
    path = tmp_path_factory.mktemp("worker") / "big.png"
    path.write_bytes(blank_png(5000, colour_type=6))
    return str(path)


class Counted(worker.Readers):
    """Readers that count the files they are sent."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.sent = 0

    def read(self, path=None, data=b""):
        self.sent += 1
        return super().read(path, data)


@pytest.fixture
def readers():
    made = []

    def make(**kw) -> Counted:
        made.append(Counted(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kw)
    return buffer.getvalue()


def exif_rotated(img: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return save(img.transpose(Image.Transpose.ROTATE_90).convert("RGB"), "JPEG", quality=90, exif=exif)


KINDS = {
    "PNG": lambda s: save(s, "PNG"),
    "RGBA PNG": lambda s: save(s.convert("RGBA"), "PNG"),
    "16-bit PNG, large": lambda s: save(Image.fromarray(np.asarray(s.resize((2400, 2400))).astype(np.uint16) * 257),
                                        "PNG"),
    "JPEG": lambda s: save(s.convert("RGB"), "JPEG", quality=75),
    "progressive JPEG, large": lambda s: save(s.resize((3000, 3000)).convert("RGB"), "JPEG", progressive=True),
    "EXIF-rotated JPEG": exif_rotated,
    "WebP": lambda s: save(s.convert("RGB"), "WEBP"),
    "GIF": lambda s: save(s.convert("P"), "GIF"),
    "BMP": lambda s: save(s, "BMP"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_read_by_a_worker_has_the_grey_levels_this_process_finds(readers, seven, tmp_path, kind):
    path = tmp_path / "digit"
    path.write_bytes(KINDS[kind](seven))
    here = images.work_grey(images.load_image(path))
    r = readers()
    for source in (path, str(path), path.read_bytes()):
        there = worker.read_grey(source, r)
        assert there.dtype == here.dtype == np.float32 and there.shape == here.shape and max(here.shape) <= 560
        assert there.tobytes() == here.tobytes()  # bit for bit
    assert r.sent == 2 + (images.pad_png(path.read_bytes()) is None)  # bytes of a PNG the pad's size: read here


def test_the_pad_s_pngs_and_decoded_images_are_read_here(readers, seven):
    r = readers()
    png = save(seven, "PNG")
    for source in (png, io.BytesIO(png), "data:image/png;base64," + base64.b64encode(png).decode(), seven,
                   np.asarray(seven)):
        worker.read_grey(source, r)
    assert r.sent == 0
    for source in (save(seven.resize((561, 561)), "PNG"), save(seven.convert("RGB"), "JPEG")):
        worker.read_grey(source, r)
    assert r.sent == 2  # a PNG larger than the pad, and any other format


def test_a_reading_over_its_cpu_time_is_stopped_and_the_next_file_is_read(readers, big, seven, tmp_path):
    r = readers(size=1, seconds=0.02)
    with pytest.raises(InputError) as e:
        worker.read_grey(big, r)
    assert e.value.key == "error.slow" and "stopped" in sentence(e.value)
    assert r.started == 0 and not r.idle  # the worker was killed by its CPU timer
    path = tmp_path / "seven.jpg"
    path.write_bytes(save(seven.convert("RGB"), "JPEG"))
    assert worker.read_grey(path, r).shape == (280, 280)  # read by a new worker
    assert r.started == 1


def test_a_worker_that_stalls_is_killed_at_the_wall_clock_limit(readers, big):
    r = readers(size=1, seconds=60, wait=0.01)
    with pytest.raises(InputError) as e:
        worker.read_grey(big, r)
    assert e.value.key == "error.slow" and r.started == 0


def test_a_reading_over_its_memory_is_stopped(readers, big):
    r = readers(size=1, memory=180_000_000)  # Python, numpy and Pillow take ~120 MB of it
    with pytest.raises(InputError) as e:
        worker.read_grey(big, r)
    assert e.value.key == "error.memory" and "180 MB" in sentence(e.value)
    assert r.started == 1  # a MemoryError ends the reading, not the worker
    assert worker.read_grey(big, readers(size=1, seconds=60)).shape == (560, 560)  # within the usual memory


def test_a_worker_that_died_while_idle_is_replaced(readers, seven, tmp_path):
    r = readers(size=1)
    path = tmp_path / "seven.bmp"
    path.write_bytes(save(seven, "BMP"))
    worker.read_grey(path, r)
    r.idle[0].process.kill()
    r.idle[0].process.wait()
    assert worker.read_grey(path, r).shape == (280, 280)


def test_a_worker_s_refusal_is_its_sentence(readers, tmp_path):
    r = readers()
    for data, key in ((b"hello", "error.not_image"), (save(Image.new("RGB", (8, 8)), "TIFF"), "error.format"),
                      (blank_png(6000), "error.pixels")):
        with pytest.raises(InputError) as e:
            worker.read_grey(data, r)
        assert e.value.key == key
    with pytest.raises(InputError) as e:
        worker.read_grey(tmp_path / "absent.png", r)
    assert e.value.key == "error.no_file" and e.value.values == {"name": "absent.png"}


def test_a_worker_s_answer_is_checked():
    grey = np.zeros((2, 3), np.float32)
    assert worker.checked({"shape": [2, 3], "dtype": "<f4"}, grey.tobytes()).tobytes() == grey.tobytes()
    for answer, data in (({"shape": [2, 3], "dtype": "<f4"}, b"\0" * 20), ({"shape": [2, 3], "dtype": "<f8"}, b""),
                         ({"shape": [2, 3000], "dtype": "<f4"}, b"\0" * 24000), ({"shape": [2, 3.0]}, b""),
                         ({"key": "not.a.text"}, b""), ({"key": "app.title", "values": {}}, b""),
                         ({"key": "error.side", "values": {"width": [1]}}, b""), ({}, b"")):
        with pytest.raises(InputError) as e:
            worker.checked(answer, data)
        assert e.value.key == "error.damaged", answer
    with pytest.raises(InputError) as e:
        worker.checked({"key": "error.side", "values": {"width": 1, "height": 2, "limit": 3}}, b"")
    assert e.value.key == "error.side" and e.value.values == {"width": 1, "height": 2, "limit": 3}


def test_the_worker_imports_neither_torch_nor_gradio():
    code = "import sys, mnist_cnn.worker; print(sorted({'torch', 'gradio'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(worker.ROOT)}
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_four_files_at_once_are_read_by_two_workers(readers, seven, tmp_path):
    r = readers(size=2)
    path = tmp_path / "seven.gif"
    path.write_bytes(save(seven.convert("P"), "GIF"))
    with ThreadPoolExecutor(4) as pool:
        shapes = list(pool.map(lambda _: worker.read_grey(path, r).shape, range(8)))
    assert shapes == [(280, 280)] * 8 and r.started <= 2 and r.sent == 8

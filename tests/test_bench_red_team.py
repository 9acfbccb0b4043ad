"""The red-team benchmark's own pieces: what counts as a bare "Error" answer, and that its crafted files are what
their names say (small pickles of allowed calls, a PNG whose first bytes lie about its size, an ICO whose header does,
a JPEG with its last scan repeated)."""
import base64
import collections
import io
import pickle
import struct

from PIL import Image

from bench.bench_red_team import (
    CUT,
    allocating_pickle,
    bare_error,
    ico_holding,
    jpeg_scans_repeated,
    legacy_pt,
    outcome,
    png_behind_a_chunk,
)
from mnist_cnn.inputs import PNG_URL


def test_a_bare_error_is_one_that_says_nothing_but_that_something_failed():
    completed = '{"msg": "process_completed", "output": {"error": %s}, "success": false}'
    assert bare_error(500, "Internal Server Error") and bare_error(502, "")
    assert bare_error(200, "data: " + completed % "null") and bare_error(500, '{"error": null}')
    assert bare_error(200, "event: error\ndata: null") and bare_error(200, 'event: error\ndata: {"error": null}')
    assert not bare_error(200, "data: " + completed % '"The drawing could not be read."')
    assert not bare_error(200, 'event: error\ndata: "404: Not Found"')
    assert not bare_error(400, '{"error": "This request sends a value the page never sends."}')
    assert not bare_error(200, 'data: {"msg": "process_completed", "output": {"data": [1]}, "success": true}')
    assert outcome(None, "") == "no answer" and outcome(500, "") == "500 bare Error"
    assert outcome(200, "data: {}\n" + CUT) == "200 cut off"


def test_the_pickles_are_tiny_and_hold_only_the_allowed_calls():
    assert pickle.loads(allocating_pickle(False, calls=3, size=10)) == {f"t{i}": bytearray(10) for i in range(3)}
    assert pickle.loads(allocating_pickle(True, calls=2, size=7)) == {"t0": collections.Counter({0: 7}),
                                                                      "t1": collections.Counter({0: 7})}
    assert len(allocating_pickle(True)) < 2500 and len(allocating_pickle(False)) < 2500  # bytes, for 500 MB
    legacy = io.BytesIO(legacy_pt(allocating_pickle(False, calls=1, size=3)))
    assert [pickle.load(legacy) for _ in range(4)][3] == {"t0": bytearray(3)}  # after its three header pickles


def test_the_png_claims_its_first_chunk_s_size_and_decodes_at_its_ihdr_s():
    png = base64.b64decode(png_behind_a_chunk(side=1000, claimed=280).removeprefix(PNG_URL))
    assert struct.unpack(">II", png[16:24]) == (280, 280)  # where a PNG's IHDR says its size
    image = Image.open(io.BytesIO(png))
    assert image.size == (1000, 1000) and image.mode in ("P", "1")


def test_the_ico_says_256_px_and_holds_a_larger_png():
    ico = ico_holding(side=600)
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 1)  # an icon, of one entry
    assert ico[6:8] == b"\x00\x00"  # 0 in the entry's width and height bytes: 256 px
    assert struct.unpack("<II", ico[14:22]) == (len(ico) - 22, 22)  # its image: the rest of the file
    assert Image.open(io.BytesIO(ico[22:])).size == (600, 600)


def test_the_jpeg_repeats_its_last_scan():
    once, many = jpeg_scans_repeated(repeats=1, side=64), jpeg_scans_repeated(repeats=50, side=64)
    assert many.count(b"\xff\xda") == once.count(b"\xff\xda") + 49
    assert Image.open(io.BytesIO(many)).size == (64, 64)

"""What a browser sends, checked: the pad's data URL, an uploaded path, numbers; and the door's check of a request."""
import base64
import math
import os

import numpy as np
import pytest
from gradio.utils import get_upload_folder
from PIL import Image

from mnist_cnn import inputs
from mnist_cnn.door import files_outside
from mnist_cnn.errors import InputError
from mnist_cnn.widgets import data_url


def test_a_drawing_is_a_small_png_data_url():
    png = data_url(Image.new("L", (280, 280), 255))
    assert inputs.drawing(png) == base64.b64decode(png.split(",", 1)[1])
    assert inputs.drawing("") is None and inputs.drawing(None) is None


@pytest.mark.parametrize("bad", [
    "/etc/passwd", "file:///etc/passwd", "javascript:alert(1)", "data:image/jpeg;base64,AAAA",
    "data:image/png;base64,not base64!", "data:image/png;base64," + base64.b64encode(b"GIF89a...").decode(),
    "data:image/png;base64," + "A" * inputs.MAX_DRAWING, 7, 1.5, True, ["data:image/png;base64,"], {"path": "x"},
])
def test_anything_else_is_one_sentence(bad):
    with pytest.raises(InputError) as e:
        inputs.drawing(bad)
    assert e.value.key == "error.drawing"


def test_a_png_larger_than_the_pad_is_refused_before_it_is_decoded():
    with pytest.raises(InputError):
        inputs.drawing(data_url(Image.new("L", (inputs.MAX_PAD_SIDE + 1, 10), 255)))
    assert inputs.drawing(data_url(Image.new("L", (inputs.MAX_PAD_SIDE, 10), 255)))


def test_an_upload_must_lie_in_the_upload_folder(tmp_path):
    folder = tmp_path / "uploads"
    (folder / "a").mkdir(parents=True)
    inside = folder / "a" / "digit.png"
    inside.write_bytes(b"x")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"x")
    os.symlink(outside, folder / "a" / "link.png")
    assert inputs.uploaded(str(inside), folder) == inside.resolve()
    for bad in (str(outside), str(folder / "a" / ".." / ".." / "secret.png"), str(folder / "a" / "link.png"),
                str(folder / "a" / "absent.png"), str(folder / "a"), "/dev/zero", "a\x00b", "", "x" * 5000, 7, None,
                ["x"], {"path": str(inside)}):
        with pytest.raises(InputError) as e:
            inputs.uploaded(bad, folder)
        assert e.value.key == "error.not_uploaded" and not e.value.values  # the same sentence, naming nothing


def test_numbers_are_checked_for_type_and_range():
    assert inputs.whole(3, 0, 5) == 3 and inputs.whole(3.0, 0, 5) == 3 and inputs.whole(np.int64(2), 0, 5) == 2
    assert inputs.real(0.5, 0, 1) == 0.5 and inputs.one_of(2, (1, 2)) == 2
    for bad in (True, "3", None, [3], 3.5, math.inf, math.nan, -1, 6):
        with pytest.raises(ValueError):
            inputs.whole(bad, 0, 5)
    for bad in (True, "0.5", math.inf, -math.inf, math.nan, 2):
        with pytest.raises(ValueError):
            inputs.real(bad, 0, 1)
    with pytest.raises(ValueError):
        inputs.one_of(0, (1, 2))


def test_the_door_finds_files_outside_the_upload_folder_anywhere_in_a_request():
    folder = get_upload_folder()
    inside = {"path": f"{folder}/abc/x.png", "meta": {"_type": "gradio.FileData"}}
    assert not files_outside({"data": [inside, None, "en"]}, folder)
    assert not files_outside({"data": ["/etc/passwd"]}, folder)  # a bare string is the handlers' to judge
    for bad in ({"path": "/etc/passwd"}, {"path": f"{folder}/../etc/passwd"}, {"path": 7}, {"path": None},
                {"a": [{"b": {"path": "/x"}}]}):
        assert files_outside({"data": [bad]}, folder), bad
    deep = []
    for _ in range(30):
        deep = [deep]
    assert files_outside({"data": deep}, folder)  # deeper than any page sends

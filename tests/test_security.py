"""Safety of the served app: its file routes give nothing outside its own files and Gradio's temp cache, a request
cannot name a file on the server, what people send is written only to that cache, and the cache is cleaned.
"""
import http.client
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from gradio import route_utils
from gradio.utils import get_upload_folder, is_in_or_equal
from gradio_client import Client, handle_file

import app
from harness import call, pad_data
from mnist_cnn.checkpoint import WEIGHTS
from mnist_cnn.strokes import draw_strokes
from web import serving
from web.widgets import data_url

REPO = Path(__file__).resolve().parent.parent

# Every file this process opens for writing while `watching` is set (an audit hook cannot be removed, so it idles).
written: list[str] = []
watching = threading.Event()


def record_writes(event: str, args: tuple) -> None:
    if event == "open" and watching.is_set():
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                 (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writes and isinstance(path, (str, bytes, os.PathLike)):
            written.append(os.fsdecode(path))


sys.addaudithook(record_writes)


def get(url: str, target: str) -> tuple[int, bytes]:
    """GET target exactly as written: unlike httpx, http.client leaves "../" and "%2e" for the server to judge."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=20)
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    """A file of this machine's temp folder, outside Gradio's cache, that nobody was given."""
    path = tmp_path_factory.mktemp("private") / "secret.txt"
    path.write_text("the secret of another program")
    return path


def forbidden(secret: Path) -> dict[str, bytes]:
    """Request target -> bytes that must not come back."""
    app_py, passwd, env = b"def build(", b"root:", b"PATH="
    weights = WEIGHTS.read_bytes()[:16]  # the safetensors header: its length, then the start of its JSON
    upload = get_upload_folder()
    return {
        "/gradio_api/file=/etc/passwd": passwd,
        "/gradio_api/file=%2Fetc%2Fpasswd": passwd,
        "/gradio_api/file=%252Fetc%252Fpasswd": passwd,
        "/gradio_api/file//etc/passwd": passwd,
        "/gradio_api/file/etc/passwd": passwd,
        f"/gradio_api/file={upload}/../../../etc/passwd": passwd,
        "/gradio_api/file=/proc/self/environ": env,
        "/gradio_api/file=app.py": app_py,
        f"/gradio_api/file={REPO / 'app.py'}": app_py,
        "/gradio_api/file=../../app.py": app_py,
        "/gradio_api/file=..%2F..%2Fapp.py": app_py,
        "/gradio_api/file=%2e%2e/%2e%2e/app.py": app_py,
        "/gradio_api/file/../../app.py": app_py,
        "/file=/etc/passwd": passwd,
        "/file=app.py": app_py,
        "/file=../app.py": app_py,
        f"/gradio_api/file={WEIGHTS}": weights,
        f"/gradio_api/file={WEIGHTS.relative_to(REPO)}": weights,
        f"/gradio_api/file={secret}": b"the secret",
        "/static/../../app.py": app_py,
        "/static/..%2F..%2Fapp.py": app_py,
        "/assets/..%2F..%2F..%2Fapp.py": app_py,
        "/svelte/..%2F..%2Fapp.py": app_py,
    }


def test_file_routes_refuse_paths_outside_the_app_and_its_cache(app_url, secret):
    refused = forbidden(secret)
    answers = {target: get(app_url, target) for target in refused}
    for target, (status, body) in answers.items():
        assert status in (403, 404), target
        assert refused[target] not in body, target


def upload(app_url: str, path: Path) -> Path:
    """Upload a file as the page does; where Gradio keeps it."""
    with open(path, "rb") as f:
        kept = Path(httpx.post(app_url + "gradio_api/upload", files={"files": (path.name, f)}, timeout=20).json()[0])
    for _ in range(50):  # Gradio may move the upload into place just after answering
        if kept.exists():
            break
        time.sleep(0.05)
    return kept


def test_file_routes_still_serve_what_was_uploaded(app_url, digit_strokes, tmp_path):
    # the refusals above are not a broken route
    seven = tmp_path / "seven.png"
    draw_strokes(digit_strokes["7"]).save(seven)
    status, body = get(app_url, f"/gradio_api/file={upload(app_url, seven)}")
    assert status == 200 and body.startswith(b"\x89PNG")


def test_proxy_route_fetches_nothing_for_a_caller(app_url):
    status, body = get(app_url, f"/gradio_api/proxy={app_url}config")
    assert 400 <= status < 500
    assert b'"components"' not in body


def test_deep_link_route_is_closed_and_writes_nothing(app_url, fn_index, digit_strokes):
    session = uuid.uuid4().hex
    seven = pad_data(data_url(draw_strokes(digit_strokes["7"])))
    assert call(app_url, fn_index["draw", "drawn"], seven, session=session)["success"]
    before = set((Path(get_upload_folder()) / "deep_links").glob("*"))
    r = httpx.get(app_url + "gradio_api/deep_link", params={"session_hash": session})
    assert r.status_code == 404 and r.json() == {"error": "This page does not offer that route."}
    assert set((Path(get_upload_folder()) / "deep_links").glob("*")) == before


@pytest.mark.parametrize("path", ["/etc/passwd", str(WEIGHTS)])
def test_predict_cannot_be_pointed_at_a_file_on_the_server(app_url, path):
    for payload in ({"path": path, "meta": {"_type": "gradio.FileData"}}, {"path": path}):
        sent = httpx.post(app_url + "gradio_api/call/predict", json={"data": [payload]}, timeout=20)
        assert sent.status_code == 400 and "not uploaded through this page" in sent.text  # refused at the door
    sent = httpx.post(app_url + "gradio_api/call/predict", json={"data": [path]}, timeout=20)  # a bare string
    assert sent.status_code == 400 and "never sends" in sent.text  # no file in the shape Gradio sends one


def test_uploads_are_kept_only_in_gradios_cache(app_url, served, digit_strokes, tmp_path):
    seven = tmp_path / "seven.png"
    draw_strokes(digit_strokes["7"]).save(seven)
    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(seven)), api_name="/predict")  # connected and warm before watching
    written.clear()
    watching.set()
    try:
        for _ in range(3):
            assert client.predict(handle_file(str(seven)), api_name="/predict")["label"] == "7"
        with pytest.raises(Exception):
            client.predict(handle_file(str(REPO / "README.md")), api_name="/predict")
        served.page.drawn(data_url(draw_strokes(digit_strokes["1"])), None, None, "en")  # a drawing
        served.page.uploaded(str(upload(app_url, seven)), None, None, "en")  # an upload from the page
    finally:
        watching.clear()
    cache = get_upload_folder()
    assert written  # the uploads themselves were seen
    assert [p for p in written if not is_in_or_equal(p, cache)] == []


def test_gradio_cleans_its_cache_on_a_schedule(served):
    frequency, age = served.delete_cache
    assert (frequency, age) == serving.CACHE_CLEANUP
    assert 0 < frequency <= 3600 and 0 < age <= 3600  # within the hour


def test_cleaning_the_cache_removes_uploads_and_the_app_still_reads(served, app_url, digit_strokes, tmp_path):
    seven = tmp_path / "seven.png"
    draw_strokes(digit_strokes["7"]).save(seven)
    uploaded = upload(app_url, seven)
    assert uploaded.exists()

    route_utils.delete_files_created_by_app(served, age=0)  # what the scheduled clean-up runs, for every age

    assert not uploaded.exists()
    client = Client(app_url, verbose=False)
    assert client.predict(handle_file(str(seven)), api_name="/predict")["label"] == "7"

"""The outside red team's ways past the door, each reproduced as they sent it: bodies the door did not read as Gradio
reads them, routes that run events outside the queue, numbers too large to check, sessions nobody opened, files in
a shape Gradio never sends, half-sent requests, uploads outside the door, a queue kept full, and missing headers.
"""
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from harness import Session, events, pad_data
from mnist_cnn.strokes import draw_strokes
from web import door, gradio_internals
from web.widgets import data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


def address(url: str) -> tuple[str, int]:
    where = urlsplit(url)
    return where.hostname, where.port


def client(source: str = "127.0.0.1", timeout: float = 20) -> httpx.Client:
    """An HTTP client whose requests come from source (another loopback address is another visitor)."""
    return httpx.Client(timeout=timeout, transport=httpx.HTTPTransport(local_address=source))


def post(url: str, route: str, body: bytes | str, source: str = "127.0.0.1", **headers) -> httpx.Response:
    """POST body, exactly as given, to /gradio_api/<route>."""
    with client(source) as c:
        return c.post(url.rstrip("/") + "/gradio_api/" + route, content=body,
                      headers={"content-type": "application/json", **headers})


@pytest.fixture(scope="module")
def page_events(app_url) -> list[dict]:
    return events(app_url)


@pytest.fixture(scope="module")
def pen_up(page_events) -> int:
    return next(e["fn_index"] for e in page_events if e["on"] == ("draw", "drawn"))


@pytest.fixture(scope="module")
def slider_event(page_events) -> dict:
    return next(e for e in page_events if e["on"] == ("shift-x", "input"))


@pytest.fixture(scope="module")
def drawing() -> str:
    return data_url(draw_strokes(SEVEN))


def join_body(fn_index: int, data: list, session: str = "r1b", event_data=None) -> dict:
    return {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
            "trigger_id": None}


def test_1_a_body_gradio_reads_is_read_by_the_door_too_whatever_its_whitespace_mark_or_encoding(app_url, capfd):
    """The door read only bodies starting with { or [; FastAPI reads any JSON: leading space, tab, newline, a BOM,
    UTF-16 and UTF-32. fn_index 10 is an event the browser runs alone."""
    capfd.readouterr()
    text = json.dumps(join_body(10, []))
    bodies = [b" " + text.encode(), b"\t" + text.encode(), b"\n" + text.encode(), b"\xef\xbb\xbf" + text.encode(),
              text.encode("utf-16"), text.encode("utf-32"), text.encode("utf-16-le")]
    for body in bodies:
        answer = post(app_url, "queue/join", body)
        assert answer.status_code == 400 and "error" in answer.json(), body[:6]
    assert "IndexError" not in capfd.readouterr().err


@pytest.mark.parametrize("route", ["run/predict", "api/predict", "run/drawn", "call/v2/predict", "call/js_fn",
                                   "call/nope", "call/pen_up"])
def test_2_3_routes_that_run_events_outside_the_queue_or_private_ones_are_refused(app_url, route, pen_up, drawing,
                                                                                 capfd):
    capfd.readouterr()
    answer = post(app_url, route, json.dumps({"data": pad_data(drawing), "fn_index": pen_up}))
    assert answer.status_code == 404 and "does not offer" in answer.json()["error"]
    assert "Traceback" not in capfd.readouterr().err


def test_2_the_public_api_still_answers_through_its_own_routes(app_url, drawing, tmp_path):
    from gradio_client import Client, handle_file

    path = tmp_path / "seven.png"
    draw_strokes(SEVEN).save(path)
    assert Client(app_url, verbose=False).predict(handle_file(str(path)), api_name="/predict")["label"] == "7"


def test_4_a_401_digit_integer_is_refused_exactly_for_a_slider_and_in_event_data(app_url, slider_event, pen_up,
                                                                                 drawing, capfd):
    capfd.readouterr()
    huge = "9" * 401
    data = ["null"] * len(slider_event["inputs"])
    data[slider_event["inputs"].index("slider")] = huge
    raw = '{"data":[%s],"fn_index":%d,"session_hash":"r4a","event_data":null,"trigger_id":null}'
    assert post(app_url, "queue/join", raw % (",".join(data), slider_event["fn_index"])).status_code == 400
    pad = json.dumps(pad_data(drawing))
    for picked in ('{"n": %s}' % huge, '{"index": %s}' % huge, '{"index": [%s]}' % huge):
        body = '{"data":%s,"fn_index":%d,"session_hash":"r4b","event_data":%s,"trigger_id":null}' % (
            pad, pen_up, picked)
        assert post(app_url, "queue/join", body).status_code == 400, picked
    assert door.number(10 ** 400) and not door.number(float("inf")) and not door.number(True)
    assert "OverflowError" not in capfd.readouterr().err


@pytest.mark.parametrize("session", ["", "a" * 65, "../x", "é", 7, None])
def test_5_an_empty_or_odd_session_is_refused_before_gradio(app_url, pen_up, drawing, session, capfd):
    capfd.readouterr()
    answer = post(app_url, "queue/join", json.dumps(join_body(pen_up, pad_data(drawing), session)))
    assert answer.status_code == 400 and answer.json()["error"]
    assert "Traceback" not in capfd.readouterr().err


def test_5_streams_of_sessions_and_events_nobody_opened_are_refused_with_a_sentence(app_url, capfd):
    capfd.readouterr()
    with client() as c:
        base = app_url.rstrip("/") + "/gradio_api/"
        for target in ("queue/data", "queue/data?session_hash=", "queue/data?session_hash=../x",
                       "call/predict/0123456789abcdef0123456789abcdef", "call/predict/nope"):
            answer = c.get(base + target)
            assert answer.status_code == 404 and "reload the page" in answer.json()["error"], target
        answer = c.get(base + "queue/data?session_hash=neverjoined")  # as Gradio answers it: the page reloads
        assert answer.status_code == 200 and '"session_not_found": true' in answer.text
    assert "Traceback" not in capfd.readouterr().err


def test_5_a_file_in_a_shape_gradio_never_sends_gets_a_sentence_not_a_bare_error(served, app_url, page_events,
                                                                                  capfd):
    own = next(e for e in page_events if e["on"] == ("own-upload", "upload"))
    folder = served.server_app.uploaded_file_dir
    capfd.readouterr()
    for bad in ({"path": f"{folder}/x", "meta": 5}, {"path": f"{folder}/x", "meta": {"_type": "gradio.Other"}},
                {"path": f"{folder}/x", "size": True}, {"path": f"{folder}/x", "extra": 1}):
        data = [bad if kind == "uploadbutton" else None for kind in own["inputs"]]
        answer = post(app_url, "queue/join", json.dumps(join_body(own["fn_index"], data, uuid.uuid4().hex)))
        assert answer.status_code == 400 and answer.json()["error"] != "Error", bad
    assert "Traceback" not in capfd.readouterr().err


def test_5_an_answer_gradio_would_end_in_a_traceback_ends_in_one_sentence(app_url, capfd):
    """A body Gradio refuses in its own way (an unknown fn_index in a cancel) is a sentence; the log has one line."""
    capfd.readouterr()
    answer = post(app_url, "cancel", json.dumps({"session_hash": "abc", "event_id": "0" * 32, "fn_index": 10 ** 6}))
    assert answer.status_code == 400 and answer.json()["error"]
    assert "Traceback" not in capfd.readouterr().err


def half_sent(host: str, port: int, source: str, count: int) -> list[socket.socket]:
    """count connections from source, each with the start of a request line and no more."""
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=5, source_address=(source, 0))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    return socks


def closed(s: socket.socket, wait: float) -> bool:
    """Whether the server closed s within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_11_half_sent_requests_are_closed_after_the_header_deadline(app_url, monkeypatch):
    monkeypatch.setattr(gradio_internals, "HEADER_SECONDS", 1)
    socks = half_sent(*address(app_url), "127.0.0.2", 50)
    try:
        start = time.monotonic()
        assert all(closed(s, 5) for s in socks)
        assert time.monotonic() - start < 5
    finally:
        for s in socks:
            s.close()


def test_11_a_request_whose_body_never_ends_is_closed(app_url, monkeypatch):
    monkeypatch.setattr(gradio_internals, "HEADER_SECONDS", 1)
    monkeypatch.setattr(gradio_internals, "REQUEST_SECONDS", 2)
    s = socket.create_connection(address(app_url), timeout=5, source_address=("127.0.0.2", 0))
    try:
        s.sendall(b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        assert closed(s, 6)
    finally:
        s.close()


def test_11_one_address_holds_only_so_many_connections_and_others_still_get_the_page(app_url, monkeypatch):
    monkeypatch.setattr(gradio_internals, "PER_ADDRESS", 20)
    socks = half_sent(*address(app_url), "127.0.0.3", 20)
    try:
        extra = socket.create_connection(address(app_url), timeout=5, source_address=("127.0.0.3", 0))
        assert closed(extra, 3)  # refused at once
        extra.close()
        with client("127.0.0.4") as c:
            assert c.get(app_url).status_code == 200
    finally:
        for s in socks:
            s.close()


def multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, str]:
    """A multipart body of (field name, file name or None for a text field, content) parts, and its content type."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        body += (b"Content-Type: application/octet-stream\r\n" if filename else b"") + b"\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(app_url: str, body: bytes, content_type: str, source: str = "127.0.0.5") -> httpx.Response:
    with client(source) as c:
        return c.post(app_url.rstrip("/") + "/gradio_api/upload", content=body, headers={"content-type": content_type})


def test_12_an_upload_carries_one_file_of_at_most_the_page_s_size_and_no_text_field(app_url, served):
    folder = served.server_app.uploaded_file_dir
    assert upload(app_url, *multipart(("files", "a.png", b"x" * 100))).status_code == 200
    before = sum(1 for _ in __import__("pathlib").Path(folder).rglob("*"))
    many = multipart(*[("files", f"{i}.png", b"x" * 1000) for i in range(100)])
    assert upload(app_url, *many).status_code == 400
    assert upload(app_url, *multipart(("files", "a.png", b"x"), ("note", None, b"y" * 1000))).status_code == 400
    assert upload(app_url, *multipart(("note", None, b"y" * 200_000))).status_code == 400
    big = multipart(("files", "big.pt", b"x" * (door.MAX_UPLOAD + door.MULTIPART_SLACK)))
    assert upload(app_url, *big).status_code == 413
    assert upload(app_url, b"not multipart", "multipart/form-data; boundary=zz").status_code == 400
    assert sum(1 for _ in __import__("pathlib").Path(folder).rglob("*")) == before  # nothing was written


def test_12_uploads_of_one_address_are_rate_limited_and_others_are_not(app_url):
    # Upload until the first refusal: the bucket refills while we send, so a slow machine earns a few more tokens.
    start, answers = time.monotonic(), []
    while 429 not in answers and len(answers) < 3 * door.UPLOAD_BURST:
        answers.append(upload(app_url, *multipart(("files", "a.png", b"x")), source="127.0.0.6").status_code)
    refilled = (time.monotonic() - start) / door.UPLOAD_EVERY
    assert answers[-1] == 429 and set(answers[:-1]) == {200}
    assert door.UPLOAD_BURST <= len(answers) - 1 <= door.UPLOAD_BURST + refilled + 1
    assert upload(app_url, *multipart(("files", "a.png", b"x")), source="127.0.0.7").status_code == 200


def test_12_a_cut_off_upload_leaves_no_file(app_url, served):
    folder = __import__("pathlib").Path(served.server_app.uploaded_file_dir)
    before = set(folder.rglob("*"))
    body, kind = multipart(("files", "cut.pt", b"x" * 1_000_000))
    s = socket.create_connection(address(app_url), timeout=5, source_address=("127.0.0.8", 0))
    s.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:500_000])
    s.close()
    time.sleep(1)
    # no file of it is left (Gradio may make folders of its own there meanwhile, such as vibe_edit_history)
    assert [p for p in set(folder.rglob("*")) - before if p.is_file()] == []


def flood(app_url: str, bodies: list[dict], source: str, loops: int = 4) -> list[int]:
    """Join the queue with each body from source, in `loops` threads at once, reading no answer: the statuses."""
    from concurrent.futures import ThreadPoolExecutor

    def loop(share: list[dict]) -> list[int]:
        with client(source) as c:
            return [c.post(app_url.rstrip("/") + "/gradio_api/queue/join", json=b).status_code for b in share]
    with ThreadPoolExecutor(loops) as pool:
        return [code for codes in pool.map(loop, [bodies[i::loops] for i in range(loops)]) for code in codes]


def test_13_a_client_that_joins_without_reading_cannot_keep_the_queue_full(app_url, pen_up, drawing):
    """Four loops joining from one address, reading nothing: refused past the door's share, and meanwhile a
    visitor elsewhere still gets their pen-up read."""
    bodies = [join_body(pen_up, pad_data(drawing), f"flood{i % 50}") for i in range(3 * door.PER_CLIENT)]
    codes = flood(app_url, bodies, "127.0.0.9")
    assert 429 in codes and 503 not in codes  # the queue itself was never full
    assert Session(app_url, timeout=60).call(pen_up, pad_data(drawing))["success"]


def test_13_one_session_has_only_a_few_events_waiting(app_url, pen_up, drawing):
    codes = flood(app_url, [join_body(pen_up, pad_data(drawing), "onesession")] * (4 * door.PER_SESSION),
                  "127.0.0.10")
    assert 429 in codes


@pytest.mark.parametrize("target", ["/", "/config", "/theme.css", "/gradio_api/info", "/gradio_api/nope"])
def test_every_answer_says_nosniff_and_whose_frames_may_hold_it(app_url, target):
    with client() as c:
        answer = c.get(app_url.rstrip("/") + target)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self' https://huggingface.co" in answer.headers["content-security-policy"]


def test_the_page_passes_its_own_content_security_policy(open_page, digit_strokes):
    from harness import draw

    page = open_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.reload()
    page.wait_for_selector("#draw canvas")
    draw(page, digit_strokes["7"])
    page.wait_for_function("document.querySelector('#prediction')?.innerText.includes('7')")
    assert refused == []


def test_2_an_address_that_floods_refused_routes_is_shut_out_and_others_are_not(app_url, pen_up, drawing):
    """32 clients sending /run/predict as fast as they can cost Python a request each; past STRIKES refusals in
    STRIKE_SECONDS their address is closed before a byte is read."""
    body = json.dumps({"data": pad_data(drawing), "fn_index": pen_up})
    answers = []
    with client("127.0.0.11") as c:
        for _ in range(gradio_internals.STRIKES + 20):
            try:
                answers.append(c.post(app_url.rstrip("/") + "/gradio_api/run/predict", content=body).status_code)
            except httpx.TransportError:
                answers.append("closed")
    assert answers[:gradio_internals.STRIKES] == [404] * gradio_internals.STRIKES
    assert set(answers[gradio_internals.STRIKES + 1:]) == {"closed"}
    assert Session(app_url, timeout=60).call(pen_up, pad_data(drawing))["success"]
    with client("127.0.0.12") as c:
        assert c.get(app_url).status_code == 200

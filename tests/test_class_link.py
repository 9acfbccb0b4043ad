"""The class's address and its QR code (web/class_link.py): hostile Host headers, the share link, the step, the
sentence for a local address, and the code decoded back to the address."""
import io
import re

import pytest
import segno
import zxingcpp
from PIL import Image

from web import class_link
from web.class_link import QR_PX, address, class_link_html, is_local, lan_address, on_lan, qr, qr_svg
from web.registry import STEPS
from web.text import EN, ES

IDS = tuple(s.id for s in STEPS)
KEYS = ("class-link.title", "class-link.text", "class-link.alt", "class-link.local", "class-link.local_none",
        "class-link.unknown")


def decoded(url: str) -> list[str]:
    """What a scanner reads in url's QR code, drawn by segno as a PNG at the page's scale."""
    code = qr(url)
    png = io.BytesIO()
    code.save(png, kind="png", scale=class_link.qr_scale(code), border=class_link.QR_BORDER)
    png.seek(0)
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


@pytest.mark.parametrize(("host", "want"), [
    ("192.168.1.20:7860", "http://192.168.1.20:7860/"),
    ("aula-3.colegio.es", "http://aula-3.colegio.es/"),
    ("Aula3.Local:8080", "http://aula3.local:8080/"),  # host names are case-blind
    ("[fe80::1]:7860", "http://[fe80::1]:7860/"),
    ("[2001:db8::7]", "http://[2001:db8::7]/"),
    ("10.0.0.5:65535", "http://10.0.0.5:65535/"),
    ("a" * 63 + "." + "b" * 63, "http://" + "a" * 63 + "." + "b" * 63 + "/"),
])
def test_a_host_header_gives_its_address(host, want):
    assert address({"host": host}, None) == want


@pytest.mark.parametrize("host", [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "evil.com/<script>",
    "evil.com\r\nSet-Cookie: a=b",
    "evil.com\n",  # $ would match before a final newline: fullmatch does not
    "evil.com:7860\r\n",
    "a" * 10_000,
    "a." * 127 + "a",  # 255 characters of valid labels: longer than a DNS name
    "a" * 64 + ".com",  # a label longer than 63
    "ñandú.es",
    "xn--and-6ma2c.es\u200b",  # a zero-width space after a valid name
    "١٢٧.٠.٠.١",  # Arabic-Indic digits: \d would take them
    "127.0.0.1:７８６０",  # full-width digits in the port
    "",
    " ",
    " 192.168.1.20",
    "192.168.1.20:",
    "192.168.1.20:0",
    "192.168.1.20:65536",
    "192.168.1.20:123456",
    "999.1.1.1",
    "1.2.3",
    "[::1",
    "[not:an:ip:address:at:all:no:really]",
    "[fe80::1%eth0]",
    "user@evil.com",
    "-evil.com",
    "evil-.com",
    "evil..com",
    "evil.com.",
    "http://evil.com",
    "evil.com?x=1",
    "evil.com#x",
    "evil.com:80:80",
])
def test_a_hostile_host_header_gives_no_address(host):
    assert address({"host": host}, None) is None


@pytest.mark.parametrize("headers", [{}, {"x-forwarded-host": "evil.com"}, {"host": None}, {"host": b"a.com"},
                                     {"host": 7860}, {"host": ["a.com"]}])
def test_a_missing_or_odd_host_header_gives_no_address(headers):
    assert address(headers, None) is None


def test_the_header_name_is_read_whatever_its_case_and_x_forwarded_host_is_not_trusted():
    assert address({"Host": "a.com", "X-Forwarded-Host": "evil.com"}, None) == "http://a.com/"


@pytest.mark.parametrize(("proto", "scheme"), [
    ("https", "https"), ("http", "http"), ("HTTPS", "http"), (" https", "http"), ("https, http", "http"),
    ("javascript", "http"), ("https\r\n", "http"), (None, "http"),
])
def test_the_scheme_is_https_only_if_the_forwarded_proto_says_exactly_https(proto, scheme):
    headers = {"host": "a.com"} | ({} if proto is None else {"x-forwarded-proto": proto})
    assert address(headers, None) == f"{scheme}://a.com/"


def test_gradio_s_share_link_comes_first_and_is_checked_too():
    headers = {"host": "127.0.0.1:7860"}
    assert address(headers, "https://0123abcd.gradio.live") == "https://0123abcd.gradio.live/"
    assert address(headers, "https://0123abcd.gradio.live/", step="dim1", steps=IDS) == (
        "https://0123abcd.gradio.live/?step=dim1")
    for bad in ("javascript:alert(1)", "https://a.live/<script>", "https://user@a.live", "https://a.live/x",
                "https://a.live?x", "ftp://a.live", "https://a.live\n", "https://" + "a" * 10_000, "", 42):
        assert address(headers, bad) == "http://127.0.0.1:7860/", bad  # the Host then


@pytest.mark.parametrize("step", IDS)
def test_a_valid_step_is_added_to_the_address(step):
    assert address({"host": "a.com"}, None, step=step, steps=IDS) == f"http://a.com/?step={step}"


def test_the_lesson_s_steps_are_the_registry_s_starting_with_the_seed_s_four():
    assert IDS[:4] == ("model", "padding", "stride", "dim1")


@pytest.mark.parametrize("step", ["nope", "", "dim1&lang=xx", "<b>", None, 3, "DIM1"])
def test_an_invalid_step_is_left_out(step):
    assert address({"host": "a.com"}, None, step=step, steps=IDS) == "http://a.com/"


def test_a_step_outside_the_given_steps_is_left_out_and_the_language_is_added_when_valid():
    assert address({"host": "a.com"}, None, step="dim1") == "http://a.com/"
    assert address({"host": "a.com"}, None, step="dim1", steps=IDS, lang="es") == "http://a.com/?step=dim1&lang=es"
    assert address({"host": "a.com"}, None, lang="fr") == "http://a.com/"


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:7860/", True), ("http://127.1.2.3/", True), ("http://localhost:7860/", True),
    ("http://app.localhost/", True), ("http://[::1]:7860/", True), ("http://0.0.0.0:7860/", True),
    ("http://192.168.1.20:7860/", False), ("https://0123abcd.gradio.live/", False), ("http://aula.local/", False),
])
def test_this_computer_s_own_addresses_are_local(url, local):
    assert is_local(url) is local


def test_the_lan_address_is_found_without_sending_anything_or_is_none():
    ip = lan_address()
    assert ip is None or (re.fullmatch(r"[0-9.]+", ip) and not ip.startswith("127."))


def test_the_lan_address_is_none_when_the_system_has_no_route(monkeypatch):
    class NoRoute:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def connect(self, address):
            raise OSError("Network is unreachable")
    monkeypatch.setattr(class_link.socket, "socket", NoRoute)
    assert lan_address() is None


def test_on_lan_keeps_the_scheme_port_and_query():
    assert on_lan("http://localhost:7860/?step=dim1", "192.168.1.20") == "http://192.168.1.20:7860/?step=dim1"
    assert on_lan("http://[::1]/", "10.0.0.2") == "http://10.0.0.2/"


@pytest.mark.parametrize("url", [
    "http://192.168.1.20:7860/", "http://192.168.1.20:7860/?step=experiments&lang=es",
    "https://0123abcd.gradio.live/?step=dim1", "http://" + "a" * 63 + "." + "b" * 63 + ":65535/?step=learning",
])
def test_the_qr_code_decodes_back_to_the_address(url):
    assert decoded(url) == [url]


def test_the_qr_code_is_a_full_qr_code_at_level_m_and_at_least_qr_px_wide():
    for url in ("http://a/", "http://192.168.1.20:7860/?step=experiments&lang=es"):
        code = qr(url)
        assert not code.is_micro and code.error == "M"
        assert code.symbol_size(scale=class_link.qr_scale(code), border=4)[0] >= QR_PX >= 100
    assert segno.make_qr("http://a/", error="m").error == "Q"  # what boost_error=False keeps qr() from doing


def test_the_svg_is_black_on_white_with_its_quiet_zone_and_named():
    url = "http://192.168.1.20:7860/"
    svg = qr_svg(url, 'QR "code" <of> ' + url)
    code = qr(url)
    scale = class_link.qr_scale(code)
    side = code.symbol_size(scale=1, border=4)[0]  # modules with the quiet zone
    assert svg.startswith('<svg role="img" aria-label="QR &quot;code&quot; &lt;of&gt; http://192.168.1.20:7860/"')
    assert f'width="{side * scale}" height="{side * scale}"' in svg and int(side * scale) >= 100
    assert f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>' in svg  # white under the whole code
    assert 'stroke="#000"' in svg and "M4 4.5h7" in svg  # black, and the first finder pattern 4 modules in
    assert svg.count("<svg") == 1 and "<script" not in svg


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_class_link_shows_the_address_and_its_code_in_the_page_s_language(lang, monkeypatch):
    monkeypatch.setattr(class_link, "lan_address", lambda: pytest.fail("not a local address"))
    page = class_link_html("http://192.168.1.20:7860/?step=dim1", lang)
    texts = {"en": EN, "es": ES}[lang]
    assert ">http://192.168.1.20:7860/?step=dim1</p>" in page and "user-select:all" in page
    assert texts["class-link.text"] in page and "role=\"note\"" not in page
    assert f'aria-label="{texts["class-link.alt"] % {"url": "http://192.168.1.20:7860/?step=dim1"}}"' in page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_local_address_says_how_to_serve_the_class_and_shows_the_lan_address(lang, monkeypatch):
    monkeypatch.setattr(class_link, "lan_address", lambda: "192.168.1.20")
    page = class_link_html("http://127.0.0.1:7860/?step=model", lang)
    assert "127.0.0.1" not in page and page.count("http://192.168.1.20:7860/?step=model") == 3  # text, label, note
    assert "<code>GRADIO_SERVER_NAME=0.0.0.0 python app.py</code>" in page and 'role="note"' in page
    assert ("firewall" if lang == "en" else "cortafuegos") in page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_local_address_without_a_lan_address_shows_no_code_to_scan(lang, monkeypatch):
    monkeypatch.setattr(class_link, "lan_address", lambda: None)
    page = class_link_html("http://localhost:7860/", lang)
    assert "<svg" not in page and ">http://localhost:7860/</p>" in page
    assert "<code>GRADIO_SERVER_NAME=0.0.0.0 python app.py</code>" in page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_address_says_so(lang):
    page = class_link_html(None, lang)
    assert "<svg" not in page and {"en": EN, "es": ES}[lang]["class-link.unknown"].split(":")[0] in page


def test_a_hostile_url_given_to_the_view_is_escaped(monkeypatch):
    monkeypatch.setattr(class_link, "lan_address", lambda: None)
    page = class_link_html('http://a.com/"><script>alert(1)</script>', "en")
    assert "<script" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("lang", [EN, ES])
def test_the_texts_are_there_and_hold_no_markup(lang):
    for key in KEYS:
        assert lang[key].strip() and not set("<>&") & set(lang[key]), key
    assert "%(url)s" in lang["class-link.alt"] and "%(url)s" in lang["class-link.local"]
    assert "%(command)s" in lang["class-link.local"] and "%(command)s" in lang["class-link.local_none"]

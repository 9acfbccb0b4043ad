"""The class's way in (#class-link): the page's own address, read from the request and checked as hostile, with a QR
code (segno) that a phone scans from the projector, and a sentence when the address is this computer's own.
"""
import html
import ipaddress
import math
import re
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import segno

from .i18n import language, t

MAX_HOST = 253  # the longest DNS name; a Host header's port adds at most ":65535"
MAX_HEADER = MAX_HOST + len(":65535")
# A hostname's labels (letters, digits, inner hyphens, 1-63 each), an IPv4 literal (the same shape, checked by
# ipaddress) or a bracketed IPv6 literal; then an optional port. ASCII only: no unicode digits, no CR or LF.
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"(?P<host>{LABEL}(?:\.{LABEL})*|\[(?P<ip6>[0-9A-Fa-f:.]{{2,45}})\])(?::(?P<port>[0-9]{{1,5}}))?")
IPV4 = re.compile(r"[0-9.]+")
# The QR code: error correction M (a smudge on the projector's screen loses up to 15 %), the standard's quiet zone of
# 4 modules, black on white whatever the page's theme, and modules large enough to make the code at least QR_PX wide
QR_ERROR = "m"
QR_BORDER = 4
QR_PX = 200
DARK, LIGHT = "#000", "#fff"
# Any private address: a UDP socket "connected" to it sends nothing, but the system picks the interface, and so the
# address, that would reach the classroom's network
PROBE = ("10.255.255.255", 1)
COMMAND = "GRADIO_SERVER_NAME=0.0.0.0 python app.py"  # how the app listens on the classroom's network
SLOT = "\0"  # where the command goes in a sentence: a character no valid address holds


def _host(value: object) -> tuple[str, int | None] | None:
    """A Host header's (host, port), lower-cased, if it is exactly a hostname, IPv4 or [IPv6] literal with an
    optional port; None for anything else."""
    if not isinstance(value, str) or not value or len(value) > MAX_HEADER:
        return None
    m = HOST.fullmatch(value)
    if m is None:
        return None
    host, port = m["host"].lower(), m["port"]
    if m["ip6"] is not None:
        try:
            ipaddress.IPv6Address(m["ip6"])
        except ValueError:
            return None
    elif len(host) > MAX_HOST or (IPV4.fullmatch(host) and not _is_ipv4(host)):
        return None  # too long, or all digits and dots yet no IPv4 address (999.1.1.1, 1.2.3)
    if port is not None and not 0 < int(port) <= 65535:
        return None
    return host, None if port is None else int(port)


def _is_ipv4(s: str) -> bool:
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


def _header(headers: Mapping[str, str], name: str) -> object:
    """A header's value whatever the case of its name (Starlette's Headers or a plain dict); None without it."""
    try:
        value = headers.get(name)
        if value is not None:
            return value
        return next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
    except Exception:  # a mapping that misbehaves is no address
        return None


def _url(scheme: str, host: str, port: int | None, query: str) -> str:
    return f"{scheme}://{host}" + ("" if port is None else f":{port}") + "/" + query


def _query(step: str | None, steps: tuple[str, ...], lang: str | None) -> str:
    """"?step=<id>&lang=<l>" with what is valid of both: a step of steps, a language of the page's two."""
    pairs = [("step", step) if isinstance(step, str) and step in steps else None,
             ("lang", lang) if lang in ("en", "es") else None]
    pairs = [f"{k}={v}" for k, v in filter(None, pairs)]
    return "?" + "&".join(pairs) if pairs else ""


def _share(share_url: object) -> tuple[str, str, int | None] | None:
    """Gradio's public link as (scheme, host, port) if it is exactly http(s)://host[:port][/]; None otherwise."""
    if not isinstance(share_url, str) or len(share_url) > MAX_HEADER + len("https:///"):
        return None
    m = re.fullmatch(r"(https?)://([^/?#@\s]+)/?", share_url)
    hostport = _host(m[2]) if m else None
    return None if hostport is None else (m[1], *hostport)


def address(headers: Mapping[str, str], share_url: str | None, *, step: str | None = None,
            steps: tuple[str, ...] = (), lang: str | None = None) -> str | None:
    """The page's address for the class: Gradio's public link if it gave one, else the request's Host (https only if
    X-Forwarded-Proto is exactly "https"), with ?step= and ?lang= when valid; None if the Host is not a host."""
    query = _query(step, steps, lang)
    share = _share(share_url)
    if share is not None:
        return _url(*share, query)
    hostport = _host(_header(headers, "host"))
    if hostport is None:
        return None
    scheme = "https" if _header(headers, "x-forwarded-proto") == "https" else "http"
    return _url(scheme, *hostport, query)


def is_local(url: str) -> bool:
    """Whether url's host is this computer's own (localhost, 127.0.0.0/8, ::1, 0.0.0.0): the class cannot reach it."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def lan_address() -> str | None:
    """This computer's IPv4 address on its network, found without sending anything; None if there is none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(PROBE)  # UDP: no packet leaves, the system only picks a route
            ip = ipaddress.IPv4Address(s.getsockname()[0])
    except (OSError, ValueError):
        return None
    return None if ip.is_loopback or ip.is_unspecified or ip.is_link_local else str(ip)


def on_lan(url: str, ip: str) -> str:
    """url with its host replaced by ip, keeping its scheme, port, path and query."""
    parts = urlsplit(url)
    netloc = ip if parts.port is None else f"{ip}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def qr(url: str) -> segno.QRCode:
    """The QR code of url: error correction M, never a Micro QR code, never a higher level than asked."""
    return segno.make_qr(url, error=QR_ERROR, boost_error=False)


def qr_scale(code: segno.QRCode) -> int:
    """Pixels per module, so that the code with its quiet zone is at least QR_PX wide."""
    return math.ceil(QR_PX / code.symbol_size(scale=1, border=QR_BORDER)[0])


def qr_svg(url: str, label: str) -> str:
    """The QR code of url as inline SVG, black on white with its quiet zone, named by label for screen readers."""
    code = qr(url)
    scale = qr_scale(code)
    size = code.symbol_size(scale=scale, border=QR_BORDER)[0]
    svg = code.svg_inline(scale=scale, border=QR_BORDER, dark=DARK, light=LIGHT, omitsize=True,
                          svgclass="class-link-qr")
    name = html.escape(label, quote=True)
    # segno writes "<svg viewBox=...>" (so the code scales down on a narrow phone instead of being cut); its size,
    # and its name on the element itself, where assistive technology looks for it
    return svg.replace("<svg ", f'<svg role="img" aria-label="{name}" width="{size}" height="{size}" '
                                'shape-rendering="crispEdges" style="display:block;max-width:100%;height:auto" ', 1)


def class_link_html(url: str | None, lang: str) -> str:
    """#class-link: the address in large selectable text and its QR code; when the address is this computer's own,
    how to serve the class, and the address it would use (this computer's on the network) or no code at all."""
    lang = language(lang)
    if url is None:
        return f'<div class="class-link"><p>{html.escape(t("class-link.unknown", lang))}</p></div>'
    note, code = "", True
    if is_local(url):
        ip = lan_address()
        if ip is not None:
            url = on_lan(url, ip)
        code = ip is not None  # a phone scanning 127.0.0.1 would open its own self: no code rather than a wrong one
        # the command goes in as a placeholder, then as code once the sentence is escaped
        note = t("class-link.local" if code else "class-link.local_none", lang, url=url, command=SLOT)
        note = html.escape(note).replace(SLOT, f"<code>{html.escape(COMMAND)}</code>")
        note = f'<p class="class-link-note" role="note">{note}</p>'
    shown = html.escape(url)  # text, not a link: a click must not take a learner's page away from them
    return (
        '<div class="class-link">'
        f'<p class="class-link-intro">{html.escape(t("class-link.text", lang))}</p>'
        '<p class="class-link-url" style="font-size:1.75rem;font-family:monospace;user-select:all;'
        f'overflow-wrap:anywhere;margin:0.25em 0">{shown}</p>'
        + (qr_svg(url, t("class-link.alt", lang, url=url)) if code else "")
        + f"{note}</div>"
    )

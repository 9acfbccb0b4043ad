"""What the page needs of Gradio's and uvicorn's internals, where neither offers a public way: the only module that
reads their private state. It refuses to load with any other version than the one it was written for, so that an
upgrade is read and tested here before it runs."""
import asyncio
import collections
import importlib.metadata
import os
import resource
import time
from collections.abc import Iterator

import gradio as gr
import h11
import uvicorn.config
from uvicorn.middleware.proxy_headers import _TrustedHosts
from uvicorn.protocols.http.h11_impl import H11Protocol

WRITTEN_FOR = {"gradio": "6.31.0", "uvicorn": "0.55.0", "h11": "0.16.0"}
found = {name: importlib.metadata.version(name) for name in WRITTEN_FOR}
if found != WRITTEN_FOR:
    raise ImportError(f"web/gradio_internals.py was written for {WRITTEN_FOR} and finds {found}: install the "
                      f"versions of requirements.txt, or read this module against the new ones before changing them")

# Connections (the red team held 19,000 half-sent requests open until the server ran out of file handles).
HEADER_SECONDS = 10  # from a connection's start, or its last answer, to a request's whole header
REQUEST_SECONDS = 60  # to the end of its body: a 5 MB upload over a slow classroom Wi-Fi (1 Mbit/s) takes 40 s
KEEP_ALIVE_SECONDS = 5  # an idle connection between two requests (uvicorn's default, said here)
MAX_HEADER_BYTES = 16 * 1024  # a request's line and headers (h11's default, said here); longer: 431
PER_ADDRESS = 256  # open connections of one client address: a class of 30 behind one school router holds ~8 each
CONNECTIONS = 4096  # open connections in all; beyond, a new one is closed at once
FILE_HANDLES = CONNECTIONS + 1024  # the soft limit raised to at least this, for the uploads, weights and logs
# An address whose requests the door refused STRIKES times within STRIKE_SECONDS is shut out for SHUT_OUT_SECONDS:
# its connections are closed before a byte is read. The page never sends what the door refuses; a class of 30
# behind one router, whose pages all reconnect after a restart, makes about 30 refusals.
STRIKES = 100
STRIKE_SECONDS = 10
SHUT_OUT_SECONDS = 30


def trusted(address: str | None) -> bool:
    """Whether a client address is a trusted proxy's, as uvicorn decides it (FORWARDED_ALLOW_IPS; 127.0.0.1 and ::1
    unless set): its requests carry their sender's address, which uvicorn puts in their scope."""
    allowed = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    if allowed not in TRUSTED:
        TRUSTED[allowed] = _TrustedHosts(allowed)
    return address in TRUSTED[allowed]


TRUSTED: dict[str, _TrustedHosts] = {}  # FORWARDED_ALLOW_IPS -> the addresses it names, parsed as uvicorn does


class Strikes:
    """The door's refusals by client address, and the addresses shut out for too many of them."""

    def __init__(self) -> None:
        self.times: dict[str, collections.deque] = {}
        self.until: dict[str, float] = {}

    def strike(self, address: str | None, now: float | None = None) -> None:
        """One refusal of address's request; the one that makes STRIKES in STRIKE_SECONDS shuts it out."""
        if address is None or trusted(address):
            return
        now = time.monotonic() if now is None else now
        if len(self.times) > 10_000:  # many addresses at once: forget those with no recent refusal
            self.times = {a: t for a, t in self.times.items() if t and now - t[-1] < STRIKE_SECONDS}
        times = self.times.setdefault(address, collections.deque(maxlen=STRIKES))
        times.append(now)
        if len(times) == STRIKES and now - times[0] < STRIKE_SECONDS:
            self.until[address] = now + SHUT_OUT_SECONDS
            times.clear()

    def shut_out(self, address: str | None, now: float | None = None) -> bool:
        """Whether address is shut out now."""
        until = self.until.get(address)
        if until is None:
            return False
        if (time.monotonic() if now is None else now) < until:
            return True
        del self.until[address]
        return False


STRIKES_BY_ADDRESS = Strikes()


def queue(blocks: gr.Blocks):
    """Gradio's event queue of a launched page (Blocks._queue)."""
    return blocks._queue


def address_of(event) -> str | None:
    """The client address a queued event came from (its request's, as uvicorn put it there)."""
    client = getattr(event.request, "client", None)
    return client.host if client else None


def jobs(blocks: gr.Blocks) -> Iterator[tuple[str, str | None]]:
    """(session hash, client address) of every event waiting in the queue or being run."""
    q = queue(blocks)
    waiting = (event for line in q.event_queue_per_concurrency_id.values() for event in line.queue)
    running = (event for batch in q.active_jobs if batch for event in batch)
    for event in (*waiting, *running):
        yield event.session_hash, address_of(event)


def client_of(event) -> str:
    """Who sent a queued event, for taking turns: its address, or its session where the address is a trusted
    proxy's (this machine: the tests, or a public link's tunnel)."""
    address = address_of(event)
    return event.session_hash if address is None or trusted(address) else address


def take_turns(blocks: gr.Blocks) -> None:
    """Gradio's queue, first come first served, reordered so that its clients take turns: in each concurrency
    group, every client's first waiting event comes before any client's second, and so on, each client's own in the
    order they came. A visitor's one pen-up then waits behind one event of each flooding client, not all of them.
    (Gradio takes the first event of a group's list; the list is changed in place, between two awaits.)"""
    for line in queue(blocks).event_queue_per_concurrency_id.values():
        if len(line.queue) > 2:
            turns = collections.Counter()
            ranked = []
            for event in line.queue:
                who = client_of(event)
                ranked.append((turns[who], len(ranked), event))
                turns[who] += 1
            line.queue[:] = [event for *_, event in sorted(ranked, key=lambda r: r[:2])]


def is_session(blocks: gr.Blocks, session: str) -> bool:
    """Whether a session has joined the queue and has messages kept for it (what /queue/data streams)."""
    return session in queue(blocks).pending_messages_per_session.keys()


def is_event(blocks: gr.Blocks, event_id: str) -> bool:
    """Whether an event id is one the queue holds, or whose answer it still keeps (what /call/<api>/<id> streams)."""
    q = queue(blocks)
    return event_id in q.event_ids_to_events or any(event_id in ids for ids in q.pending_event_ids_session.values())


class GuardedProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 connection (h11), with the deadlines and limits uvicorn does not have: a request's header
    and body must arrive in time, one address (or all of them) may hold only so many connections, and an address
    shut out (Strikes) is closed at once. Connections from a trusted proxy (trusted()) count only towards the
    total."""

    open_by_address: collections.Counter = collections.Counter()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.timeout_keep_alive = KEEP_ALIVE_SECONDS
        self.deadline: asyncio.TimerHandle | None = None
        self.address: str | None = None
        self.request_started = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:
        """Counted, refused beyond the limits, and given HEADER_SECONDS for its first request."""
        super().connection_made(transport)
        self.address = self.client[0] if self.client else None
        self.open_by_address[self.address] += 1
        if len(self.connections) > CONNECTIONS or STRIKES_BY_ADDRESS.shut_out(self.address) or \
                (not trusted(self.address) and self.open_by_address[self.address] > PER_ADDRESS):
            transport.abort()  # nothing sent: the client learns no more than from a full server
            return
        self.arm(HEADER_SECONDS)

    def connection_lost(self, exc: Exception | None) -> None:
        """Uncounted."""
        if self.deadline:
            self.deadline.cancel()
        self.open_by_address[self.address] -= 1
        if self.open_by_address[self.address] <= 0:
            del self.open_by_address[self.address]
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """uvicorn's, unless its address is shut out; a new request notes when it started."""
        before = self.cycle
        if STRIKES_BY_ADDRESS.shut_out(self.address):  # shut out while this connection was open
            return self.transport.abort()
        super().handle_events()
        if self.cycle is not before:
            self.request_started = self.loop.time()

    def on_response_complete(self) -> None:
        """The next request on this connection gets HEADER_SECONDS too (uvicorn's keep-alive timer stops at the
        first byte of it)."""
        super().on_response_complete()
        self.arm(HEADER_SECONDS)

    def arm(self, seconds: float) -> None:
        """Look at the request's progress in seconds."""
        if self.deadline:
            self.deadline.cancel()
        self.deadline = self.loop.call_later(seconds, self.late)

    def late(self) -> None:
        """No whole header after HEADER_SECONDS, or no whole body REQUEST_SECONDS after its header: the connection is
        closed. A request received whole is left to its answer, however long (an event stream)."""
        self.deadline = None
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            left = self.request_started + REQUEST_SECONDS - self.loop.time()
            if left > 0:
                return self.arm(left)
        elif state is not h11.IDLE:
            return
        self.transport.abort()


def guard_connections() -> None:
    """Every uvicorn server started after this (Gradio's launch() among them) serves with GuardedProtocol, and this
    process may hold FILE_HANDLES open files. uvicorn takes its protocol class by name from this table only."""
    uvicorn.config.HTTP_PROTOCOLS["auto"] = f"{__name__}:GuardedProtocol"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FILE_HANDLES:
        wanted = FILE_HANDLES if hard == resource.RLIM_INFINITY else min(FILE_HANDLES, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def upload_folder() -> str:
    """The folder Gradio writes uploads to (GRADIO_TEMP_DIR, else its own under the system's temporary folder): Gradio
    decides it in gradio.utils.get_upload_folder, which is not among its documented functions."""
    from gradio.utils import get_upload_folder
    return get_upload_folder()


def event_data(evt: gr.EventData) -> dict:
    """What the client sent as an event's data (the picked button's index, the pad's count), unchecked: any JSON, or
    none. gr.EventData keeps it in _data; its public attributes are only those it sets for known events."""
    data = getattr(evt, "_data", None)
    return data if isinstance(data, dict) else {}

"""What the page needs of Gradio's and uvicorn's internals, where neither offers a public way: the only module that
reads or overrides their private state. It refuses to load with any other version than the one it was written for,
so that an upgrade is read and tested here before it runs."""
import asyncio
import collections
import copy
import datetime
import functools
import importlib.metadata
import inspect
import os
import resource
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import gradio as gr
import gradio.queueing
import h11
import uvicorn.config
from gradio.blocks import Block, BlockFunction, convert_component_dict_to_list, postprocess_update_dict
from gradio.data_classes import FileData
from gradio.routes import App
from gradio.state_holder import SessionState, StateHolder
from gradio.utils import LRUCache
from uvicorn.middleware.proxy_headers import _TrustedHosts
from uvicorn.protocols.http.h11_impl import H11Protocol

WRITTEN_FOR = {"gradio": "6.31.0", "uvicorn": "0.55.0", "h11": "0.16.0"}
found = {name: importlib.metadata.version(name) for name in WRITTEN_FOR}
if found != WRITTEN_FOR:
    raise ImportError(f"web/gradio_internals.py was written for {WRITTEN_FOR} and finds {found}: install the "
                      f"versions of requirements.txt, or read this module against the new ones before changing them")
# Gradio's queue reads its summary frequency from this attribute, misspelt upstream: were the spelling fixed, setting
# it would silently change nothing (PageBlocks.queue), so its absence stops the page here.
ANALYTICS_FREQUENCY = "ANAYLTICS_CACHE_FREQUENCY"
if f"self.{ANALYTICS_FREQUENCY}" not in inspect.getsource(gradio.queueing.Queue):
    raise ImportError(f"Gradio's queue no longer has {ANALYTICS_FREQUENCY}: web/gradio_internals.py's PageBlocks "
                      f"must set the attribute Gradio now reads")

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


# Gradio's per-session state, without the copy of every component's config and last value that Gradio keeps in each
# session only to write deep links (gr.DeepLinkButton, which this page has none of): 212 KB per session before any
# drawing, 328 KB after one, and 26 ms to build for each new session. Its States expire after their last use.
class Unkept(dict):
    """A dict that keeps nothing written to it: Gradio writes a State's config here each time its value changes."""

    def __setitem__(self, key, value) -> None:
        """Drop the value."""


class LeanSession(SessionState):
    """A session's state as Gradio keeps it (its gr.State values, its copy of the page's blocks and events), with an
    empty config_values: its only reader is the deep-link route, which now finds nothing to link."""

    def __init__(self, blocks: gr.Blocks) -> None:
        # SessionState.__init__ (Gradio 6.31) without building config_values; tests/test_gradio_internals.py checks
        # that both still set the same attributes, so a Gradio upgrade that adds one is noticed
        self.blocks_config = copy.copy(blocks.default_config)
        self.config_values = Unkept()
        self.state_data, self._state_ttl, self.is_closed = {}, {}, False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600

    def __getitem__(self, key: int):
        """A block's value, as Gradio's; a State an event reads (its input) starts its time to live again, so that
        it expires that long after the session last used it, not after it was last set (Gradio's rule)."""
        value = super().__getitem__(key)
        if key in self._state_ttl:
            self._state_ttl[key] = (self._state_ttl[key][0], datetime.datetime.now())
        return value

    def _update_config(self, key: int) -> None:
        """Gradio copies a block's changed config here; nothing is kept, so nothing is built."""

    def _update_value_in_config(self, key: int, value) -> None:
        """Gradio copies every input and output value of every event here; nothing is kept."""


class LeanStateHolder(StateHolder):
    """Gradio's StateHolder (capacity, expiry, eviction unchanged), whose new sessions are LeanSessions."""

    def __getitem__(self, session_id: str) -> SessionState:
        """The session's state, a new LeanSession for a new session."""
        if session_id not in self.session_data:
            self.session_data[session_id] = LeanSession(self.blocks)
        return super().__getitem__(session_id)


@asynccontextmanager
async def lean_sessions(app: App) -> AsyncIterator[None]:
    """A FastAPI lifespan (launch's app_kwargs): the app's sessions become LeanSessions before its first request."""
    if not isinstance(app.state_holder, LeanStateHolder):
        holder = LeanStateHolder()
        holder.set_blocks(app.get_blocks())  # also points the Blocks at it, as Gradio's App.configure_app does
        app.state_holder = holder
    yield


# gr.Blocks for a page anyone can flood with calls: Gradio's per-call work that is of no use here is left out
# (rebuilding each skipped output, summing up every event for a monitoring page that is off), and an open session's
# messages are never dropped for newer sessions'.
NEVER = 2**62  # events between two summaries for Gradio's monitoring page


def skipped(value: object) -> bool:
    """Whether an event's value for an output is gr.skip(): leave it as it is."""
    return isinstance(value, dict) and value == gr.skip()


def unchanged(block: Block, postprocess: bool) -> dict | None:
    """"No change" for an output, exactly as Gradio words it: nothing for a State, an empty update otherwise."""
    return None if block.stateful else postprocess_update_dict(block, gr.skip(), postprocess)


class RecentlyUsed(LRUCache):
    """Gradio's LRUCache, but a key read moves to the end: Gradio keeps the message queues of the last 2,000
    sessions that joined, so 2,000 new ones (a minute of hostile calls) dropped an open session's, and its
    answer with it."""

    def __getitem__(self, key):
        self.move_to_end(key)  # KeyError for a missing key, as before
        return super().__getitem__(key)


class PageBlocks(gr.Blocks):
    """gr.Blocks whose skipped outputs cost nothing, whose queue sums up no event, and whose open sessions keep
    their messages."""

    def queue(self, *args, **kwargs) -> "PageBlocks":
        """Gradio's queue, with those two changes."""
        super().queue(*args, **kwargs)
        # a pandas summary of up to 10,000 events after each one: 10–40 ms of CPU (GIL held), for a page that is off
        if not hasattr(self._queue, ANALYTICS_FREQUENCY):  # checked at import too: setting it would do nothing
            raise AttributeError(f"Gradio's queue has no {ANALYTICS_FREQUENCY}")
        setattr(self._queue, ANALYTICS_FREQUENCY, NEVER)
        self._queue.pending_messages_per_session = RecentlyUsed(self._queue.pending_messages_per_session.max_size)
        return self

    async def postprocess_data(self, block_fn: BlockFunction, predictions, state) -> list:
        """What the browser gets for an event's outputs. Gradio builds a skipped component and its config anew for
        the session (0.4–1 ms each) only to change nothing, so the skipped ones are answered here, word for word
        as Gradio would, and the rest go through Gradio."""
        outputs = block_fn.outputs
        if block_fn.batch or len(outputs) < 2:
            return await super().postprocess_data(block_fn, predictions, state)
        if skipped(predictions):  # one gr.skip() for all of them
            predictions = [gr.skip()] * len(outputs)
        elif isinstance(predictions, dict) and predictions and all(isinstance(k, Block) for k in predictions):
            predictions = convert_component_dict_to_list(outputs, predictions)
        if not isinstance(predictions, (list, tuple)) or len(predictions) != len(outputs):
            return await super().postprocess_data(block_fn, predictions, state)  # Gradio's own error message
        changed = [i for i, value in enumerate(predictions) if not skipped(value)]
        done = []
        if changed:
            some = copy.copy(block_fn)
            some.outputs = [outputs[i] for i in changed]
            values = [predictions[i] for i in changed]
            done = await super().postprocess_data(some, values if len(changed) > 1 else values[0], state)
        answers, changed = iter(done), set(changed)
        return [next(answers) if i in changed else unchanged(block, block_fn.postprocess)
                for i, block in enumerate(outputs)]


# Input components whose value reaches the handler as the browser sent it, unparsed, for the handler to check
# (mnist_cnn/inputs.py; the door has already refused what the page never sends). Gradio's own parsing of a malformed
# value ends in a traceback (a slider given None, a radio given an unknown choice) instead of one sentence, and its
# UploadButton leaves an empty temporary file behind on every call.
# Gradio's public way is an event's preprocess=False: for all of an event's inputs, set where events are wired
# (app.py). It still validates a file input against its data_model first (the door has refused a malformed one by
# then) and hands the handler FileData's dict, not the path. Tried on this page (stock gr.Slider, gr.Radio,
# gr.UploadButton and gr.File; preprocess=False on every event and on /predict; inputs.uploaded taking a dict's
# "path"): the tests of the app, the API, the door, bad and hostile input and the red team pass. Until the page is
# wired so, these components set their data_model to None and name the stock component whose front end draws them
# (Gradio's get_block_name hook for template components, whose docstring says it should generally not be
# overridden); then they go.
class Unchecked:
    """For an input component: its value reaches the handler as the browser sent it, unparsed."""

    @property
    def data_model(self) -> None:
        """None, whatever the Gradio component's __init__ sets (its own __init__ stays, for the page's config)."""
        return None

    @data_model.setter
    def data_model(self, value: object) -> None:
        pass

    def preprocess(self, payload: object) -> object:
        """The value as sent."""
        return payload

    def get_block_name(self) -> str:
        """The Gradio component whose front end draws this one (Gradio's own hook for template components)."""
        return next(c for c in type(self).__mro__ if c.__module__.startswith("gradio.")).__name__.lower()

    get_block_class = get_block_name


@functools.cache
def file_schema() -> dict:
    """FileData's JSON schema, built once: pydantic takes about 1 ms to build it, and Gradio asks for it several times
    for each new session."""
    return FileData.model_json_schema()


class PathOnly(Unchecked):
    """For a file component: the payload reaches the handler as the path it names, or None, unopened."""

    def preprocess(self, payload: object) -> object:
        """The "path" of a file payload (whatever its type), or None."""
        return payload.get("path") if isinstance(payload, dict) else None

    def api_info(self) -> dict:
        """The API page's description of the input: a file, as gr.File describes it."""
        return copy.deepcopy(file_schema())  # a copy: Gradio's callers may edit what they get


class UploadButton(PathOnly, gr.UploadButton):
    """gr.UploadButton that hands the handler the uploaded file's path (the stock one also leaves an empty temp
    file behind on every call)."""
    is_template = True  # the page draws it with gr.UploadButton's own front end


class ApiFile(PathOnly, gr.File):
    """gr.File that hands the handler the uploaded file's path: the /predict endpoint's input."""
    is_template = True


class Slider(Unchecked, gr.Slider):
    """gr.Slider whose value reaches the handler unchecked."""
    is_template = True


class Radio(Unchecked, gr.Radio):
    """gr.Radio whose value reaches the handler unchecked."""
    is_template = True

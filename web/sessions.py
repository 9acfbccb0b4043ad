"""Gradio's per-session state, without the copy of every component's config and last value that Gradio keeps in each
session only to write deep links (gr.DeepLinkButton, which this page has none of): 212 KB per session before any
drawing, 328 KB after one, and 26 ms to build for each new session. Its States expire after their last use."""
import datetime
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from copy import copy

import gradio as gr
from gradio.routes import App
from gradio.state_holder import SessionState, StateHolder


class Unkept(dict):
    """A dict that keeps nothing written to it: Gradio writes a State's config here each time its value changes."""

    def __setitem__(self, key, value) -> None:
        """Drop the value."""


class LeanSession(SessionState):
    """A session's state as Gradio keeps it (its gr.State values, its copy of the page's blocks and events), with an
    empty config_values: its only reader is the deep-link route, which now finds nothing to link."""

    def __init__(self, blocks: gr.Blocks) -> None:
        # SessionState.__init__ (Gradio 6.31) without building config_values; tests/test_sessions.py checks that
        # both still set the same attributes, so a Gradio upgrade that adds one is noticed
        self.blocks_config = copy(blocks.default_config)
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

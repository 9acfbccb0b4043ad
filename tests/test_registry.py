"""The page as data: the steps in the seed's order, every part's texts in both languages, every event's inputs named
as its handler's parameters, and app.py naming no single part."""
import inspect
import re
from pathlib import Path

import pytest

from web import registry
from web.handlers import Page
from web.registry import BY_ID, EVENTS, LANG, PARTS, STEPS
from web.text import EN, ES

APP = Path(__file__).resolve().parent.parent / "app.py"
KNOWN = set(BY_ID) | {LANG, registry.WHOLE, registry.LESSON} | {f"step-{s.id}" for s in STEPS}


def test_the_steps_follow_the_seed_s_order_and_each_part_sits_in_one():
    assert [s.id for s in STEPS][:4] == ["model", "padding", "stride", "dim1"]
    steps = {s.id for s in STEPS} | {registry.PAD}
    assert all(p.step in steps for p in PARTS)
    assert all(p.side in (0, 1) for p in PARTS)


@pytest.mark.parametrize("texts", [EN, ES], ids=["en", "es"])
def test_every_text_a_part_or_step_names_is_there(texts):
    keys = [k for p in PARTS for k in (p.title, p.text, p.label) if k]
    keys += [k for s in STEPS for k in (s.title, s.tab)]
    assert [k for k in keys if k not in texts] == []


def test_an_option_given_as_a_name_is_a_value_of_the_page():
    named = {v.name for p in PARTS for v in p.options.values() if isinstance(v, registry.Loaded)}
    named |= {p.shown for p in PARTS if p.shown}
    assert named and all(hasattr(Page, n) or n in Page.__dataclass_fields__ for n in named)


@pytest.mark.parametrize("event", [e for e in EVENTS if e.handler] + [registry.AFTER_READING],
                         ids=lambda e: f"{e.part}.{e.trigger}.{e.handler}")
def test_each_event_hands_its_inputs_to_its_handler_by_name(event):
    assert set(event.inputs) <= KNOWN and set(event.outputs) <= KNOWN
    parameters = list(inspect.signature(getattr(Page, event.handler)).parameters)[1:]  # less self
    given = ([event.data] if event.data else []) + (["request"] if event.request else [])
    assert sorted([*given, *map(registry.name, event.inputs), *event.given]) == sorted(parameters)
    assert LANG not in event.inputs or event.inputs[-1] == LANG  # the page's script puts the language last


def test_every_part_an_event_fires_on_is_on_the_page_and_what_cancels_readings_comes_after_them():
    assert all(e.part in KNOWN for e in EVENTS)
    last_reading = max(i for i, e in enumerate(EVENTS) if e.fills_reading)
    assert all(i > last_reading for i, e in enumerate(EVENTS) if e.cancels)


def test_app_py_names_no_single_part_and_stays_short():
    source = APP.read_text()
    strings = set(re.findall(r'"([a-z0-9-]+)"', source))
    assert strings & set(BY_ID) == set()
    assert len(source.splitlines()) < 200

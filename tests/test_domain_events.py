"""Domain events (offenderhub/core/events.py, docs/architecture.md): declared once as frozen dataclasses
in the announcing app's events.py, each handled by an app above it, handlers run in order."""

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

from offenderhub.core import events

ROOT = Path(__file__).resolve().parent.parent


def _declared_events():
    """Every event class in an app's events.py (``EventCode`` and the like are not events)."""
    for path in sorted(ROOT.glob("*/events.py")):
        module = importlib.import_module(f"{path.parent.name}.events")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and dataclasses.is_dataclass(value)
            ):
                yield f"{module.__name__}.{name}", value


def test_the_apps_declare_their_events():
    names = {name for name, _ in _declared_events()}
    assert {
        "cases.events.CaseWithdrawn",
        "cases.events.CasePageAsked",
        "assessments.events.ServiceSuggestionsAsked",
        "conditions.events.ConditionWithdrawn",
        "conditions.events.ConditionVaried",
        "conditions.events.ProsecutionResumed",
        "conditions.events.ConditionDeliveryAsked",
    } <= names


@pytest.mark.parametrize("name,event_type", list(_declared_events()), ids=lambda v: getattr(v, "__name__", v))
def test_every_declared_event_is_frozen_and_handled_by_an_app_above(name, event_type):
    assert event_type.__dataclass_params__.frozen, f"{name}: declare it @dataclass(frozen=True)"
    handlers = events.handlers_of(event_type)
    assert handlers, f"{name} is declared but no app handles it: subscribe a handler or remove it"
    announcer = name.split(".")[0]
    for handler in handlers:
        assert handler.__module__.split(".")[0] != announcer, f"{name}: an app does not handle its own event"


@dataclasses.dataclass(frozen=True)
class SomethingHappened:
    what: str


def test_handlers_run_in_the_order_they_were_registered_and_each_answer_is_returned(monkeypatch):
    monkeypatch.setattr(events, "_HANDLERS", {})
    calls = []
    first = lambda event: calls.append(("first", event.what)) or 1  # noqa: E731
    second = lambda event: calls.append(("second", event.what)) or 2  # noqa: E731
    events.subscribe(SomethingHappened, first)
    events.subscribe(SomethingHappened, second)
    events.subscribe(SomethingHappened, first)  # registered once, however often

    assert events.announce(SomethingHappened(what="it")) == [1, 2]
    assert calls == [("first", "it"), ("second", "it")]


def test_an_event_nobody_handles_is_announced_to_nobody(monkeypatch):
    monkeypatch.setattr(events, "_HANDLERS", {})

    assert events.announce(SomethingHappened(what="it")) == []


def test_only_a_declared_event_can_be_subscribed_to():
    with pytest.raises(TypeError, match="not a declared event"):
        events.subscribe(dict, print)

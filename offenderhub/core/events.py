"""Domain events: how an app lower in the stack tells the apps above it what happened, without
importing them (docs/architecture.md, "Domain events").

An app declares its events, small frozen dataclasses named in the past tense (``CaseWithdrawn``), in
its own ``events.py``, and announces one where the change happens; an app above registers a handler
for it in its ``AppConfig.ready`` with ``subscribe``, and the handler calls a service of its own app.
A question the lower app must put to the apps above (may this person be erased? what does each app
show on the case page?) is an event too, named ``...Asked``, whose handlers return their answers.

Handlers run synchronously, inside the announcer's transaction, in the order they were registered: a
handler's failure rolls the whole change back. Nothing is announced implicitly: these are not Django
signals on model saves.

The mechanism lives in the foundation so that every app, at any height, can announce; the events
themselves belong to the app that announces them.
"""

import dataclasses

_HANDLERS: dict[type, list] = {}


def subscribe(event_type: type, handler) -> None:
    """Call ``handler(event)`` whenever an ``event_type`` is announced (once, however often registered)."""
    if not dataclasses.is_dataclass(event_type):
        raise TypeError(f"{event_type!r} is not a declared event: declare it as a dataclass in events.py.")
    handlers = _HANDLERS.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def announce(event) -> list:
    """Tell every handler of the event's type; returns what each returned, in order."""
    return [handler(event) for handler in _HANDLERS.get(type(event), [])]


def handlers_of(event_type: type) -> list:
    """The handlers registered for an event type, in order (for the architecture's tests and docs)."""
    return list(_HANDLERS.get(event_type, []))

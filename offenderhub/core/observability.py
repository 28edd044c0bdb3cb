"""What operators see of a running service: a request id on every request, response and log line, and
logs as one JSON object per line.

``RequestIdMiddleware`` runs first, so every response carries ``X-Request-ID`` (redirects, static
files, errors included). It keeps the request in a context variable for ``LogContextFilter``, which
adds ``request_id``, ``user_id`` and ``organisation_id`` to every log record: ids only, never a name
or an email address (an address that slips into a message is masked). Jobs queued during a request
carry its id in a message header, so a worker's log lines link back to the page that queued them.

Nothing here touches the database: the user is read only if something else has already loaded it.
"""

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from celery import signals
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy or client is kept if it is short and plain; anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
# The task message header that carries the request id into a worker.
TASK_HEADER = "x_request_id"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_request_var: ContextVar[object | None] = ContextVar("request", default=None)
_task_var: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def request_id_from(value: str | None) -> str:
    """The incoming id if it is sane (up to 128 letters, digits and ``._:=+/-``), else a new one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE: gives each request an id and puts it on the response, whatever answers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        request_token = _request_var.set(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            _request_var.reset(request_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _user_ids(request) -> tuple[int | None, int | None]:
    """The signed-in user's id and organisation id, if the request has already loaded the user.

    Loading it here would make logging query the database (and could recurse when the database is
    what failed), so a user not yet loaded is simply not named."""
    from django.utils.functional import empty

    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None, None
    if not getattr(user, "is_authenticated", False):
        return None, None
    return user.pk, getattr(user, "organisation_id", None)


def mask_emails(text: str) -> str:
    return _EMAIL.sub("[email]", text)


class LogContextFilter(logging.Filter):
    """On the handler: adds request_id, user_id and organisation_id (and the task, in a worker) to
    every record, and masks email addresses in the message."""

    def filter(self, record):
        # Django logs each 4xx and 5xx response after the middleware has finished, passing the
        # request itself; its text would show the query string, so only its ids are kept.
        request = getattr(record, "request", None)
        if hasattr(request, "META"):
            del record.request
        else:
            request = _request_var.get()
        if getattr(record, "request_id", None) is None:  # the access log passes its own
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        record.user_id, record.organisation_id = _user_ids(request)
        task = _task_var.get()
        if task is not None:
            record.task_id, record.task_name = task
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the formatter's to report
            return True
        masked = mask_emails(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then the context and
    any ``extra`` fields; an exception's traceback as ``exc_info``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


# --- Jobs ---------------------------------------------------------------------------------------------
@signals.before_task_publish.connect
def _add_request_id_header(headers=None, **kwargs):
    """A job queued while a request is answered carries that request's id."""
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, tuple] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    """In a worker, the request id from the message header; run eagerly, the current request's."""
    header = None
    if task is not None:  # a worker puts message headers on the request; apply(headers=) under .headers
        header = task.request.get(TASK_HEADER) or (task.request.get("headers") or {}).get(TASK_HEADER)
    request_id = header if header and _SANE_REQUEST_ID.fullmatch(header) else request_id_var.get()
    _task_tokens[task_id] = (
        request_id_var.set(request_id),
        _task_var.set((task_id, getattr(task, "name", ""))),
    )


@signals.task_postrun.connect
def _task_finished(task_id=None, **kwargs):
    tokens = _task_tokens.pop(task_id, None)
    if tokens is not None:
        request_token, task_token = tokens
        try:
            _task_var.reset(task_token)
            request_id_var.reset(request_token)
        except ValueError:  # finished in another context than it started: just forget both
            _task_var.set(None)
            request_id_var.set(None)

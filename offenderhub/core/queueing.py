"""Queueing a job from a request or a service: best effort, and never the request's failure.

Work that must follow a change is first written to the database with the change (a notification
not yet emailed, a prosecution not yet carried out). Queueing a job for it when the transaction
commits only makes it happen at once: if the broker is down, nothing is queued, one line is logged,
and the frequent sweeps declared in ``offenderhub/celery.py`` do the work as soon as a worker runs
again. So queueing here fails fast (no reconnection loop, no wait for a result store) and never
raises::

    enqueue_on_commit(send_notification_emails, [n.pk for n in created])
"""

import logging
from functools import partial

from celery import current_app
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

# How a failed attempt is logged: enough to match it with the sweep that catches up, never more.
MAX_IDS_LOGGED = 5


def enqueue(task, *args) -> bool:
    """Queue ``task`` (a Celery task or its name) with ``args`` (ids, never personal data). Returns
    whether it was queued. The broker is asked once: when it cannot be reached the failure is logged
    as one line and ``False`` returned at once, because a sweep will do the same work later."""
    if isinstance(task, str):
        if task not in current_app.tasks:  # a process that has not yet imported the apps' tasks modules
            autodiscover_modules("tasks")
        task = current_app.tasks[task]
    try:
        if task.app.conf.task_always_eager:  # tests and one-process runs: the task runs here and now
            task.apply_async(args)
            return True
        with task.app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=0)  # fail fast: refused is refused
            # No result is waited for, so none is subscribed to: the result store may be down too.
            task.apply_async(args, producer=producer, retry=False, ignore_result=True)
    except Exception as exc:  # whatever the broker's client raises, the caller carries on
        logger.warning(
            "Not queued: %s(%s): %s: %s. A sweep will do it once a worker can be reached.",
            task.name,
            describe_args(args),
            type(exc).__name__,
            str(exc)[:200].rstrip("."),
        )
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """``enqueue`` once the current transaction commits (at once outside a transaction); nothing is
    queued if it rolls back."""
    transaction.on_commit(partial(enqueue, task, *args))


def describe_args(args) -> str:
    """The arguments for a log line, long lists of ids shortened: ``[4, 5, 6, 7, 8, ... 3002 ids]``."""
    parts = []
    for arg in args:
        if isinstance(arg, list | tuple) and len(arg) > MAX_IDS_LOGGED:
            shown = ", ".join(str(item) for item in arg[:MAX_IDS_LOGGED])
            parts.append(f"[{shown}, ... {len(arg)} ids]")
        else:
            parts.append(repr(arg))
    return ", ".join(parts)

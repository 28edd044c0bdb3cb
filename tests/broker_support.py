"""Celery pointed at a broker for one test: one that cannot be reached (an outage), or the Redis at
``REDIS_URL`` with a real worker thread consuming a queue of this test process's own, so that test
processes running in parallel (pytest-xdist) never take each other's jobs.

Test modules take the fixtures by name: ``broker_down = broker_support.broker_down``."""

import os
import socket
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from offenderhub.celery import app as celery_app


def _forget_connections():
    """Forget pooled connections, queues and the result backend made from the old settings, as Celery
    itself does after a fork; they are made again from the new settings when next needed."""
    celery_app._pool = None
    vars(celery_app).pop("amqp", None)
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


@contextmanager
def celery_configured(**values):
    saved = {key: celery_app.conf[key] for key in values}
    celery_app.conf.update(values)
    _forget_connections()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


def unreachable_redis_url() -> str:
    """A Redis address nothing answers on: a port just taken from the system and given back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def _redis_options() -> dict:
    """The production settings' Redis options (their time-outs), when the settings were read with a
    Redis: they are part of what is tested."""
    return dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS) if settings.REDIS_URL else {}


@pytest.fixture
def broker_down():
    """The broker and the result store stopped: every connection to them is refused."""
    url = unreachable_redis_url()
    with celery_configured(
        broker_url=url, result_backend=url, broker_transport_options=_redis_options(), task_always_eager=False
    ) as app:
        yield app


def own_queue_name() -> str:
    """This test process's own queue (``PYTEST_XDIST_WORKER`` is gw0, gw1... under pytest-xdist)."""
    return f"offenderhub-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@contextmanager
def redis_configured():
    """Celery on the Redis at ``REDIS_URL`` (skipped without it, required in CI), tasks routed to this
    test process's own queue, emptied first."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the worker tests against Redis: set REDIS_URL.", pytrace=False)
        pytest.skip("Set REDIS_URL to run a real worker.")
    with celery_configured(
        broker_url=redis_url,
        result_backend=redis_url,
        broker_transport_options=_redis_options(),
        task_always_eager=False,
        task_default_queue=own_queue_name(),
    ) as app:
        app.control.purge()  # nothing left over from an earlier test
        yield app


@contextmanager
def worker_running(app):
    """A Celery worker thread consuming this test process's queue, until the block ends."""
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app

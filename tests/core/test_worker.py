"""A real Celery worker, fed through Redis, runs a job that writes to the database."""

import os

import pytest
from celery.contrib.testing.worker import start_worker

from offenderhub.celery import app as celery_app
from offenderhub.core.models import WorkerHeartbeat
from offenderhub.core.tasks import heartbeat

pytestmark = pytest.mark.redis

CHANGED_SETTINGS = ("broker_url", "result_backend", "broker_transport_options")


@pytest.fixture
def redis_app():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the worker test against Redis: set REDIS_URL.", pytrace=False)
        pytest.skip("Set REDIS_URL to run a real worker.")
    saved = {key: celery_app.conf[key] for key in CHANGED_SETTINGS}
    wanted = {"broker_url": redis_url, "result_backend": redis_url, "broker_transport_options": {}}
    _configure(wanted)
    yield celery_app
    _configure(saved)


def _configure(values):
    celery_app.conf.update(values)
    # Forget pooled connections and the result backend made from the old settings, as Celery itself
    # does after a fork; they are made again from the new settings when next needed.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_runs_heartbeat_job_through_redis(redis_app):
    with start_worker(redis_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        result = heartbeat.delay(name="test")
        last_seen = result.get(timeout=30)

    beat = WorkerHeartbeat.objects.get(name="test")
    assert beat.last_seen.isoformat() == last_seen

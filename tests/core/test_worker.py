"""A real Celery worker, fed through Redis, runs a job that writes to the database (the worker is
``redis_worker`` in tests/conftest.py)."""

import pytest

from offenderhub.core.models import WorkerHeartbeat
from offenderhub.core.tasks import heartbeat

pytestmark = pytest.mark.redis


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_runs_heartbeat_job_through_redis(redis_worker):
    last_seen = heartbeat.delay(name="test").get(timeout=30)

    beat = WorkerHeartbeat.objects.get(name="test")
    assert beat.last_seen.isoformat() == last_seen

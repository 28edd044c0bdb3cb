"""Health of the parts the service needs: the database and the job broker. No personal data.

Three answers, for three questions: ``/livez`` (is the process up? no dependencies, so a restart is
never triggered by an outage elsewhere), ``/readyz`` (can it serve? the database and the broker,
503 when either is unreachable) and ``/healthz`` (readiness plus when a worker last ran a job).
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat

WORKER_STALE_AFTER = timedelta(minutes=5)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return {"status": "unavailable", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def check_broker() -> dict:
    """Connect to the broker, giving up after HEALTH_CHECK_TIMEOUT seconds (an unreachable Redis must
    not hold a health check, or the worker answering it, for long)."""
    from django.conf import settings

    from offenderhub.celery import app

    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        with app.connection_for_write(
            connect_timeout=timeout,
            transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001
        return {"status": "unavailable", "error": exc.__class__.__name__}
    return {"status": "ok", "transport": str(transport)}


def check_worker(database_ok: bool) -> dict:
    """Informational: when a worker last ran a job. It does not make the service unhealthy."""
    if not database_ok:
        return {"status": "unknown"}
    beat = WorkerHeartbeat.objects.filter(name="default").first()
    if beat is None:
        return {"status": "unknown", "last_seen": None}
    stale = timezone.now() - beat.last_seen > WORKER_STALE_AFTER
    return {"status": "stale" if stale else "ok", "last_seen": beat.last_seen.isoformat()}


def readiness_report() -> tuple[bool, dict]:
    """Whether this process can serve: the database and the broker both answer."""
    database = check_database()
    broker = check_broker()
    ready = database["status"] == "ok" and broker["status"] == "ok"
    return ready, {
        "status": "ok" if ready else "unavailable",
        "checks": {"database": database, "broker": broker},
    }


def health_report() -> tuple[bool, dict]:
    """Readiness, plus when a worker last ran a job (informational)."""
    healthy, report = readiness_report()
    report["checks"]["worker"] = check_worker(report["checks"]["database"]["status"] == "ok")
    return healthy, report

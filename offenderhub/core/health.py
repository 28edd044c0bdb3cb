"""Health of the parts the service needs: the database and the job broker. No personal data."""

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
    from offenderhub.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
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


def health_report() -> tuple[bool, dict]:
    database = check_database()
    broker = check_broker()
    healthy = database["status"] == "ok" and broker["status"] == "ok"
    return healthy, {
        "status": "ok" if healthy else "unavailable",
        "checks": {
            "database": database,
            "broker": broker,
            "worker": check_worker(database["status"] == "ok"),
        },
    }

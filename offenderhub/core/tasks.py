from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .services import heartbeat_record


@shared_task(acks_late=True, ignore_result=False)
def heartbeat(name: str = "default") -> str:
    return heartbeat_record(name=name).last_seen.isoformat()


@shared_task(acks_late=True)
def clean_login_attempts() -> int:
    """Drop lock-out records older than the cool-off period."""
    from axes.models import AccessAttempt

    cutoff = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    stale = AccessAttempt.objects.filter(attempt_time__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count


TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def run_job(name: str, today: str | None = None) -> dict:
    """One of the daily jobs (``offenderhub.core.jobs.DAILY_JOBS``), by name; ``today`` as an ISO date."""
    from .jobs import job_run

    return job_run(name, today=date.fromisoformat(today) if today else None)

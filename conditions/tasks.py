from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .jobs import prosecution_carry_out, prosecutions_carry_out


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def prosecution_resumption(prosecution_id: int) -> bool:
    """Queued when a breach is confirmed: the case file team told and the victim's notification
    recorded as due. Safe to run twice (the sweep below also carries out any that were missed)."""
    return prosecution_carry_out(prosecution_id=prosecution_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=180)
def prosecution_resumption_sweep() -> int:
    """Every minute, and when a worker starts: carry out any prosecution resumption whose queued job
    was lost (the broker was down, or the process was killed before it queued it)."""
    return prosecutions_carry_out(today=timezone.localdate())["case_file_teams_notified"]

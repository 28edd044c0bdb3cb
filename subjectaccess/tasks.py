from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import subject_access_export_produce, subject_access_exports_produce


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=14 * 60,
    time_limit=15 * 60,
)
def subject_access_export(request_id: int) -> bool:
    """Queued when a supervisor asks for a subject access export: the PDF and the archive produced.
    Safe to run twice (each export is claimed by one job; the sweep below catches a lost one)."""
    return subject_access_export_produce(request_id=request_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=14 * 60, time_limit=15 * 60)
def subject_access_export_sweep() -> int:
    """Every minute, and when a worker starts: produce any export asked for whose job was lost (the
    broker was down when it was asked for) or died (its claim lapses after 15 minutes)."""
    return subject_access_exports_produce()

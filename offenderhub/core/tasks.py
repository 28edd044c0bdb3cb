from datetime import timedelta

from celery import shared_task
from django.conf import settings
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

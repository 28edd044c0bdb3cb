from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_record(*, name: str = "default", at=None) -> WorkerHeartbeat:
    """Idempotent: the row holds only the latest time a worker ran a job."""
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": at or timezone.now()}
    )
    return beat

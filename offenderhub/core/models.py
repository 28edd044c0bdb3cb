from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a job worker proved it was consuming jobs (one row per worker queue)."""

    name = models.CharField(max_length=100, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a job worker proved it was consuming jobs (one row per worker queue)."""

    name = models.CharField(max_length=100, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class JobRun(models.Model):
    """One run of a scheduled job: when, for which day, what it did (counts) and any failure, and
    which process ran it (so that a run left "running" by a process that died can be told from one
    still running: see ``offenderhub.core.jobs``)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=60, db_index=True)
    today = models.DateField(help_text="The day the job ran for.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    trigger = models.CharField(max_length=20, default="schedule", help_text="schedule or command")
    hostname = models.CharField(max_length=255, blank=True, help_text="The machine the run's process ran on.")
    pid = models.PositiveIntegerField(
        null=True, blank=True, help_text="The run's process id on that machine."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_job_started_idx")]

    def __str__(self):
        return f"{self.job} for {self.today}: {self.status}"

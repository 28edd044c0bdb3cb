"""The Celery application. Every periodic schedule is declared here, in BEAT_SCHEDULE, and nowhere else."""

import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "offenderhub.settings")

app = Celery("offenderhub")
app.config_from_object("django.conf:settings", namespace="CELERY")


@signals.worker_init.connect
@signals.beat_init.connect
def _require_secret_key(**kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from .startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as exc:  # Celery logs and ignores exceptions from signal handlers
        raise SystemExit(str(exc)) from exc


app.autodiscover_tasks()

# When each job runs and why. Times are Europe/London.
BEAT_SCHEDULE = {
    # Every minute: proves to /healthz and the administrators that a worker is consuming jobs.
    "worker-heartbeat": {
        "task": "offenderhub.core.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Nightly at 02:30: forget old lock-out records so the table stays small.
    "clean-login-attempts": {
        "task": "offenderhub.core.tasks.clean_login_attempts",
        "schedule": crontab(hour=2, minute=30),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE

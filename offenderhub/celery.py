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


@signals.setup_logging.connect
def _use_django_logging(**kwargs):
    """The worker and beat log like the web app (settings.LOGGING: JSON lines with the request id)
    instead of Celery replacing the root logger's handlers with its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


app.autodiscover_tasks()

# The sweeps that catch up with work whose job was never queued (the broker was down at the commit)
# or was lost (a process killed): each runs every minute (BEAT_SCHEDULE) and when a worker starts.
SWEEPS = (
    "offenderhub.notifications.tasks.send_outbox_emails",
    "conditions.tasks.prosecution_resumption_sweep",
    "subjectaccess.tasks.subject_access_export_sweep",
)


@signals.worker_ready.connect
def _sweep_on_start(**kwargs):
    """A worker starting after an outage catches up at once, not at the next minute."""
    from .core.queueing import enqueue

    for name in SWEEPS:
        enqueue(name)


# When each job runs and why. Times are Europe/London.
BEAT_SCHEDULE = {
    # Every minute: proves to /healthz and the administrators that a worker is consuming jobs.
    "worker-heartbeat": {
        "task": "offenderhub.core.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: email every notification still waiting in the outbox, and carry out every
    # prosecution resumption not yet carried out. Each is normally done at once by a job queued on
    # commit; these catch what that job missed (the broker down, a process killed) within a minute.
    # A run not started within the minute is dropped: the next one does the same work.
    "notification-outbox": {
        "task": "offenderhub.notifications.tasks.send_outbox_emails",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "prosecution-resumption-sweep": {
        "task": "conditions.tasks.prosecution_resumption_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: produce any subject access export whose job was lost or died (normally queued the
    # moment a supervisor asks for it). A run not started within the minute is dropped.
    "subject-access-export-sweep": {
        "task": "subjectaccess.tasks.subject_access_export_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: summarise again for the dashboard the cases changed since the last run (the
    # dashboard itself does it for a few thousand before it reads; this keeps it from having to).
    "reporting-summaries": {
        "task": "reporting.tasks.refresh_summaries",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: start a caseload import's job that was never queued (the broker was down), fail one
    # whose job stopped, discard one checked and left unconfirmed for a week (imports/services.py).
    "caseload-imports-sweep": {
        "task": "imports.tasks.caseload_imports_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Nightly at 02:30: forget old lock-out records so the table stays small.
    "clean-login-attempts": {
        "task": "offenderhub.core.tasks.clean_login_attempts",
        "schedule": crontab(hour=2, minute=30),
    },
    # Early each morning, before the working day: conditions falling due and overdue, breach
    # reviews past their deadline, what follows a confirmed breach, the six-month limit. In order,
    # a few minutes apart, so each sees the last one's work.
    **{
        f"daily-{name.replace('_', '-')}": {
            "task": "offenderhub.core.tasks.run_job",
            "args": [name],
            "schedule": crontab(hour=5, minute=5 * index),
            "options": {"expires": 6 * 3600},
        }
        for index, name in enumerate(
            [
                "condition_reminders",
                "overdue_conditions",
                "restrictive_conditions",
                "breach_review_auto_confirm",
                "breach_review_escalation",
                "prosecution_resumption",
                "time_limit_warnings",
            ],
            start=0,
        )
    },
    # Mid-morning on working days, when partner agencies are open: chase referrals not accepted in
    # their service level, and appointments with no outcome recorded.
    "referral-chase": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["referral_chase"],
        "schedule": crontab(hour=9, minute=30, day_of_week="mon-fri"),
    },
    "appointment-outcomes": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["appointment_outcomes"],
        "schedule": crontab(hour=9, minute=35, day_of_week="mon-fri"),
    },
    # 06:00 daily, before the working day: records whose retention period has passed are flagged for
    # review and the force's administrators and supervisors told (one notification a force a day).
    "retention-review": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["retention_review"],
        "schedule": crontab(hour=6, minute=0),
    },
    # 06:10 daily, after the retention review: the files of subject access exports closed longer ago
    # than SUBJECT_ACCESS_EXPORT_KEEP_DAYS, and any a killed export job left behind, deleted.
    "subject-access-files": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["subject_access_files"],
        "schedule": crontab(hour=6, minute=10),
    },
    # 07:00 daily: the weekly digest for those who asked for one instead of an email per event. The
    # job itself sends only on DIGEST_WEEKDAY (Monday by default), so the setting alone decides the day.
    "weekly-digest": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["weekly_digest"],
        "schedule": crontab(hour=7, minute=0),
    },
    # 04:00 daily, when the service is quiet, before the morning jobs: walk the audit log's hash
    # chain; if a row was changed, deleted or inserted in the database, the run fails naming it and
    # every administrator and supervisor is told.
    "audit-verify": {
        "task": "offenderhub.core.tasks.run_job",
        "args": ["audit_verify"],
        "schedule": crontab(hour=4, minute=0),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE

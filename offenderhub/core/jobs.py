"""The daily jobs, declared once: each is a service function ``job(today) -> dict of counts``.

Celery runs each job as its own task on the schedule in ``offenderhub/celery.py``;
``manage.py run_daily_jobs`` runs them all at once, in this order, for a chosen day. Every run is
recorded as a ``JobRun`` (what it did, or the failure) for the administrators' jobs page.
"""

import traceback
from datetime import date

from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobRun

# In order: reminders and overdue conditions first, then breach reviews (automatic confirmation
# before escalation, so supervisors are not asked about a review the scheme confirms), then what
# follows a confirmed breach, then the time-limit warnings, the partners' chases and the digest.
DAILY_JOBS = {
    "condition_reminders": "conditions.jobs.condition_reminders_send",
    "overdue_conditions": "conditions.jobs.conditions_overdue_sweep",
    "restrictive_conditions": "conditions.jobs.restrictive_conditions_end",
    "breach_review_auto_confirm": "conditions.jobs.breach_reviews_auto_confirm",
    "breach_review_escalation": "conditions.jobs.breach_reviews_escalate",
    "prosecution_resumption": "conditions.jobs.prosecutions_carry_out",
    "time_limit_warnings": "conditions.jobs.time_limits_warn",
    "referral_chase": "referrals.jobs.referrals_chase",
    "appointment_outcomes": "referrals.jobs.appointment_outcomes_chase",
    "weekly_digest": "offenderhub.notifications.jobs.weekly_digest_send",
}


def job_run(name: str, *, today: date | None = None, trigger: str = "schedule") -> dict:
    """Run one job for ``today``, recording the run. A failure is recorded and raised again (so the
    task's retry policy applies); the job's own transactions keep what was already done."""
    function = import_string(DAILY_JOBS[name])
    today = today or timezone.localdate()
    run = JobRun.objects.create(job=name, today=today, trigger=trigger)
    try:
        counts = function(today=today)
    except Exception:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), error=traceback.format_exc()[-4000:]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), counts=counts
    )
    return counts


def job_runs_latest(limit_per_job: int = 5) -> dict:
    """The latest runs of each job, for the jobs page: one query per job, a fixed number."""
    return {name: list(JobRun.objects.filter(job=name)[:limit_per_job]) for name in DAILY_JOBS}

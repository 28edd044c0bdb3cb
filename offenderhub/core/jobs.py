"""The daily jobs, declared once: each is a service function ``job(today) -> dict of counts``.

Celery runs each job as its own task on the schedule in ``offenderhub/celery.py``;
``manage.py run_daily_jobs`` runs them all at once, in this order, for a chosen day. Every run is
recorded as a ``JobRun`` (what it did, or the failure) for the administrators' jobs page.

A run whose process dies (killed, out of memory, past the task's hard time limit, the machine
restarted) cannot record its end, and would show as running for ever: the next run of the same job
marks it failed. To tell a dead run from a live one, each run records its host and process id and, on
PostgreSQL, holds an advisory lock on its id while it runs. The lock goes with the process's database
session however the process ends, so a run whose lock nobody holds is dead, whichever machine ran it.
Without PostgreSQL (SQLite, on one machine) the process itself is looked for.
"""

import os
import socket
import traceback
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobRun

# In order: reminders and overdue conditions first, then breach reviews (automatic confirmation
# before escalation, so supervisors are not asked about a review the scheme confirms), then what
# follows a confirmed breach, then the time-limit warnings, the partners' chases, the retention review
# and the digest, and the audit log's check.
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
    # Records whose retention period has passed flagged for review (retention/), administrators told.
    "retention_review": "retention.jobs.retention_reviews_flag",
    # Subject access exports' files kept past SUBJECT_ACCESS_EXPORT_KEEP_DAYS, or left by a killed job.
    "subject_access_files": "subjectaccess.jobs.subject_access_files_sweep",
    "weekly_digest": "offenderhub.notifications.jobs.weekly_digest_send",
    # Last: the audit log's hash chain checked, administrators and supervisors told if it is broken.
    "audit_verify": "offenderhub.audit.jobs.audit_chain_verify",
}


def run_moment(today: date):
    """The instant a job run for ``today`` records for what it does (a review opened, a reminder sent,
    a timeline event): now when ``today`` is today, else ``today`` at the current time of day, so that
    ``run_daily_jobs --today D`` dates its work D (issue 16). The audit log and the run's own record
    keep the real time: they say when the processing happened."""
    now = timezone.localtime()
    if today == now.date():
        return now
    return timezone.make_aware(datetime.combine(today, now.time().replace(tzinfo=None)))


# The key of the advisory locks live runs hold, with the run's id: pg_advisory_lock(JOB_RUN_LOCK, id).
JOB_RUN_LOCK = 0x4A52  # "JR"


def job_run(name: str, *, today: date | None = None, trigger: str = "schedule") -> dict:
    """Run one job for ``today``, recording the run. A failure is recorded and raised again (so the
    task's retry policy applies); the job's own transactions keep what was already done. Runs of the
    same job left "running" by a process that died are marked failed first."""
    function = import_string(DAILY_JOBS[name])
    today = today or timezone.localdate()
    job_runs_fail_dead(name)
    run = _run_start(name, today, trigger)
    try:
        counts = function(today=today)
    except Exception:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), error=traceback.format_exc()[-4000:]
        )
        raise
    else:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), counts=counts
        )
    finally:
        _run_lock(run, "pg_advisory_unlock")
    return counts


def _run_start(name, today, trigger) -> JobRun:
    """The run's row, visible to others only once its lock is held (so no other run takes it for dead)."""
    with transaction.atomic():
        run = JobRun.objects.create(
            job=name, today=today, trigger=trigger, hostname=socket.gethostname(), pid=os.getpid()
        )
        _run_lock(run, "pg_advisory_lock")
    return run


def _run_lock(run, function):
    if connection.vendor == "postgresql":  # the lock outlives the transaction: it is the session's
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s::integer, %s::integer)", [JOB_RUN_LOCK, run.pk])


def job_runs_fail_dead(name: str) -> int:
    """Mark failed the runs of this job left "running" by a process that has died, saying so. A run
    still running is left alone. Returns how many were marked."""
    running = list(JobRun.objects.filter(job=name, status=JobRun.Status.RUNNING))
    if not running:
        return 0
    live = _live_run_ids()
    now = timezone.now()
    marked = 0
    for run in running:
        if _is_alive(run, live):
            continue
        process = f"process {run.pid} on {run.hostname}" if run.pid else "process"
        error = (
            f"The run stopped without finishing: its {process} had ended when the next run started, "
            f"at {timezone.localtime(now):%-d %B %Y %H:%M} (killed, out of memory, over its time limit, "
            "or its machine restarted). What it had already done stays done; later runs do the rest."
        )
        marked += JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.FAILED, finished_at=now, error=error
        )
    return marked


def _live_run_ids() -> set[int] | None:
    """On PostgreSQL, the ids of the runs whose lock is held in this database (by live processes);
    elsewhere ``None`` (unknown)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s"
            " AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [JOB_RUN_LOCK],
        )
        return {int(objid) for (objid,) in cursor.fetchall()}


def _is_alive(run: JobRun, live: set[int] | None) -> bool:
    if live is not None:
        return run.pk in live
    if not run.pid:
        return False  # from before processes were recorded: long gone
    if run.hostname != socket.gethostname():
        return True  # another machine's process cannot be looked for from here
    return _process_exists(run.pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process is there
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # there, but another user's
    return True


def job_runs_latest(limit_per_job: int = 5) -> dict:
    """The latest runs of each job, for the jobs page: one query per job, a fixed number."""
    return {name: list(JobRun.objects.filter(job=name)[:limit_per_job]) for name in DAILY_JOBS}

"""The schedule, declared once in ``offenderhub/celery.py``: every daily job is on it, in order, and the
tasks are safe to retry (late acknowledgement, back-off, time limits, JSON)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError

from conditions.tasks import prosecution_resumption
from offenderhub.celery import BEAT_SCHEDULE
from offenderhub.celery import app as celery_app
from offenderhub.core.jobs import DAILY_JOBS
from offenderhub.core.tasks import run_job

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_JOB = "offenderhub.core.tasks.run_job"


def _scheduled_jobs():
    return [entry["args"][0] for entry in BEAT_SCHEDULE.values() if entry["task"] == RUN_JOB]


def test_every_daily_job_is_scheduled_once_and_every_scheduled_task_exists():
    assert sorted(_scheduled_jobs()) == sorted(DAILY_JOBS)
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks


def test_the_early_morning_jobs_run_in_the_order_they_are_declared():
    early = [
        (entry["schedule"].hour, entry["schedule"].minute, entry["args"][0])
        for entry in BEAT_SCHEDULE.values()
        if entry["task"] == RUN_JOB and entry["schedule"].hour == {5}
    ]
    in_time_order = [name for *_, name in sorted(early, key=lambda e: (min(e[0]), min(e[1])))]
    assert in_time_order == [name for name in DAILY_JOBS if name in in_time_order]
    assert in_time_order[:2] == ["condition_reminders", "overdue_conditions"]
    assert in_time_order[-1] == "time_limit_warnings"


@pytest.mark.parametrize("task", [run_job, prosecution_resumption], ids=lambda t: t.name)
def test_job_tasks_are_acknowledged_late_retried_with_back_off_and_time_limited(task):
    assert task.acks_late is True
    assert OperationalError in task.autoretry_for
    assert task.retry_backoff and task.retry_jitter and task.max_retries
    assert task.soft_time_limit < task.time_limit


def test_tasks_and_results_travel_as_json_only():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"
    assert list(celery_app.conf.accept_content) == ["json"]


def _digest_weekdays_with(digest_weekday: int) -> set:
    """The days (cron numbering, 0 = Sunday) beat runs the weekly digest on, with ``DIGEST_WEEKDAY``
    set in the environment (the schedule is built when ``offenderhub.celery`` is imported)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "offenderhub.settings_test",
        "DIGEST_WEEKDAY": str(digest_weekday),
    }
    code = (
        "import json, django; django.setup(); from offenderhub.celery import BEAT_SCHEDULE; "
        "[entry] = [e for e in BEAT_SCHEDULE.values() if e.get('args') == ['weekly_digest']]; "
        "print(json.dumps(sorted(entry['schedule'].day_of_week)))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_the_weekly_digest_is_scheduled_on_the_default_digest_day_monday():
    assert settings.DIGEST_WEEKDAY == 0
    assert 1 in _digest_weekdays_with(0)  # cron's Monday


def test_the_weekly_digest_is_scheduled_on_the_digest_day_the_settings_choose():
    """``DIGEST_WEEKDAY`` comes from the environment, and the job sends nothing on any other day; so
    beat must run it on that day (or daily). Fails today: the schedule says Monday whatever the
    setting, so with ``DIGEST_WEEKDAY=4`` no digest is ever sent, and digest users get no email."""
    friday = 5  # cron numbering; Python's weekday() 4
    assert friday in _digest_weekdays_with(4)

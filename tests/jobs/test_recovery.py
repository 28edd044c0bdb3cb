"""Recovering from what kills work half-way: a job run whose process died is marked failed by the next
run (a live one is left alone), and a prosecution resumption queued while the broker was down is carried
out by the sweep once a worker runs."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from broker_support import broker_down, redis_configured, worker_running
from django.db import connection
from django.utils import timezone
from job_support import confirmation, fail, rehabilitative

from cases.events import EventCode
from cases.models import CaseEvent
from conditions.models import Prosecution
from conditions.services import breach_review_decide
from conditions.tasks import prosecution_resumption_sweep
from offenderhub.core import jobs
from offenderhub.core.jobs import DAILY_JOBS, job_run
from offenderhub.core.models import JobRun
from offenderhub.notifications.models import Notification, NotificationKind

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HELD = "held"

broker_down = broker_down  # the fixture, by name


def quick_job(*, today) -> dict:
    """The held job as this process runs it: done at once."""
    return {"done": 1}


@pytest.fixture
def held_job(monkeypatch):
    monkeypatch.setitem(DAILY_JOBS, HELD, f"{__name__}.quick_job")
    return HELD


# The held job as another process runs it: it starts, then waits until it is killed.
RUN_AND_HOLD = """
import sys, time, types
import django
django.setup()
from offenderhub.core import jobs

module = types.ModuleType("held_job")
module.hold = lambda *, today: time.sleep(600)
sys.modules["held_job"] = module
jobs.DAILY_JOBS["held"] = "held_job.hold"
jobs.job_run("held")
"""


def _database_url() -> str:
    """This test database, for another process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def other_process_running_the_job(held_job):
    """Another process running the held job (its run recorded as running), killed at the end."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", RUN_AND_HOLD],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "offenderhub.settings_test",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        started = _wait_for(
            lambda: (
                process.poll() is not None
                or JobRun.objects.filter(job=held_job, pid=process.pid, status=JobRun.Status.RUNNING).exists()
            )
        )
        assert started and process.poll() is None, process.stderr.read().decode()
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stderr.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_killed_mid_way_is_marked_failed_by_the_next_run_and_a_live_one_is_not(
    held_job, other_process_running_the_job, client_for, administrator
):
    process = other_process_running_the_job
    [theirs] = JobRun.objects.filter(job=held_job, pid=process.pid)

    # While it runs, another run of the same job leaves it alone.
    assert job_run(held_job) == {"done": 1}
    theirs.refresh_from_db()
    assert (theirs.status, theirs.finished_at, theirs.error) == (JobRun.Status.RUNNING, None, "")

    process.send_signal(signal.SIGKILL)  # out of memory, a deployment, the hard time limit...
    process.wait(timeout=30)
    assert job_run(held_job) == {"done": 1}

    theirs.refresh_from_db()
    assert theirs.status == JobRun.Status.FAILED
    assert theirs.finished_at is not None
    assert theirs.error.startswith(
        f"The run stopped without finishing: its process {process.pid} on {socket.gethostname()} had ended"
    )
    assert list(JobRun.objects.filter(job=held_job).values_list("status", flat=True).order_by("pk")) == [
        JobRun.Status.FAILED,
        JobRun.Status.SUCCEEDED,
        JobRun.Status.SUCCEEDED,
    ]
    # The administrators see which process ran each run, and why this one failed.
    response = client_for(administrator).get("/jobs/")
    assert f"{process.pid} on {socket.gethostname()}" in response.content.decode()


@pytest.mark.django_db
def test_a_run_left_running_from_before_processes_were_recorded_is_marked_failed(held_job):
    old = JobRun.objects.create(job=held_job, today=timezone.localdate())  # no host or process
    other_job = JobRun.objects.create(job="weekly_digest", today=timezone.localdate())

    job_run(held_job)

    old.refresh_from_db()
    other_job.refresh_from_db()
    assert old.status == JobRun.Status.FAILED
    assert old.error.startswith("The run stopped without finishing: its process had ended")
    assert other_job.status == JobRun.Status.RUNNING  # another job's runs wait for its own next run


def _gone_pid() -> int:
    """The id of a process that has just ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 - our own interpreter
    process.wait()
    return process.pid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "alive"),
    [
        ("this process", True),
        ("a process that ended", False),
        ("another machine", True),
        ("unrecorded", False),
    ],
)
def test_without_postgresql_a_run_is_alive_while_its_process_on_this_machine_is(where, alive):
    """Without PostgreSQL's locks (SQLite, one machine), the run's process is looked for."""
    here = socket.gethostname()
    hostname, pid = {
        "this process": (here, os.getpid()),
        "a process that ended": (here, _gone_pid()),
        "another machine": ("elsewhere.invalid", os.getpid()),
        "unrecorded": ("", None),
    }[where]
    run = JobRun(job=HELD, today=timezone.localdate(), hostname=hostname, pid=pid)

    assert jobs._is_alive(run, live=None) is alive


# --- A prosecution resumption queued while the broker was down ------------------------------------
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_prosecution_resumption_queued_while_the_broker_was_down_is_carried_out_by_the_sweep(
    active_case_for, conditions_due, case_worker, decision_maker, force, caplog, request
):
    far = timezone.localdate() + timedelta(days=40)
    case = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(case), case_worker)

    request.getfixturevalue("broker_down")
    breach_review_decide(review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(case)]))

    prosecution = Prosecution.objects.get(case=case)
    assert prosecution.case_file_team_notified_at is None
    assert f"Not queued: conditions.tasks.prosecution_resumption({prosecution.pk})" in caplog.text

    with redis_configured() as app, worker_running(app):
        assert prosecution_resumption_sweep.apply_async(ignore_result=False).get(timeout=30) == 1
        assert prosecution_resumption_sweep.apply_async(ignore_result=False).get(timeout=30) == 0

    prosecution.refresh_from_db()
    assert prosecution.case_file_team_notified_at is not None
    assert CaseEvent.objects.filter(case=case, code=EventCode.CASE_FILE_TEAM_NOTIFIED).count() == 1
    notified = Notification.objects.filter(
        kind=NotificationKind.PROSECUTION_RESUMED, case_reference=case.reference
    )
    assert {(n.recipient_organisation_id, n.recipient_id) for n in notified} == {
        (force.pk, None),
        (None, case_worker.pk),
    }

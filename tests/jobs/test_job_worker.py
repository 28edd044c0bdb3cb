"""The daily jobs through a real Celery worker fed by Redis (not eager): the task leaves the test over the
broker, a worker thread runs it against the test database, and its effect is read back.

The database is transactional (rows committed) so that the worker's own connection sees them. The
worker is ``redis_worker`` in tests/conftest.py."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from job_support import confirmation, fail, rehabilitative

from cases.models import CaseStatus
from conditions.models import BreachReview, Prosecution
from conditions.services import breach_review_decide
from offenderhub.core.models import JobRun
from offenderhub.core.tasks import run_job
from offenderhub.notifications.models import Notification, NotificationKind

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def overdue_case(active_case_for, conditions_due):
    soon = timezone.localdate() + timedelta(days=3)
    return active_case_for(conditions=conditions_due(soon, soon + timedelta(days=20)))


def test_a_worker_runs_a_daily_job_sent_through_redis_and_records_the_run(redis_worker, overdue_case):
    day = timezone.localdate() + timedelta(days=4)

    counts = run_job.delay("overdue_conditions", day.isoformat()).get(timeout=30)

    assert counts == {"overdue_conditions": 1, "breach_reviews_opened": 1}
    [run] = JobRun.objects.filter(job="overdue_conditions")
    assert run.status == JobRun.Status.SUCCEEDED
    assert (run.today, run.trigger, run.counts) == (day, "schedule", counts)
    assert run.finished_at is not None
    review = BreachReview.objects.get(case=overdue_case)
    assert review.decision_due_on == day + timedelta(days=overdue_case.scheme.breach_decision_days)
    overdue_case.refresh_from_db()
    assert overdue_case.status == CaseStatus.BREACH_REVIEW


def test_a_failing_job_is_recorded_as_failed_by_the_worker(redis_worker, settings):
    settings.TIME_LIMIT_WARNING_DAYS = None  # a broken configuration: the job cannot run

    result = run_job.delay("time_limit_warnings", timezone.localdate().isoformat())

    with pytest.raises(TypeError):
        result.get(timeout=30)
    [run] = JobRun.objects.filter(job="time_limit_warnings")
    assert run.status == JobRun.Status.FAILED
    assert "TypeError" in run.error


def test_a_confirmed_breach_queues_the_prosecution_resumption_which_a_worker_carries_out(
    redis_worker, active_case_for, conditions_due, case_worker, decision_maker, force
):
    far = timezone.localdate() + timedelta(days=40)
    case = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(case), case_worker)

    # Commits, and on commit queues conditions.tasks.prosecution_resumption on Redis.
    breach_review_decide(review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(case)]))

    prosecution = Prosecution.objects.get(case=case)
    assert _wait_for(
        lambda: Prosecution.objects.filter(
            pk=prosecution.pk, case_file_team_notified_at__isnull=False
        ).exists()
    ), "the worker did not carry out the prosecution resumption"
    notified = Notification.objects.filter(
        kind=NotificationKind.PROSECUTION_RESUMED, case_reference=case.reference
    )
    assert {(n.recipient_organisation_id, n.recipient_id) for n in notified} == {
        (force.pk, None),
        (None, case_worker.pk),
    }

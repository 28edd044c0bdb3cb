"""Issue 16, part 1: ``run_daily_jobs --today D`` records D, the day it runs for, for what it does (a
breach review opened, a reminder sent, a review escalated or confirmed, the timeline), not the real
date; and the prosecution-resumption job reports only what it did, so a prosecution resumed before
the run is never counted as resumed by it, and a re-run reports nothing.

The suite's clock is fixed (tests/clock_support.py); the jobs run for days weeks after it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from job_support import confirmation, fail, rehabilitative
from pytest_django.asserts import assertContains

from cases.events import EventCode
from cases.models import Case, CaseEvent
from conditions.models import BreachReview, BreachStatus, Condition, ConditionStatus, Prosecution
from conditions.services import breach_review_decide

pytestmark = pytest.mark.django_db


def _local_day(moment):
    return timezone.localtime(moment).date()


@pytest.fixture
def far():
    return timezone.localdate() + timedelta(days=80)


def test_a_breach_review_opened_by_run_daily_jobs_today_is_dated_the_run_day(
    run_jobs, active_case_for, conditions_due, far, client_for, case_worker
):
    due = timezone.localdate() + timedelta(days=20)
    case = active_case_for(conditions=conditions_due(due, far))
    day = due + timedelta(days=3)
    assert day != timezone.localdate()

    assert run_jobs(day, "overdue_conditions") == {
        "overdue_conditions": {"overdue_conditions": 1, "breach_reviews_opened": 1}
    }

    review = BreachReview.objects.get(case=case)
    assert _local_day(review.opened_at) == day
    assert review.decision_due_on == day + timedelta(days=case.scheme.breach_decision_days)
    assert _local_day(rehabilitative(case).overdue_flagged_at) == day
    [event] = CaseEvent.objects.filter(case=case, code=EventCode.BREACH_REVIEW_OPENED)
    assert _local_day(event.occurred_at) == day
    page = client_for(case_worker).get(reverse("conditions:breach_review", args=[review.pk]))
    assertContains(page, f"{day:%-d %B %Y} by the system")


def test_reminders_and_escalations_are_dated_the_run_day(
    run_jobs, active_case_for, conditions_due, far, case_worker
):
    reminded = active_case_for(conditions=conditions_due(timezone.localdate() + timedelta(days=30), far))
    undecided = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(undecided), case_worker)
    reminder_day = timezone.localdate() + timedelta(days=27)
    escalation_day = review.decision_due_on + timedelta(days=2)

    run_jobs(reminder_day, "condition_reminders")
    run_jobs(escalation_day, "breach_review_escalation")

    assert _local_day(rehabilitative(reminded).reminder_sent_at) == reminder_day
    review.refresh_from_db()
    assert _local_day(review.escalated_at) == escalation_day
    [event] = CaseEvent.objects.filter(case=undecided, code=EventCode.BREACH_REVIEW_ESCALATED)
    assert _local_day(event.occurred_at) == escalation_day


def test_a_breach_confirmed_by_the_scheme_is_dated_the_run_day_throughout(
    run_jobs, active_case_for, conditions_due, far, auto_confirm_scheme, case_worker
):
    case = active_case_for(conditions=conditions_due(far, far))
    Case.objects.filter(pk=case.pk).update(scheme=auto_confirm_scheme)
    review = fail(rehabilitative(case), case_worker)
    day = review.decision_due_on + timedelta(days=1)

    first = run_jobs(day, "breach_review_auto_confirm", "prosecution_resumption")
    again = run_jobs(day, "breach_review_auto_confirm", "prosecution_resumption")

    assert first == {
        "breach_review_auto_confirm": {"confirmed_automatically": 1, "prosecutions_resumed": 1},
        "prosecution_resumption": {"case_file_teams_notified": 1},
    }
    assert again == {
        "breach_review_auto_confirm": {"confirmed_automatically": 0, "prosecutions_resumed": 0},
        "prosecution_resumption": {"case_file_teams_notified": 0},
    }
    review.refresh_from_db()
    assert review.status == BreachStatus.BREACH_CONFIRMED
    assert _local_day(review.decided_at) == day
    prosecution = Prosecution.objects.get(case=case)
    assert _local_day(prosecution.resumed_at) == day
    assert _local_day(prosecution.case_file_team_notified_at) == day
    breached = Condition.objects.get(pk=rehabilitative(case).pk)
    assert breached.status == ConditionStatus.BREACHED
    events = CaseEvent.objects.filter(
        case=case,
        code__in=[
            EventCode.BREACH_CONFIRMED,
            EventCode.CONDITION_BREACHED,
            EventCode.PROSECUTION_RESUMED,
            EventCode.CASE_FILE_TEAM_NOTIFIED,
        ],
    )
    assert events.count() == 4
    assert {_local_day(e.occurred_at) for e in events} == {day}


def test_the_resumption_job_does_not_count_a_prosecution_resumed_before_it_ran(
    run_jobs, active_case_for, conditions_due, far, case_worker, decision_maker
):
    """The issue's report: a breach confirmed by a person (its queued job lost), then the daily job:
    it tells the case file team, and says so, but resumes no prosecution."""
    case = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(case), case_worker)
    breach_review_decide(review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(case)]))
    day = timezone.localdate() + timedelta(days=1)

    first = run_jobs(day, "breach_review_auto_confirm", "prosecution_resumption")
    again = run_jobs(day, "breach_review_auto_confirm", "prosecution_resumption")

    assert first == {
        "breach_review_auto_confirm": {"confirmed_automatically": 0, "prosecutions_resumed": 0},
        "prosecution_resumption": {"case_file_teams_notified": 1},
    }
    assert again == {
        "breach_review_auto_confirm": {"confirmed_automatically": 0, "prosecutions_resumed": 0},
        "prosecution_resumption": {"case_file_teams_notified": 0},
    }
    assert Prosecution.objects.filter(case=case).count() == 1

"""Two workers running the overdue sweep at the same moment, on PostgreSQL: each case is claimed by one
of them (its row locked, SKIP LOCKED for the other), so every case gets exactly one breach review."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from conditions.jobs import conditions_overdue_sweep
from conditions.models import BreachReview, Condition
from offenderhub.notifications.models import Notification, NotificationKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NUMBER_OF_CASES = 5


@pytest.fixture
def overdue_cases(active_case_for, conditions_due, eager_worker):
    """Active cases whose two conditions are both overdue on the returned day."""
    soon = timezone.localdate() + timedelta(days=3)
    cases = [active_case_for(conditions=conditions_due(soon, soon)) for _ in range(NUMBER_OF_CASES)]
    return cases, soon + timedelta(days=1)


def _in_threads(target, count):
    """Run ``target()`` in ``count`` threads released together; each closes its connection at the end.
    Returns what each returned (or the exception it raised)."""
    start = threading.Barrier(count)
    results = []

    def run():
        try:
            start.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # reported by the assertions
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _assert_one_review_per_case(cases):
    for case in cases:
        [review] = BreachReview.objects.filter(case=case)
        assert sorted(review.conditions.values_list("pk", flat=True)) == sorted(
            case.conditions.values_list("pk", flat=True)
        )
        assert CaseEvent.objects.filter(case=case, code=EventCode.BREACH_REVIEW_OPENED).count() == 1
        assert Case.objects.get(pk=case.pk).status == CaseStatus.BREACH_REVIEW
    assert Notification.objects.filter(kind=NotificationKind.BREACH_REVIEW_OPENED).count() == len(cases)


def test_two_workers_sweeping_at_once_open_one_breach_review_per_case(overdue_cases):
    cases, day = overdue_cases

    results = _in_threads(lambda: conditions_overdue_sweep(today=day), 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["breach_reviews_opened"] for r in results) == NUMBER_OF_CASES
    assert sum(r["overdue_conditions"] for r in results) == 2 * NUMBER_OF_CASES
    _assert_one_review_per_case(cases)
    assert not Condition.objects.filter(case__in=cases, overdue_flagged_at=None).exists()


def test_four_workers_sweeping_at_once_still_open_one_review_per_case(overdue_cases):
    cases, day = overdue_cases

    results = _in_threads(lambda: conditions_overdue_sweep(today=day), 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["breach_reviews_opened"] for r in results) == NUMBER_OF_CASES
    _assert_one_review_per_case(cases)


def test_sweeping_again_after_a_sweep_adds_nothing(overdue_cases):
    cases, day = overdue_cases

    first = conditions_overdue_sweep(today=day)
    second = conditions_overdue_sweep(today=day)
    next_day = conditions_overdue_sweep(today=day + timedelta(days=1))

    assert first == {"overdue_conditions": 2 * NUMBER_OF_CASES, "breach_reviews_opened": NUMBER_OF_CASES}
    assert second == next_day == {"overdue_conditions": 0, "breach_reviews_opened": 0}
    _assert_one_review_per_case(cases)


def test_a_case_another_worker_holds_is_skipped_and_swept_on_the_next_run(overdue_cases):
    cases, day = overdue_cases
    held = cases[0]
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        while_held = conditions_overdue_sweep(today=day)
    finally:
        release.set()
        holder.join(timeout=30)
    after = conditions_overdue_sweep(today=day)

    assert while_held == {
        "overdue_conditions": 2 * (NUMBER_OF_CASES - 1),
        "breach_reviews_opened": NUMBER_OF_CASES - 1,
    }
    assert after == {"overdue_conditions": 2, "breach_reviews_opened": 1}
    _assert_one_review_per_case(cases)

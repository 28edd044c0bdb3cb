"""The overdue sweep is set-based: the same number of queries for 10 overdue conditions as for 10,000."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import PersonFactory

from cases.models import Case, CaseStatus, RestorativeJusticeConsent, VictimType
from conditions.jobs import conditions_overdue_sweep
from conditions.models import BreachReview, Condition, ConditionKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Savepoint, lock the cases, read the conditions, flag them, read the open reviews, insert the reviews,
# link their conditions, move the cases, the timeline events, two for the audit rows (lock the
# audit chain's head, insert), the case workers to notify, three for the notifications (existing
# keys, insert, read back), release the savepoint. (The database's triggers queue the moved cases
# for the dashboard's summaries within those statements.)
SWEEP_QUERIES = 16
# Savepoint, lock the cases (none), release.
NOTHING_TO_SWEEP_QUERIES = 3


@pytest.fixture
def build_overdue(force, scheme, area, case_worker, agency):
    """``build_overdue(cases, per_case, day)``: active cases (made in bulk) each with ``per_case``
    conditions that fell due the day before ``day``."""
    person = PersonFactory(force=force, created_by=case_worker)
    made = {"cases": 0}

    def build(number_of_cases, per_case, day):
        start = made["cases"]
        made["cases"] += number_of_cases
        cases = Case.objects.bulk_create(
            Case(
                reference=f"OH-2026-{700000 + start + n:06d}",
                force=force,
                scheme=scheme,
                area=area,
                owner=case_worker,
                person=person,
                status=CaseStatus.ACTIVE,
                arrest_date=day - timedelta(days=60),
                victim_type=VictimType.NONE,
                victim_rj_consent=RestorativeJusticeConsent.NOT_APPLICABLE,
                created_by=case_worker,
            )
            for n in range(number_of_cases)
        )
        Condition.objects.bulk_create(
            Condition(
                case=case,
                kind=ConditionKind.REHABILITATIVE,
                wording=f"Attend session {i + 1} of the alcohol awareness course",
                due_date=day - timedelta(days=1 + i),
                responsible_organisation=agency,
                created_by=case_worker,
            )
            for case in cases
            for i in range(per_case)
        )
        return cases

    return build


def _sweep(day):
    with CaptureQueriesContext(connection) as queries:
        result = conditions_overdue_sweep(today=day)
    return result, len(queries)


def test_the_overdue_sweep_runs_the_same_queries_for_10_conditions_as_for_10000(build_overdue):
    day = timezone.localdate()
    ContentType.objects.get_for_models(BreachReview, Case)  # cached for the process, as in a worker

    build_overdue(2, 5, day)
    small, small_queries = _sweep(day)
    build_overdue(2000, 5, day)
    large, large_queries = _sweep(day)
    nothing, nothing_queries = _sweep(day)

    assert small == {"overdue_conditions": 10, "breach_reviews_opened": 2}
    assert large == {"overdue_conditions": 10_000, "breach_reviews_opened": 2000}
    assert nothing == {"overdue_conditions": 0, "breach_reviews_opened": 0}
    assert (small_queries, large_queries) == (SWEEP_QUERIES, SWEEP_QUERIES)
    assert nothing_queries == NOTHING_TO_SWEEP_QUERIES
    assert BreachReview.objects.count() == 2002
    assert BreachReview.conditions.through.objects.count() == 10_010


def test_conditions_falling_overdue_on_cases_under_review_join_the_open_review_in_the_same_queries(
    build_overdue,
):
    day = timezone.localdate()
    ContentType.objects.get_for_model(BreachReview)
    cases = build_overdue(500, 2, day)
    conditions_overdue_sweep(today=day)
    Condition.objects.bulk_create(
        Condition(
            case=case,
            kind=ConditionKind.REPARATIVE,
            wording="Write a letter of apology",
            due_date=day,
            responsible_organisation=case.owner.organisation,
            created_by=case.owner,
        )
        for case in cases
    )

    result, queries = _sweep(day + timedelta(days=1))

    assert result == {"overdue_conditions": 500, "breach_reviews_opened": 0}
    assert queries <= SWEEP_QUERIES
    assert BreachReview.objects.count() == 500
    assert BreachReview.conditions.through.objects.count() == 1500

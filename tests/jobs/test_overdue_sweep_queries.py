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
from offenderhub.audit.chain import chain_verify
from offenderhub.audit.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Savepoint, lock the cases, flag their overdue conditions, open the reviews, link their conditions,
# move the cases, the timeline events, lock the audit chain's head (the audit rows are then copied
# in: a COPY, which the count does not see), the case workers to notify, two for the notifications
# (existing keys, insert returning the ids), release the savepoint. (The database's triggers queue
# the moved cases for the dashboard's summaries within those statements.)
SWEEP_QUERIES = 12
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
    # A review opened and a case moved, each audited, on a chain that still verifies.
    assert AuditEvent.objects.filter(actor_label="system").count() == 2 * 2002
    assert chain_verify().intact


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


EVENT_FIELDS = ("case_id", "code", "summary", "notes", "status_before", "status_after", "details")


def _recorded(record, day, now):
    """What ``record`` writes for the cases the sweep would lock on ``day``, rolled back after: the
    reviews, their conditions, the cases' statuses and the timeline events, each review named by its
    case (ids are not rolled back)."""
    from django.db import transaction

    from cases.models import CaseEvent
    from conditions.jobs import _overdue_cases_lock

    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            cases = _overdue_cases_lock(day)
            flagged, new_reviews, moved = record(cases, today=day, now=now)
            case_of = dict(BreachReview.objects.values_list("pk", "case_id"))
            written = {
                "returned": (flagged, [(r.case_id, r.decision_due_on) for r in new_reviews], moved),
                "reviews": list(
                    BreachReview.objects.order_by("pk").values_list(
                        "case_id", "status", "opened_at", "opened_reason", "decision_due_on"
                    )
                ),
                "links": sorted(
                    (case_of[review], condition)
                    for review, condition in BreachReview.conditions.through.objects.values_list(
                        "breachreview_id", "condition_id"
                    )
                ),
                "flagged": sorted(Condition.objects.filter(overdue_flagged_at=now).values_list("pk")),
                "cases": sorted(Case.objects.values_list("pk", "status", "updated_at")),
                "events": [
                    (*event[:-1], {**event[-1], "breach_review": case_of[event[-1]["breach_review"]]})
                    for event in CaseEvent.objects.filter(occurred_at=now)
                    .order_by("pk")
                    .values_list(*EVENT_FIELDS)
                ],
            }
            raise RolledBack
    except RolledBack:
        return written


def test_the_sweeps_sql_on_postgresql_writes_what_its_models_write(build_overdue, case_worker):
    """``_overdue_record_in_sql`` builds the rows in the database; ``_overdue_record`` (SQLite's way)
    as models: the same reviews with the same reasons, links, moves and events, for cases with and
    without a review open, one and several conditions, and wordings longer than a reason keeps."""
    from conditions.jobs import _overdue_record, _overdue_record_in_sql

    day = timezone.localdate()
    build_overdue(1, 1, day)
    several, reviewed = build_overdue(3, 3, day), build_overdue(2, 2, day)
    Condition.objects.filter(case=several[0]).update(
        wording="Attend every session of the victim awareness course at the centre named in the letter — "
        "and bring the letter"
    )
    for case in reviewed:
        BreachReview.objects.create(case=case, opened_reason="Failed", decision_due_on=day)
    Case.objects.filter(pk__in=[c.pk for c in reviewed]).update(status=CaseStatus.BREACH_REVIEW)

    now = timezone.now()
    in_sql = _recorded(_overdue_record_in_sql, day, now)

    assert in_sql == _recorded(_overdue_record, day, now)
    assert in_sql["returned"][0] == 1 + 9 + 4
    assert [code for _, code, *_ in in_sql["events"]].count("condition_overdue") == 2

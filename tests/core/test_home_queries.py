"""The home page at volume: each role's section shows the right work, and reads it in a fixed number
of queries however many cases, conditions, breach reviews and referrals the force and agency hold."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, OffenceFactory, PersonFactory, SchemeFactory

from cases.models import TIME_LIMIT_WATCHED_STATUSES, Case, CaseOffence, CaseStatus
from cases.services import case_offence_columns_refresh
from cases.workflow import OPEN_STATUSES
from conditions.models import (
    BreachReview,
    BreachStatus,
    Condition,
    ConditionKind,
    ConditionStatus,
    Prosecution,
    ProsecutionOutcome,
    Variation,
    VariationKind,
)
from referrals.models import Referral, ReferralStatus, Service

pytestmark = pytest.mark.django_db

# Session, user, the second-factor device, roles and the inbox's unread count (the session is not
# saved: its expiry is written at most once a minute), then each section's own reads:
SECTION_QUERIES = {
    # open cases by status, overdue conditions, conditions due within the week
    "case_worker": 5 + 3,
    # awaiting a decision, conditions agreed, variations, breach reviews to decide
    "decision_maker": 5 + 4,
    # the team's size and roles, reviews to countersign, reviews late, six-month limits
    "supervisor": 5 + 5,
    # the team's size and roles, the open tabs' counts
    "partner_manager": 5 + 3,
    # the open tabs' counts
    "practitioner": 5 + 1,
}


@pytest.fixture
def busy_force(force, area, case_worker, decision_maker, agency, practitioner):
    """``busy_force(n)``: ``n`` of every kind of work the home page shows, in a handful of inserts:
    cases awaiting a decision and with conditions agreed, active cases with an overdue condition and
    one due this week, open and decided breach reviews past their decision date, proposed
    variations, open cases whose six-month limit is near or passed (and completed ones, not alerts),
    a prosecution not yet started, and referrals to the agency in every status."""
    scheme = SchemeFactory(force=force)
    service = Service.objects.create(organisation=agency, name="Alcohol", pathways=["health"])
    assault, abh = OffenceFactory(name=COMMON_ASSAULT), OffenceFactory(name=ABH)
    today = timezone.localdate()

    def cases(n, status):
        people = PersonFactory.create_batch(n, force=force, created_by=case_worker)
        return Case.objects.bulk_create(
            Case(
                force=force,
                scheme=scheme,
                area=area,
                owner=case_worker,
                person=person,
                created_by=case_worker,
                status=status,
                reference=f"{scheme.code}-{today.year}-{Case.objects.count() + 800000 + i:06d}",
                arrest_date=today - timedelta(days=200),
            )
            for i, person in enumerate(people)
        )

    def build(n):
        cases(n, CaseStatus.AWAITING_DECISION)
        cases(n, CaseStatus.CONDITIONS_AGREED)
        active = cases(n, CaseStatus.ACTIVE)
        Condition.objects.bulk_create(
            Condition(
                case=case,
                kind=ConditionKind.REHABILITATIVE,
                wording="Attend",
                due_date=today + timedelta(days=days),
                responsible_organisation=agency,
                status=ConditionStatus.IN_PROGRESS,
                created_by=case_worker,
            )
            for case in active
            for days in (-3, 4)
        )
        Variation.objects.bulk_create(
            Variation(case=case, kind=VariationKind.NEW_DUE_DATE, reason="Ill", proposed_by=case_worker)
            for case in active
        )
        in_review = cases(2 * n, CaseStatus.BREACH_REVIEW)
        BreachReview.objects.bulk_create(
            BreachReview(
                case=case,
                status=BreachStatus.OPEN if i % 2 else BreachStatus.AWAITING_COUNTERSIGNATURE,
                decided_by=None if i % 2 else decision_maker,
                opened_reason="Missed",
                decision_due_on=today - timedelta(days=1),
            )
            for i, case in enumerate(in_review)
        )
        near = today + timedelta(days=7) - relativedelta(months=6)
        limited = cases(n, CaseStatus.ASSESSMENT) + cases(n, CaseStatus.COMPLETED)
        resumed = cases(n, CaseStatus.PROSECUTION_RESUMED)
        confirmed = BreachReview.objects.bulk_create(
            BreachReview(
                case=case,
                status=BreachStatus.BREACH_CONFIRMED,
                opened_reason="Missed",
                decision_due_on=today - timedelta(days=30),
            )
            for case in resumed
        )
        Prosecution.objects.bulk_create(
            Prosecution(case=review.case, breach_review=review, outcome=ProsecutionOutcome.PENDING)
            for review in confirmed
        )
        CaseOffence.objects.bulk_create(
            CaseOffence(case=case, offence=offence, offence_date=near - timedelta(days=i % 9))
            for i, case in enumerate(limited + resumed)
            for offence in (assault, abh)
        )
        refreshed = Case.objects.filter(pk__in=[c.pk for c in limited + resumed])
        case_offence_columns_refresh(cases=refreshed)
        Referral.objects.bulk_create(
            Referral(
                case=case,
                service=service,
                organisation=agency,
                status=status,
                reason="Alcohol",
                due_date=today,
                sent_by=case_worker,
                practitioner=None if status == ReferralStatus.SENT else practitioner,
            )
            for case in active
            for status in ReferralStatus.values
        )

    return build


def _home(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    [section] = response.context["sections"]
    return len(queries), section


@pytest.mark.parametrize("who", SECTION_QUERIES)
def test_home_page_queries_do_not_grow_with_the_force(request, client_for, busy_force, who):
    client = client_for(request.getfixturevalue(who))
    busy_force(1)
    client.get("/")  # warm the session and the content types
    with_one, _ = _home(client)

    busy_force(12)
    with_thirteen, section = _home(client)

    assert with_thirteen == with_one <= SECTION_QUERIES[who]
    assert with_one == SECTION_QUERIES[who]
    assert any(value for key, value in section.items() if key not in {"role", "template"})


def test_each_section_lists_the_work_it_shows(
    client_for, busy_force, case_worker, decision_maker, supervisor, partner_manager, practitioner
):
    busy_force(3)
    today = timezone.localdate()

    _, work = _home(client_for(case_worker))
    assert work["open_cases"] == 3 * 2 + 3 + 6 + 3  # awaiting, agreed, active, in review, assessment
    assert [c.due_date for c in work["overdue"]] == [today - timedelta(days=3)] * 3
    assert [c.due_date for c in work["due_soon"]] == [today + timedelta(days=4)] * 3

    _, decisions = _home(client_for(decision_maker))
    assert (decisions["awaiting"], decisions["to_caution"]) == (3, 3)
    assert len(decisions["variations"]) == 3
    assert {r.status for r in decisions["reviews_open"]} == {BreachStatus.OPEN}
    assert len(decisions["reviews_open"]) == 3

    _, team = _home(client_for(supervisor))
    assert len(team["reviews_to_countersign"]) == 3
    assert all(r.decided_by == decision_maker for r in team["reviews_to_countersign"])
    assert len(team["reviews_late"]) == 6
    alerted = {a["case"].status for a in team["time_limits"]}
    assert alerted == {CaseStatus.ASSESSMENT, CaseStatus.PROSECUTION_RESUMED}  # not the completed
    assert len(team["time_limits"]) == 6
    assert [a["deadline"] for a in team["time_limits"]] == sorted(a["deadline"] for a in team["time_limits"])

    _, agency = _home(client_for(partner_manager))
    assert (agency["counts"]["unassigned"], agency["counts"]["open"]) == (3, 9)
    _, own = _home(client_for(practitioner))
    assert own["counts"]["mine"] == 6


def test_the_supervisor_is_not_asked_to_countersign_their_own_decision(client_for, busy_force, supervisor):
    busy_force(2)
    BreachReview.objects.filter(status=BreachStatus.AWAITING_COUNTERSIGNATURE).update(decided_by=supervisor)

    _, team = _home(client_for(supervisor))

    assert team["reviews_to_countersign"] == []
    assert len(team["reviews_late"]) == 4


def test_the_time_limit_index_watches_the_statuses_the_alert_reads():
    assert sorted(OPEN_STATUSES | {CaseStatus.PROSECUTION_RESUMED}) == TIME_LIMIT_WATCHED_STATUSES

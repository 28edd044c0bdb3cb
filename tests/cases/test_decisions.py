"""The eligibility decision: refused when the rules say no, immutable once made, superseded by a later
decision, and never recorded twice by two people deciding at once (DESIGN.md, journey step 2)."""

import threading
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from factories import (
    ABH,
    COMMON_ASSAULT,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    PersonFactory,
    UserFactory,
)
from pytest_django.asserts import assertContains, assertRedirects

from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus, EligibilityDecision
from cases.rules import latest_proceedings_date
from cases.services import CaseError, eligibility_decide
from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction, AuditEvent


def _awaiting_case(force, scheme, owner, *, offence=ABH, person=None, offence_date=None):
    case = CaseFactory(
        force=force,
        scheme=scheme,
        area=owner.area,
        owner=owner,
        person=person or PersonFactory(force=force, created_by=owner),
        status=CaseStatus.AWAITING_DECISION,
    )
    CaseOffenceFactory(
        case=case,
        offence=OffenceFactory(name=offence),
        offence_date=offence_date or case.arrest_date - timedelta(days=1),
    )
    return case


@pytest.fixture
def case(force, scheme, case_worker):
    return _awaiting_case(force, scheme, case_worker)


# --- Refused by the rules ------------------------------------------------------------------------
@pytest.mark.every_day
def test_seventeen_year_old_cannot_be_decided_eligible_for_an_adults_only_scheme(
    client_for, force, scheme, case_worker, decision_maker, decision_data
):
    today = timezone.localdate()
    born = today - relativedelta(years=18) + timedelta(days=30)  # eighteen in a month's time
    case = _awaiting_case(
        force,
        scheme,
        case_worker,
        person=PersonFactory(force=force, date_of_birth=born, created_by=case_worker),
    )
    client = client_for(decision_maker)

    response = client.post(f"/cases/{case.pk}/decision/", decision_data(outcome="eligible"))

    assertContains(response, "The case is not eligible: Aged 17 on", status_code=400)
    assertContains(response, "the scheme takes people aged 18 and over.", status_code=400)
    assert not EligibilityDecision.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION

    response = client.post(
        f"/cases/{case.pk}/decision/", decision_data(outcome="ineligible", rationale="Aged 17: not eligible.")
    )

    assertRedirects(response, f"/cases/{case.pk}/", fetch_redirect_response=False)
    decision = EligibilityDecision.objects.get()
    assert decision.outcome == "ineligible"
    assert decision.reasons == ["minimum_age"]
    age = next(c for c in decision.criteria if c["code"] == "minimum_age")
    assert age["passed"] is False
    case.refresh_from_db()
    assert case.status == CaseStatus.INELIGIBLE
    event = CaseEvent.objects.get(case=case, code=EventCode.DECISION_RECORDED)
    assert (event.status_before, event.status_after) == (CaseStatus.AWAITING_DECISION, CaseStatus.INELIGIBLE)
    assert event.details == {"decision": decision.pk, "reasons": ["minimum_age"]}


def test_summary_only_offence_needs_the_time_limit_acknowledged(
    client_for, force, scheme, case_worker, decision_maker, decision_data
):
    case = _awaiting_case(force, scheme, case_worker, offence=COMMON_ASSAULT)
    offence_date = case.offences.get().offence_date
    limit = latest_proceedings_date(offence_date)
    client = client_for(decision_maker)

    form = client.get(f"/cases/{case.pk}/decision/")
    assertContains(form, f"must start by {limit:%d %B %Y} (six months from the offence)")

    response = client.post(f"/cases/{case.pk}/decision/", decision_data())

    assertContains(
        response, f"Confirm you have seen that proceedings must start by {limit:%d %B %Y}.", status_code=400
    )
    assert not EligibilityDecision.objects.exists()

    response = client.post(f"/cases/{case.pk}/decision/", decision_data(time_limit_acknowledged="on"))

    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.time_limit_acknowledged is True
    assert decision.latest_proceedings_date == limit


def test_case_at_intake_cannot_be_decided(force, scheme, case_worker, decision_maker, decide_kwargs):
    case = _awaiting_case(force, scheme, case_worker)
    case.status = CaseStatus.INTAKE
    case.save(update_fields=["status"])

    with pytest.raises(CaseError, match="A case that is “Intake” cannot be decided."):
        eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())

    assert not EligibilityDecision.objects.exists()


def test_only_decision_makers_decide(case, supervisor, decide_kwargs):
    with pytest.raises(CaseError, match="Only decision-makers record eligibility decisions."):
        eligibility_decide(case_id=case.pk, actor=supervisor, **decide_kwargs())

    assert not EligibilityDecision.objects.exists()


# --- Immutable, superseded -----------------------------------------------------------------------
def test_a_decision_is_never_edited(case, decision_maker, decide_kwargs):
    decision = eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())

    decision.rationale = "Changed my mind."
    decision.outcome = "ineligible"
    with pytest.raises(ValidationError, match="A decision is never edited"):
        decision.save()

    decision.refresh_from_db()
    assert (decision.outcome, decision.rationale) == ("eligible", "Admitted in interview.")


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        ("ineligible", "eligible", CaseStatus.ASSESSMENT),
        ("eligible", "ineligible", CaseStatus.INELIGIBLE),
        ("eligible", "declined", CaseStatus.DECLINED),
        ("declined", "ineligible", CaseStatus.INELIGIBLE),
    ],
)
def test_a_new_decision_supersedes_the_current_one_and_moves_the_status(
    case, decision_maker, decide_kwargs, first, second, status
):
    earlier = eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs(outcome=first))

    later = eligibility_decide(
        case_id=case.pk,
        actor=decision_maker,
        **decide_kwargs(based_on=earlier.pk, outcome=second, rationale="New evidence."),
    )

    earlier = EligibilityDecision.objects.get(pk=earlier.pk)
    later = EligibilityDecision.objects.get(pk=later.pk)
    assert later.supersedes == earlier
    assert earlier.is_current is False
    assert later.is_current is True
    assert earlier.outcome == first  # the earlier decision stays on the record, unchanged
    case.refresh_from_db()
    assert case.status == status
    event = CaseEvent.objects.filter(case=case, code=EventCode.DECISION_RECORDED).order_by("-id").first()
    assert "supersedes the decision of" in event.summary
    assert event.status_after == status
    assert AuditEvent.objects.filter(action=AuditAction.CREATED, object_id=str(later.pk)).exists()


def test_the_same_outcome_again_records_a_decision_event_without_a_status_change(
    case, decision_maker, decide_kwargs
):
    earlier = eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())

    eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs(based_on=earlier.pk))

    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT
    events = CaseEvent.objects.filter(case=case, code=EventCode.DECISION_RECORDED).order_by("id")
    assert [(e.status_before, e.status_after) for e in events] == [
        (CaseStatus.AWAITING_DECISION, CaseStatus.ASSESSMENT),
        (CaseStatus.ASSESSMENT, CaseStatus.ASSESSMENT),
    ]


# --- Two people deciding at once -----------------------------------------------------------------
STALE = "Another decision was recorded on this case while you were deciding."


def test_a_decision_based_on_a_stale_view_is_refused(case, decision_maker, decide_kwargs):
    eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())

    with pytest.raises(CaseError, match=STALE):
        eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs(outcome="ineligible"))

    assert EligibilityDecision.objects.count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT


def test_the_decision_page_refuses_a_stale_decision(
    client_for, case, decision_maker, decision_data, decide_kwargs
):
    eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())

    response = client_for(decision_maker).post(
        f"/cases/{case.pk}/decision/", decision_data(based_on="", outcome="ineligible")
    )

    assertContains(response, STALE, status_code=400)
    assert EligibilityDecision.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_decision_makers_deciding_at_once_cannot_both_succeed(force, scheme, case_worker, decide_kwargs):
    case = _awaiting_case(force, scheme, case_worker)
    deciders = [UserFactory(organisation=force, roles=[Role.DECISION_MAKER]) for _ in range(2)]
    start = threading.Barrier(len(deciders))
    results = []

    def decide(user_pk):
        try:
            actor = User.objects.get(pk=user_pk)
            start.wait(timeout=10)
            eligibility_decide(case_id=case.pk, actor=actor, **decide_kwargs(based_on=None))
            results.append("recorded")
        except CaseError as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(user.pk,)) for user in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert sorted(results) == sorted(["recorded", STALE + " Review it before deciding again."])
    assert EligibilityDecision.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, code=EventCode.DECISION_RECORDED).count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT

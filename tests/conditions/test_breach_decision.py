"""Issue 16, part 1: a confirmed breach reads as breached. A condition the decision found breached is
"Breached" (not "Withdrawn" like the others the resumed prosecution ends), on the case page, in its
timeline and in the partner's view of the referral that delivers it."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus
from conditions.models import (
    BreachOutcome,
    BreachReview,
    Condition,
    ConditionKind,
    ConditionStatus,
)
from conditions.services import breach_review_decide, breach_review_open, condition_progress
from referrals.services import referral_send

pytestmark = pytest.mark.django_db


def _rehabilitative(case):
    return case.conditions.get(kind=ConditionKind.REHABILITATIVE)


def _apology(case):
    return case.conditions.get(kind=ConditionKind.REPARATIVE)


def _fail(condition, actor):
    condition_progress(
        condition_id=condition.pk, actor=actor, to=ConditionStatus.FAILED, notes="Missed both sessions."
    )
    return BreachReview.objects.get(case_id=condition.case_id, status="open")


def _confirm(review, conditions, actor):
    return breach_review_decide(
        review_id=review.pk,
        actor=actor,
        outcome=BreachOutcome.BREACH_CONFIRMED,
        breached_condition_ids=[c.pk for c in conditions],
        person_account="Said he forgot; phone switched off.",
        alternatives_tried="Two calls and a letter; a new date offered and missed.",
        reasonable_excuse=False,
        rationale="No reasonable excuse given.",
    )


# --- 1. A breached condition reads "Breached" -----------------------------------------------------------
def test_a_confirmed_breach_marks_the_failed_condition_breached_and_withdraws_the_others(
    active_case, case_worker, decision_maker
):
    review = _fail(_rehabilitative(active_case), case_worker)

    _confirm(review, [_rehabilitative(active_case)], decision_maker)

    breached, other = _rehabilitative(active_case), _apology(active_case)
    assert breached.status == ConditionStatus.BREACHED
    assert breached.get_status_display() == "Breached"
    assert breached.outcome_on == timezone.localdate()  # the day it failed, kept
    assert breached.outcome_notes.endswith("Missed both sessions.")
    assert other.status == ConditionStatus.WITHDRAWN  # ended by the resumed prosecution, as before
    [event] = CaseEvent.objects.filter(case=active_case, code=EventCode.CONDITION_BREACHED)
    assert (event.status_before, event.status_after) == (ConditionStatus.FAILED, ConditionStatus.BREACHED)
    assert event.summary == f"Condition breached: {breached.wording}"
    assert event.details == {"condition": breached.pk}


def test_an_overdue_condition_found_breached_is_breached_not_withdrawn(
    active_case, case_worker, decision_maker
):
    """The issue's case: a condition still live but past its due date, breached, was withdrawn."""
    yesterday = timezone.localdate() - timedelta(days=1)
    Condition.objects.filter(pk=_apology(active_case).pk).update(due_date=yesterday)
    review = breach_review_open(
        case_id=active_case.pk,
        actor=case_worker,
        condition_ids=[_apology(active_case).pk],
        reason="The letter was not handed in.",
    )

    _confirm(review, [_apology(active_case)], decision_maker)

    assert _apology(active_case).status == ConditionStatus.BREACHED
    assert _apology(active_case).outcome_on == timezone.localdate()
    assert _rehabilitative(active_case).status == ConditionStatus.WITHDRAWN
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED


def test_the_case_page_shows_the_breached_condition_as_breached_in_its_list_and_timeline(
    client_for, active_case, case_worker, decision_maker
):
    review = _fail(_rehabilitative(active_case), case_worker)
    _confirm(review, [_rehabilitative(active_case)], decision_maker)

    page = client_for(case_worker).get(reverse("cases:detail", args=[active_case.pk]))

    assert page.status_code == 200
    assertContains(page, '<strong class="govuk-tag govuk-tag--red">Breached</strong>', count=1)
    assertContains(page, '<strong class="govuk-tag govuk-tag--grey">Withdrawn</strong>', count=1)
    assertContains(page, f"Condition breached: {_rehabilitative(active_case).wording}")


def test_the_partner_sees_the_condition_its_referral_delivers_as_breached(
    client_for, active_case, case_worker, decision_maker, partner_service, partner_manager
):
    condition = _rehabilitative(active_case)
    referral = referral_send(
        case_id=active_case.pk,
        actor=case_worker,
        service=partner_service,
        reason="Binge drinking at weekends led to the assault.",
        desired_outcomes=["Understand how drink affects behaviour"],
        due_date=condition.due_date,
        condition=condition,
        needs=["drugs_alcohol"],
    )
    review = _fail(condition, case_worker)
    _confirm(review, [condition], decision_maker)

    page = client_for(partner_manager).get(reverse("referrals:detail", args=[referral.pk]))

    assert page.status_code == 200
    assertContains(page, f"<strong>Due {condition.due_date:%-d %B %Y}</strong> · Breached")


def test_the_data_migration_marks_conditions_already_breached_and_can_be_undone(
    active_case, case_worker, decision_maker
):
    """Migration conditions 0009: what the old code left "Withdrawn" (or "Failed") in a confirmed
    review's breached conditions becomes "Breached"; undone, each goes back."""
    migration = importlib.import_module("conditions.migrations.0009_condition_breached")
    review = _fail(_rehabilitative(active_case), case_worker)
    _confirm(review, [_rehabilitative(active_case)], decision_maker)
    breached, other = _rehabilitative(active_case), _apology(active_case)
    # As the old code left them: the breached one failed, the other withdrawn as the prosecution resumed.
    Condition.objects.filter(pk=breached.pk).update(
        status=ConditionStatus.FAILED, outcome_notes="Missed both sessions."
    )
    unreviewed = Condition.objects.filter(pk=other.pk)

    migration.mark_breached(apps, None)

    assert Condition.objects.get(pk=breached.pk).status == ConditionStatus.BREACHED
    assert unreviewed.get().status == ConditionStatus.WITHDRAWN  # not found breached: unchanged

    migration.unmark_breached(apps, None)

    assert Condition.objects.get(pk=breached.pk).status == ConditionStatus.FAILED
    assert unreviewed.get().status == ConditionStatus.WITHDRAWN

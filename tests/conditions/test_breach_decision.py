"""Issue 16, part 1: a confirmed breach reads as breached, and the breach decision form asks one
question. A condition the decision found breached is "Breached" (not "Withdrawn" like the others the
resumed prosecution ends), on the case page and in its timeline; the form decides the outcome and the
reasonable excuse with one question, shows the variation's fields only under "vary", words the
six-month acknowledgement in the right tense, and never cuts a condition's wording mid-word."""

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from factories import COMMON_ASSAULT
from pytest_django.asserts import assertContains, assertNotContains

from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus
from conditions.forms import BreachDecisionForm, condition_label, time_limit_acknowledgement
from conditions.models import (
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Condition,
    ConditionKind,
    ConditionStatus,
)
from conditions.services import breach_review_decide, breach_review_open, condition_progress
from referrals.services import referral_send

pytestmark = pytest.mark.django_db

LONG_WORDING = (
    "Attend the Compass alcohol awareness course on two Tuesday evenings at the Fenchester centre "
    "and complete the workbook"
)


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


def _date_fields(name, day=None):
    if day is None:
        return {f"{name}_0": "", f"{name}_1": "", f"{name}_2": ""}
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


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

    client = client_for(case_worker)
    page = client.get(reverse("cases:conditions", args=[active_case.pk]))

    assert page.status_code == 200
    assertContains(page, '<strong class="govuk-tag govuk-tag--red">Breached</strong>', count=1)
    assertContains(page, '<strong class="govuk-tag govuk-tag--grey">Withdrawn</strong>', count=1)
    timeline = client.get(reverse("cases:timeline", args=[active_case.pk]), {"kind": "breach"})
    assertContains(timeline, f"Condition breached: {_rehabilitative(active_case).wording}")


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


# --- 2. The decision form -----------------------------------------------------------------------------
@pytest.fixture
def open_review(active_case, case_worker):
    return _fail(_rehabilitative(active_case), case_worker)


def _review_page(client_for, user, review):
    return client_for(user).get(reverse("conditions:breach_review", args=[review.pk]))


def test_the_decision_asks_about_a_reasonable_excuse_once_its_outcomes_carrying_the_answer(
    client_for, decision_maker, open_review
):
    page = _review_page(client_for, decision_maker, open_review)

    assertContains(page, "reasonable excuse?", count=1)
    assertNotContains(page, 'name="reasonable_excuse"')
    for value, label in BreachOutcome.choices:
        assertContains(page, f'value="{value}"')
        assertContains(page, label)
    assert BreachOutcome.BREACH_CONFIRMED.label.startswith("No reasonable excuse")
    assert all(o.label.startswith("Reasonable excuse") for o in BreachOutcome if o != "breach_confirmed")


def _conditional(html, name) -> str:
    """The content revealed under one outcome (``govuk-radios__conditional``): up to the next radio,
    or to the rationale, the field after the question, for the last one."""
    opening = (
        '<div class="govuk-radios__conditional govuk-radios__conditional--hidden" '
        f'id="conditional-outcome-{name}">'
    )
    assert html.count(opening) == 1, f"no conditional content for {name}"
    rest = html.split(opening, 1)[1]
    return re.split(r'class="govuk-radios__item"|id="div_id_rationale"', rest, maxsplit=1)[0]


def test_the_variation_fields_show_only_under_the_outcome_that_varies(
    client_for, decision_maker, open_review
):
    html = _review_page(client_for, decision_maker, open_review).content.decode()

    assert 'data-module="govuk-radios"' in html
    assert re.search(r'value="excused_vary"[^>]*data-aria-controls="conditional-outcome-vary"', html)
    assert re.search(r'value="breach_confirmed"[^>]*data-aria-controls="conditional-outcome-confirm"', html)
    vary, confirm = _conditional(html, "vary"), _conditional(html, "confirm")
    assert 'name="new_due_date_0"' in vary and 'name="person_consented"' in vary
    assert 'name="new_due_date_0"' not in confirm and 'name="person_consented"' not in confirm
    assert 'name="breached_conditions"' in confirm and 'name="alternatives_tried"' in confirm
    assert html.count('name="new_due_date_0"') == 1


def test_one_answer_records_the_outcome_and_whether_there_was_a_reasonable_excuse(
    client_for, active_case, decision_maker, open_review
):
    response = client_for(decision_maker).post(
        reverse("conditions:breach_review", args=[open_review.pk]),
        {
            "person_account": "Said he forgot; phone switched off.",
            "outcome": "breach_confirmed",
            "breached_conditions": [_rehabilitative(active_case).pk],
            "alternatives_tried": "Two calls and a letter.",
            "rationale": "No reasonable excuse given.",
            **_date_fields("new_due_date"),
        },
    )

    assert response.status_code == 302
    open_review.refresh_from_db()
    assert (open_review.status, open_review.reasonable_excuse) == (BreachStatus.BREACH_CONFIRMED, False)
    assert _rehabilitative(active_case).status == ConditionStatus.BREACHED


def test_an_excuse_is_recorded_by_the_outcome_alone(client_for, active_case, decision_maker, open_review):
    response = client_for(decision_maker).post(
        reverse("conditions:breach_review", args=[open_review.pk]),
        {
            "person_account": "In hospital on the day.",
            "outcome": "excused_continue",
            "rationale": "Discharge letter seen.",
            **_date_fields("new_due_date"),
        },
    )

    assert response.status_code == 302
    open_review.refresh_from_db()
    assert (open_review.status, open_review.reasonable_excuse) == (BreachStatus.EXCUSED, True)
    assert _rehabilitative(active_case).status == ConditionStatus.IN_PROGRESS


def _limit(day):
    return SimpleNamespace(offence_name="Common assault", latest_proceedings_date=day)


def test_the_six_month_acknowledgement_is_in_the_future_tense_until_the_date_passes():
    today = timezone.localdate()
    ahead = today + relativedelta(months=5)
    passed = today - timedelta(days=1)

    assert time_limit_acknowledgement(_limit(ahead), today=today) == (
        f"I understand that proceedings for common assault must start by {ahead:%-d %B %Y}"
    )
    assert time_limit_acknowledgement(_limit(today), today=today).endswith(f"must start by {today:%-d %B %Y}")
    assert time_limit_acknowledgement(_limit(passed), today=today) == (
        f"I understand that proceedings for common assault had to start by {passed:%-d %B %Y}, "
        "so the prosecution can no longer start"
    )


def test_the_review_page_words_a_limit_still_ahead_in_the_future_tense(
    client_for, active_case_for, case_worker, decision_maker
):
    case = active_case_for(offence=COMMON_ASSAULT, offence_date=timezone.localdate() - timedelta(days=20))
    review = _fail(_rehabilitative(case), case_worker)

    page = _review_page(client_for, decision_maker, review)

    assertContains(page, "I understand that proceedings for common assault must start by")
    assertNotContains(page, "had to start by")


def test_condition_labels_end_at_a_whole_word(active_case):
    condition = _rehabilitative(active_case)
    condition.wording = LONG_WORDING
    condition.save(update_fields=["wording"])

    label = condition_label(condition)
    form = BreachDecisionForm(conditions=active_case.conditions.all())
    [choice] = [c for c in form.fields["breached_conditions"].choices if c[0].value == condition.pk]

    assert label == choice[1]
    wording = label.split(" (due ")[0]
    assert wording.endswith("…")
    assert LONG_WORDING.startswith(wording[:-1])
    assert LONG_WORDING[len(wording) - 1] == " "  # cut where a word ends
    assert len(wording) <= 90

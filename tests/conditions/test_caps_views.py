"""The legal caps through the add-condition form (DOMAIN.md, Law): a financial penalty over the maximum
for the offence's classification, reparative or punitive attendance over 20 hours, and a due date past
the scheme's maximum period are each refused with a 400 and a message that states the limit, and
nothing is saved. The limit itself is accepted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from factories import COMMON_ASSAULT
from pytest_django.asserts import assertContains

from cases.events import EventCode
from cases.models import CaseEvent
from conditions.models import Condition, ConditionKind, Variation
from offenderhub.audit.models import AuditEvent


def date_fields(name, day=None) -> dict:
    if day is None:
        return {f"{name}_0": "", f"{name}_1": "", f"{name}_2": ""}
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


@pytest.fixture
def summary_case(eligible_case_for):
    """Daniel Whitmore's case for common assault (summary only), decided eligible: at assessment."""
    return eligible_case_for(offence=COMMON_ASSAULT)


@pytest.fixture
def condition_post(force, case_worker):
    """``condition_post(**overrides)``: a POST to the add-condition form for a reparative condition
    arranged by the case worker, due in two weeks."""

    def build(*, due_date=None, **overrides):
        data = {
            "template": "",
            "kind": ConditionKind.REPARATIVE,
            "wording": "Work unpaid at the Parkside community garden on Saturday mornings",
            "responsible_organisation": force.pk,
            "owner": case_worker.pk,
            "hours": "",
            "amount_kind": "",
            "amount": "",
            **date_fields("due_date", due_date or timezone.localdate() + timedelta(days=14)),
        }
        data.update(overrides)
        return data

    return build


def _past_the_maximum(latest):
    return (
        "The scheme's maximum completion period is 20 weeks: "
        f"the due date must be on or before {latest:%-d %B %Y}."
    )


def _refused(response, field, message):
    """Refused with 400, the message beside its field and in the page, and nothing written."""
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assertContains(response, escape(message), status_code=400)
    assertContains(response, "There is a problem", status_code=400)
    assert not Condition.objects.exists()
    assert not CaseEvent.objects.filter(code=EventCode.CONDITION_ADDED).exists()
    assert not AuditEvent.objects.filter(content_type__model="condition").exists()


def _add(client, case, data):
    return client.post(reverse("conditions:add", args=[case.pk]), data)


# --- Financial penalty ----------------------------------------------------------------------------------
def test_a_sixty_pound_penalty_on_a_summary_only_offence_is_refused_naming_the_fifty_pound_limit(
    client_for, summary_case, case_worker, condition_post
):
    response = _add(
        client_for(case_worker),
        summary_case,
        condition_post(kind=ConditionKind.PUNITIVE, amount_kind="penalty", amount="60", owner=""),
    )

    _refused(response, "amount", "A financial penalty for a summary-only offence can be at most £50.")


def test_a_fifty_pound_penalty_on_a_summary_only_offence_is_accepted(
    client_for, summary_case, case_worker, condition_post
):
    response = _add(
        client_for(case_worker),
        summary_case,
        condition_post(kind=ConditionKind.PUNITIVE, amount_kind="penalty", amount="50", owner=""),
    )

    assert response.status_code == 302
    condition = Condition.objects.get(case=summary_case)
    assert (condition.amount_kind, condition.amount) == ("penalty", 50)


# --- Hours of unpaid reparation ---------------------------------------------------------------------------
def test_twenty_one_hours_of_unpaid_reparation_is_refused_naming_the_twenty_hour_limit(
    client_for, eligible_case, case_worker, condition_post
):
    response = _add(client_for(case_worker), eligible_case, condition_post(hours="21"))

    _refused(
        response,
        "hours",
        "Reparative and punitive attendance is limited to 20 hours in total. This would make 21 hours.",
    )


def test_twenty_hours_of_unpaid_reparation_is_accepted(
    client_for, eligible_case, case_worker, condition_post
):
    response = _add(client_for(case_worker), eligible_case, condition_post(hours="20"))

    assert response.status_code == 302
    assert Condition.objects.get(case=eligible_case).hours == 20


# --- The scheme's maximum period ---------------------------------------------------------------------------
@pytest.mark.every_day
def test_a_due_date_past_the_schemes_maximum_is_refused_naming_the_last_allowed_date(
    client_for, eligible_case, case_worker, condition_post
):
    scheme = eligible_case.scheme
    latest = timezone.localdate() + timedelta(days=scheme.compliance_period_max_days)

    response = _add(
        client_for(case_worker), eligible_case, condition_post(due_date=latest + timedelta(days=1))
    )

    _refused(
        response,
        "due_date",
        _past_the_maximum(latest),
    )


def test_a_due_date_past_the_maximum_is_refused_even_with_a_supervisors_longer_period(
    client_for, eligible_case, case_worker, supervisor, condition_post
):
    scheme = eligible_case.scheme
    latest = timezone.localdate() + timedelta(days=scheme.compliance_period_max_days)
    response = client_for(supervisor).post(
        reverse("conditions:extend", args=[eligible_case.pk]),
        {"days": scheme.compliance_period_max_days, "reason": "Course runs only twice a year."},
    )
    assert response.status_code == 302

    response = _add(
        client_for(case_worker), eligible_case, condition_post(due_date=latest + timedelta(days=1))
    )

    _refused(
        response,
        "due_date",
        _past_the_maximum(latest),
    )

    response = _add(client_for(case_worker), eligible_case, condition_post(due_date=latest))

    assert response.status_code == 302
    assert Condition.objects.get(case=eligible_case).due_date == latest


def test_a_variation_past_the_schemes_maximum_is_refused_and_nothing_proposed(
    client_for, active_case, case_worker, condition_post
):
    caution = active_case.caution
    latest = caution.administered_on + timedelta(days=active_case.scheme.compliance_period_max_days)
    data = condition_post(
        due_date=latest + timedelta(days=1),
        reason="The garden is closed until the spring.",
        person_consented="on",
        **date_fields("consented_on", timezone.localdate()),
    )

    response = client_for(case_worker).post(reverse("conditions:vary_new", args=[active_case.pk]), data)

    message = _past_the_maximum(latest)
    assert response.status_code == 400
    assert response.context["form"].errors["due_date"] == [message]
    assertContains(response, escape(message), status_code=400)
    assert not Variation.objects.exists()


def test_a_new_condition_within_the_limits_is_proposed_through_the_form(
    client_for, active_case, case_worker, condition_post
):
    data = condition_post(
        hours="5",
        reason="A second piece of reparation agreed after the first was finished early.",
        person_consented="on",
        **date_fields("consented_on", timezone.localdate()),
    )

    response = client_for(case_worker).post(reverse("conditions:vary_new", args=[active_case.pk]), data)

    assert response.status_code == 302
    variation = Variation.objects.get(case=active_case)
    assert (variation.kind, variation.status) == ("new_condition", "proposed")
    assert variation.proposed["kind"] == ConditionKind.REPARATIVE
    assert variation.proposed["hours"] == "5"
    assert active_case.conditions.count() == 2  # nothing added until a decision-maker approves it

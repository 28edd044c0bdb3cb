"""Case work that flows (issue 16, part 1): opening a case (no scheme chosen for the case worker, offences
that say how they are tried, the case sent for its decision with the same button) and the home page of
a case worker with no cases yet. Each test fails on the code before the fix."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import COMMON_ASSAULT, PersonFactory, SchemeFactory, UserFactory
from pytest_django.asserts import assertContains

from cases.models import Case, CaseStatus, Offence
from offenderhub.accounts.models import Role


def _date_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def _options(html, select_name):
    select = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option([^>]*)>([^<]*)</option>", select)


# --- "Open a case": no scheme chosen for the case worker; offences say how they are tried ------------


def test_open_a_case_chooses_no_scheme_and_marks_a_randomising_one(client_for, case_worker, force, scheme):
    SchemeFactory(force=force, name="Checkpoint", random_allocation=True)
    person = PersonFactory(force=force)

    html = client_for(case_worker).get(reverse("cases:create", args=[person.pk])).content.decode()

    options = _options(html, "scheme")
    assert options[0] == (' value="" selected', "Choose a scheme")
    assert not any("selected" in attrs for attrs, _ in options[1:])
    assert "Checkpoint (randomised trial: an eligible case may be allocated to prosecution)" in [
        label for _, label in options
    ]


def test_a_case_without_a_scheme_is_refused_with_a_message(client_for, case_worker, force, scheme, case_data):
    SchemeFactory(force=force, name="Checkpoint", random_allocation=True)
    person = PersonFactory(force=force)

    response = client_for(case_worker).post(
        reverse("cases:create", args=[person.pk]),
        case_data(
            offences=[(COMMON_ASSAULT, timezone.localdate())], arrest_date=timezone.localdate(), scheme=""
        ),
    )

    assertContains(response, "Choose the scheme the case is for", status_code=400)
    assert not Case.objects.exists()


def test_the_offence_list_says_how_each_is_tried_and_whether_the_six_month_limit_applies(
    client_for, case_worker, force, scheme
):
    Offence.objects.update(is_active=False)
    for name, classification, limit in [
        ("Common assault", "summary_only", True),
        ("Shop theft (£200 or less)", "either_way", False),
    ]:
        Offence.objects.update_or_create(
            name=name,
            defaults={
                "group": "theft",
                "classification": classification,
                "time_limit_applies": limit,
                "default_gravity": 2,
                "is_active": True,
            },
        )
    person = PersonFactory(force=force)

    html = client_for(case_worker).get(reverse("cases:create", args=[person.pk])).content.decode()

    labels = [label for _, label in _options(html, "offences-0-offence")]
    assert labels == [
        "Choose an offence",
        "Common assault (summary only; six-month time limit)",
        "Shop theft (£200 or less) (either way)",
    ]


# --- A new case goes for its decision with the same press of a button -------------------------------


@pytest.mark.parametrize(
    ("button", "status", "message"),
    [
        ("decision", CaseStatus.AWAITING_DECISION, "opened and sent for an eligibility decision"),
        ("intake", CaseStatus.INTAKE, "It stays at intake until you send it"),
    ],
)
def test_opening_a_case_sends_it_for_a_decision_unless_kept_at_intake(
    client_for, case_worker, force, scheme, case_data, button, status, message
):
    person = PersonFactory(force=force)
    client = client_for(case_worker)
    assertContains(
        client.get(reverse("cases:create", args=[person.pk])), "Open the case and send it for a decision"
    )

    response = client.post(
        reverse("cases:create", args=[person.pk]),
        case_data(
            offences=[(COMMON_ASSAULT, timezone.localdate())], arrest_date=timezone.localdate(), next=button
        ),
        follow=True,
    )

    case = Case.objects.get()
    assert case.status == status
    assertContains(response, message)


# --- A case worker with no cases is told what to do ----------------------------------------------------


def test_a_case_worker_with_no_cases_is_told_what_to_do(client_for, force, area):
    second = UserFactory(organisation=force, area=area, roles=[Role.CASE_WORKER])

    response = client_for(second).get("/")

    assertContains(response, "You have no open cases yet.")
    assertContains(response, f'href="{reverse("cases:start")}"')


def test_no_demo_scheme_is_named_after_the_service(settings):
    from cases.demo import SCHEMES

    assert settings.SERVICE_NAME == "Offender Hub"
    assert all(spec["name"] != settings.SERVICE_NAME for spec in SCHEMES)


def test_a_case_is_not_opened_for_a_person_erased_since_the_page_read_them(case_worker, force, scheme, area):
    """The erasure is read under the person's lock, not from the caller's older copy of the person."""
    from factories import OffenceFactory

    from cases import services
    from cases.models import Person

    person = PersonFactory(force=force)
    Person.objects.filter(pk=person.pk).update(erased_at=timezone.now())  # erased meanwhile

    with pytest.raises(services.CaseError):
        services.case_create(
            actor=case_worker,
            person=person,
            scheme=scheme,
            area=area,
            owner=case_worker,
            arrest_date=timezone.localdate(),
            offences=[services.OffenceEntry(OffenceFactory(name=COMMON_ASSAULT), timezone.localdate(), "")],
            victim_type="none",
            send_for_decision=True,
        )
    assert not Case.objects.exists()


def test_a_repeated_submission_that_sends_for_a_decision_returns_the_case_as_it_is_now(
    client_for, case_worker, force, scheme, case_data, decision_maker
):
    person = PersonFactory(force=force)
    client = client_for(case_worker)
    data = case_data(
        offences=[(COMMON_ASSAULT, timezone.localdate())], arrest_date=timezone.localdate(), next="decision"
    )
    client.post(reverse("cases:create", args=[person.pk]), data)
    Case.objects.update(status=CaseStatus.ASSESSMENT)  # decided since

    again = client.post(reverse("cases:create", args=[person.pk]), data)

    assert again.status_code == 302
    assert Case.objects.get().status == CaseStatus.ASSESSMENT

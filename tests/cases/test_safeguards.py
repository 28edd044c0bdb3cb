"""Refusals and repeated submissions that must never give an error page or a duplicate."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory

from cases import services
from cases.models import Case, CaseStatus, EligibilityDecision, Person
from cases.rules import assess_eligibility

pytestmark = pytest.mark.django_db


def test_an_absurd_year_is_refused_with_a_message(client_for, case_worker, person_data):
    data = person_data()
    data["date_of_birth_2"] = "99999999999999999999"
    response = client_for(case_worker).post("/cases/people/new/", data)
    assert response.status_code == 400
    assert "Enter a year between 1900 and 2100" in response.content.decode()
    assert not Person.objects.exists()


def test_an_alias_too_long_is_refused(client_for, case_worker, person_data):
    response = client_for(case_worker).post("/cases/people/new/", person_data(aliases="Jo " + "x" * 150))
    assert response.status_code == 400
    assert "100 characters or fewer" in response.content.decode()
    assert not Person.objects.exists()


def test_submitting_the_person_form_twice_records_one_person(client_for, case_worker, person_data):
    client = client_for(case_worker)
    data = person_data(confirm_new="True")
    first = client.post("/cases/people/new/", data)
    second = client.post("/cases/people/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Person.objects.count() == 1


def test_submitting_the_case_form_twice_opens_one_case(client_for, case_worker, case_data, force):
    person = CaseFactory(force=force, owner=case_worker).person
    Case.objects.all().delete()
    today = timezone.localdate()
    data = case_data(
        offences=[("Common assault", today - timedelta(days=3))], arrest_date=today - timedelta(days=2)
    )
    client = client_for(case_worker)
    first = client.post(f"/cases/new/{person.pk}/", data)
    second = client.post(f"/cases/new/{person.pk}/", data)
    assert first.status_code == second.status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.every_day
def test_decision_refused_after_the_six_month_limit_has_passed(
    force, case_worker, decision_maker, decide_kwargs
):
    case = CaseFactory(
        force=force,
        owner=case_worker,
        status=CaseStatus.AWAITING_DECISION,
        arrest_date=timezone.localdate() - timedelta(days=200),
    )
    CaseOffenceFactory(
        case=case,
        offence=OffenceFactory(name="Common assault"),
        offence_date=timezone.localdate() - timedelta(days=200),
    )
    with pytest.raises(services.ValidationError) as refused:
        services.eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())
    assert "has passed" in str(refused.value)
    assert not EligibilityDecision.objects.exists()


def test_indictable_only_offence_always_needs_the_prosecutor(force, case_worker):
    case = CaseFactory(force=force, owner=case_worker)
    case.scheme.prosecutor_authority_for = []
    offence = CaseOffenceFactory(case=case, offence=OffenceFactory(name="Robbery"))
    assessment = assess_eligibility(case, [offence], on=date.today())
    assert assessment.needs_prosecutor_authority


def test_after_a_clash_the_form_can_be_submitted_knowing_the_new_decision(
    client_for, force, case_worker, decision_maker, decision_data, decide_kwargs
):
    case = CaseFactory(force=force, owner=case_worker, status=CaseStatus.AWAITING_DECISION)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name="Shop theft (goods worth over £200)"))
    first = services.eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())
    client = client_for(decision_maker)
    stale = client.post(f"/cases/{case.pk}/decision/", decision_data(outcome="ineligible", based_on=""))
    assert stale.status_code == 400
    assert "Another decision was recorded" in stale.content.decode()
    assert f'name="based_on" value="{first.pk}"' in stale.content.decode()
    again = client.post(f"/cases/{case.pk}/decision/", decision_data(outcome="ineligible", based_on=first.pk))
    assert again.status_code == 302
    assert EligibilityDecision.objects.count() == 2


def test_case_form_dates_refuse_impossible_days(client_for, case_worker, case_data, force):
    person = CaseFactory(force=force, owner=case_worker).person
    today = timezone.localdate()
    data = case_data(offences=[("Common assault", today - timedelta(days=3))], arrest_date=today)
    data["arrest_date_0"] = "31"
    data["arrest_date_1"] = "2"
    response = client_for(case_worker).post(f"/cases/new/{person.pk}/", data)
    assert response.status_code == 400
    assert "Enter a real date" in response.content.decode()

"""Intake refuses bad input with a message and saves nothing, and finds people already recorded
(DESIGN.md, journey step 1: deduplicated by PNC ID, or name plus date of birth)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, SEXUAL_ASSAULT, PersonFactory
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cases.models import Case, CaseEvent, CaseOffence, Person
from offenderhub.audit.models import AuditAction, AuditEvent


def _saved_counts():
    return (
        Person.objects.count(),
        Case.objects.count(),
        CaseOffence.objects.count(),
        CaseEvent.objects.count(),
    )


# --- Refused input -------------------------------------------------------------------------------
@pytest.mark.every_day
def test_date_of_birth_in_the_future_is_refused(client_for, case_worker, person_data):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client_for(case_worker).post("/cases/people/new/", person_data(date_of_birth=tomorrow))

    assertContains(response, "Date of birth must be in the past.", status_code=400)
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATED).exists()


@pytest.mark.parametrize("pnc_id", ["12345678", "12/ABCDEFGX", "2012/345678", "1/0345678X", "12-0345678X"])
def test_pnc_id_in_an_unknown_format_is_refused(client_for, case_worker, person_data, pnc_id):
    response = client_for(case_worker).post("/cases/people/new/", person_data(pnc_id=pnc_id))

    assertContains(
        response, "Enter a PNC ID in the format YY/NNNNNNNA, for example 12/0345678X", status_code=400
    )
    assert not Person.objects.exists()


@pytest.mark.every_day
def test_offence_date_after_the_arrest_date_is_refused(client_for, case_worker, force, case_data):
    person = PersonFactory(force=force)
    arrest = timezone.localdate() - timedelta(days=10)
    offence_date = arrest + timedelta(days=2)
    before = _saved_counts()

    response = client_for(case_worker).post(
        f"/cases/new/{person.pk}/", case_data(offences=[(ABH, offence_date)], arrest_date=arrest)
    )

    assertContains(
        response,
        f"The offence date ({offence_date:%d %B %Y}) must be on or before the arrest or report date "
        f"({arrest:%d %B %Y}).",
        status_code=400,
    )
    assert _saved_counts() == before


@pytest.mark.parametrize(
    ("offence", "group"),
    [(ROBBERY, "Robbery"), (SEXUAL_ASSAULT, "Sexual offences")],
    ids=["robbery", "sexual"],
)
def test_offence_in_a_group_the_scheme_excludes_is_refused_naming_the_group(
    client_for, case_worker, force, case_data, offence, group
):
    person = PersonFactory(force=force)
    today = timezone.localdate()
    before = _saved_counts()

    response = client_for(case_worker).post(
        f"/cases/new/{person.pk}/",
        case_data(
            offences=[(COMMON_ASSAULT, today - timedelta(days=5)), (offence, today - timedelta(days=5))],
            arrest_date=today - timedelta(days=4),
        ),
    )

    assertContains(
        response, f"Offender Hub does not take offences in the group “{group}” ({offence}).", status_code=400
    )
    assert _saved_counts() == before


def test_case_for_another_forces_person_is_404(client_for, case_worker, other_force, case_data):
    stranger = PersonFactory(force=other_force)
    today = timezone.localdate()

    response = client_for(case_worker).post(
        f"/cases/new/{stranger.pk}/", case_data(offences=[(ABH, today)], arrest_date=today)
    )

    assert response.status_code == 404
    assert not Case.objects.exists()


def test_case_form_without_an_offence_is_refused(client_for, case_worker, force, case_data):
    person = PersonFactory(force=force)

    response = client_for(case_worker).post(
        f"/cases/new/{person.pk}/", case_data(offences=[], arrest_date=timezone.localdate())
    )

    assertContains(response, "There is a problem with the offences", status_code=400)
    assert not Case.objects.exists()


# --- People already recorded ---------------------------------------------------------------------
@pytest.fixture
def recorded(force, case_worker):
    return PersonFactory(
        force=force,
        created_by=case_worker,
        given_names="Kayleigh",
        family_name="Brooks",
        date_of_birth=date(1994, 2, 3),
        pnc_id="15/0023456B",
    )


def test_same_pnc_id_shows_the_possible_match_and_saves_nothing(
    client_for, case_worker, recorded, person_data
):
    client = client_for(case_worker)

    response = client.post(
        "/cases/people/new/", person_data(given_names="K", family_name="Smith", pnc_id="2015/23456b")
    )

    assert response.status_code == 200
    assertContains(response, "Possible matches")
    assertContains(response, "Kayleigh Brooks")
    assertContains(response, f'href="/cases/new/{recorded.pk}/"')
    assertContains(response, 'name="confirm_new" value="True"')
    assert list(response.context["matches"]) == [recorded]
    assert Person.objects.count() == 1

    # The PNC ID identifies one person: confirming does not record a second one with it.
    response = client.post(
        "/cases/people/new/",
        person_data(given_names="K", family_name="Smith", pnc_id="2015/23456b", confirm_new="True"),
    )

    assertContains(
        response, "A person with this PNC ID is already recorded. Choose them instead.", status_code=400
    )
    assert Person.objects.count() == 1


def test_same_name_and_date_of_birth_shows_matches_until_confirmed(
    client_for, case_worker, recorded, person_data
):
    client = client_for(case_worker)
    same = person_data(given_names="kayleigh", family_name="BROOKS ", date_of_birth=date(1994, 2, 3))

    response = client.post("/cases/people/new/", same)

    assert response.status_code == 200
    assert list(response.context["matches"]) == [recorded]
    assertContains(response, "This person may already be recorded.")
    assert Person.objects.count() == 1
    shown = AuditEvent.objects.get(action=AuditAction.VIEWED, object_label="Possible matches")
    assert shown.reason == f"Possible matches shown: people {recorded.pk}"

    response = client.post("/cases/people/new/", {**same, "confirm_new": "True"})

    new = Person.objects.exclude(pk=recorded.pk).get()
    assertRedirects(response, f"/cases/new/{new.pk}/", fetch_redirect_response=False)
    assert (new.family_name, new.date_of_birth) == ("BROOKS", date(1994, 2, 3))


def test_same_name_but_another_date_of_birth_is_no_match(client_for, case_worker, recorded, person_data):
    response = client_for(case_worker).post(
        "/cases/people/new/",
        person_data(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1996, 7, 21)),
    )

    assert response.status_code == 302
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    ("given", "family", "born", "reason"),
    [
        ("Kaylee", "Brookes", date(1994, 2, 3), "Family name sounds alike (Brookes/Brooks)"),
        ("Kayleigh", "Brooks", date(1994, 2, 4), "Date of birth a day apart (04/02/1994, 03/02/1994)"),
        ("Kayleigh", "Brooks", date(1994, 3, 2), "Date of birth with day and month swapped"),
        (
            "Kayleigh",
            "Brooks",
            date(1994, 2, 8),
            "Date of birth one digit different (08/02/1994, 03/02/1994)",
        ),
        ("Brooks", "Kayleigh", date(1994, 2, 3), "Given and family names swapped"),
        ("Kayley", "Brooks", date(1994, 2, 3), "Given names are variants of one name (Kayley/Kayleigh)"),
        ("Kay", "Turner", date(1994, 2, 3), "Matches alias Turner, Kay"),
    ],
)
def test_a_person_written_another_way_is_shown_with_the_reasons_before_anything_is_saved(
    client_for, case_worker, recorded, person_data, given, family, born, reason
):
    recorded.aliases.create(given_names="Kay", family_name="Turner")

    response = client_for(case_worker).post(
        "/cases/people/new/", person_data(given_names=given, family_name=family, date_of_birth=born)
    )

    assert response.status_code == 200
    assert list(response.context["matches"]) == [recorded]
    assertContains(response, "This person may already be recorded.")
    assertContains(response, reason)
    assert Person.objects.count() == 1
    shown = AuditEvent.objects.get(action=AuditAction.VIEWED, object_label="Possible matches")
    assert shown.reason == f"Possible matches shown: people {recorded.pk}"  # numbers, never the reasons


@pytest.mark.parametrize("role", ["decision_maker", "practitioner", "analyst"])
def test_other_roles_are_refused_the_matches(request, client_for, recorded, person_data, role):
    response = client_for(request.getfixturevalue(role)).post(
        "/cases/people/new/",
        person_data(given_names="Kaylee", family_name="Brookes", date_of_birth=date(1994, 2, 3)),
    )

    assert response.status_code == 403
    assert "Brooks" not in response.content.decode()
    assert not AuditEvent.objects.filter(object_label="Possible matches").exists()


def test_matches_are_ranked_and_leave_out_twins_merged_and_erased_records(
    client_for, case_worker, force, recorded, person_data
):
    sounds_alike = PersonFactory(
        force=force, given_names="Kayleigh", family_name="Brookes", date_of_birth=recorded.date_of_birth
    )
    PersonFactory(force=force, given_names="Jade", family_name="Brooks", date_of_birth=recorded.date_of_birth)
    PersonFactory(
        force=force,
        given_names="Kayleigh",
        family_name="Brooks",
        date_of_birth=recorded.date_of_birth,
        merged_into=recorded,
    )
    PersonFactory(
        force=force,
        given_names="Kayleigh",
        family_name="Brooks",
        date_of_birth=recorded.date_of_birth,
        erased_at=timezone.now(),
    )

    response = client_for(case_worker).post(
        "/cases/people/new/",
        person_data(given_names="Kayleigh", family_name="Brooks", date_of_birth=recorded.date_of_birth),
    )

    matches = response.context["matches"]
    assert matches == [recorded, sounds_alike]
    assert [m.match_score for m in matches] == [100, 95]
    assert matches[0].match_reasons == ["same names and date of birth"]


def test_people_of_another_force_are_never_shown_as_matches(
    client_for, outsider_case_worker, recorded, person_data
):
    response = client_for(outsider_case_worker).post(
        "/cases/people/new/",
        person_data(
            given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1994, 2, 3), pnc_id="15/0023456B"
        ),
    )

    assert response.status_code == 302
    assertNotContains(response, "Kayleigh", status_code=302)
    created = Person.objects.exclude(pk=recorded.pk).get()
    assert created.force == outsider_case_worker.organisation
    assert created.pnc_id == recorded.pnc_id  # a PNC ID is unique within a force, not across forces


def test_person_search_does_not_reach_another_force(client_for, outsider_case_worker, recorded):
    response = client_for(outsider_case_worker).get("/cases/new/", {"q": "Brooks"})

    assert response.status_code == 200
    assert response.context["people"] == []
    assertNotContains(response, "Kayleigh")

"""The person's page, its "Change" forms and its history (issue 14, part 1): who may use them, what a
refusal looks like, and the queries each page makes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from factories import CaseFactory, PersonFactory

from cases import services
from cases.models import Ethnicity, PersonAlias, PersonChange
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

REASON = "The person moved house."
# Signing in (session, user, roles, second factor) and the page's own reads and audit row: pinned so
# that they stay the same however many aliases, cases and corrections the person has.
PERSON_PAGE_QUERIES = 12  # with the records merged into the person's (issue 14, part 3)
HISTORY_PAGE_QUERIES = 10


def date_fields(name, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def url(person, tail=""):
    return f"/cases/people/{person.pk}/{tail}"


# --- The person's page ----------------------------------------------------------------------------------


def test_the_person_page_shows_the_details_with_change_links(client_for, case_worker, person):
    response = client_for(case_worker).get(url(person))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Kayleigh Brooks" in page and "15/0023456B" in page and "07700 900111" in page
    for section in ("names", "date-of-birth", "sex", "ethnicity", "pnc-id", "address", "contact", "needs"):
        assert f"/cases/people/{person.pk}/change/{section}/" in page
    assert f"/cases/people/{person.pk}/aliases/new/" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(person.pk), reason="Person record opened"
    ).exists()


def test_a_decision_maker_sees_the_person_but_no_change_links(client_for, decision_maker, person):
    response = client_for(decision_maker).get(url(person))

    assert response.status_code == 200
    assert "/change/" not in response.content.decode()


def test_the_case_page_links_to_the_person(client_for, case_worker, person, force):
    case = CaseFactory(force=force, owner=case_worker, person=person)

    page = client_for(case_worker).get(f"/cases/{case.pk}/").content.decode()

    assert f'href="/cases/people/{person.pk}/"' in page


@pytest.mark.parametrize("path", ["", "history/", "change/contact/", "aliases/new/"])
def test_another_forces_person_is_not_found(client_for, outsider_supervisor, person, path):
    assert client_for(outsider_supervisor).get(url(person, path)).status_code == 404


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "analyst", "administrator"])
@pytest.mark.parametrize("path", ["", "history/", "change/contact/", "aliases/new/"])
def test_partners_analysts_and_administrators_are_refused(client_for, request, person, who, path):
    user = request.getfixturevalue(who)
    assert client_for(user).get(url(person, path)).status_code == 403


def test_a_decision_maker_may_not_open_a_change_form(client_for, decision_maker, person):
    client = client_for(decision_maker)
    assert client.get(url(person, "change/contact/")).status_code == 403
    response = client.post(url(person, "change/contact/"), {"phone": "07700 900222", "reason": REASON})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.phone == "07700 900111"


def test_an_unknown_part_of_the_details_is_not_found(client_for, case_worker, person):
    assert client_for(case_worker).get(url(person, "change/force/")).status_code == 404


def test_the_person_page_makes_the_same_queries_however_much_there_is(
    client_for, case_worker, person, force, django_assert_num_queries
):
    client = client_for(case_worker)
    client.get(url(person))  # the audit log's content types are read once per process
    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(url(person)).status_code == 200

    for n in range(3):
        CaseFactory(force=force, owner=case_worker, person=person)
        alias = PersonAlias.objects.create(person=person, family_name=f"Alias{n}")
        services.person_alias_end(person_id=person.pk, alias_id=alias.pk, actor=case_worker, reason="Wrong.")
    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(url(person)).status_code == 200


# --- Each form ------------------------------------------------------------------------------------------

GOOD = {
    "names": {"given_names": "Kayleigh", "family_name": "Brookes"},
    "date-of-birth": date_fields("date_of_birth", date(1995, 4, 3)),
    "sex": {"sex": "female"},
    "pnc-id": {"pnc_id": "2016/78901g"},
    "address": {"address": "4 New Road\r\nFenchester", "postcode": "FE2 9ZZ"},
    "contact": {"phone": "07700 900222", "email": "kb@example.com"},
    "needs": {
        "vulnerable": "on",
        "vulnerability_notes": "Anxiety",
        "interpreter_needed": "",
        "interpreter_language": "",
    },
}
EXPECTED = {
    "names": {"family_name": "Brookes"},
    "date-of-birth": {"date_of_birth": date(1995, 4, 3)},
    "sex": {"sex": "female"},
    "pnc-id": {"pnc_id": "16/0078901G"},
    "address": {"address": "4 New Road\r\nFenchester", "postcode": "FE2 9ZZ"},
    "contact": {"phone": "07700 900222", "email": "kb@example.com"},
    "needs": {"vulnerable": True, "vulnerability_notes": "Anxiety"},
}


@pytest.mark.parametrize("section", sorted(GOOD))
def test_each_change_form_corrects_the_person(client_for, case_worker, person, section):
    client = client_for(case_worker)
    form = client.get(url(person, f"change/{section}/"))
    assert form.status_code == 200
    assert "Why are you making this change?" in form.content.decode()

    response = client.post(url(person, f"change/{section}/"), {**GOOD[section], "reason": REASON})

    assert response.status_code == 302 and response["Location"] == url(person)
    person.refresh_from_db()
    for field, value in EXPECTED[section].items():
        assert getattr(person, field) == value
    assert set(PersonChange.objects.values_list("field", flat=True)) == set(EXPECTED[section])
    assert "changed." in client.get(url(person)).content.decode()


def test_the_ethnicity_form_corrects_the_person(client_for, case_worker, person):
    ethnicity = Ethnicity.objects.order_by("position").first()
    response = client_for(case_worker).post(
        url(person, "change/ethnicity/"), {"ethnicity": ethnicity.pk, "reason": "Self-defined at interview."}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.ethnicity == ethnicity


@pytest.mark.parametrize("section", sorted(GOOD))
def test_each_change_form_needs_a_reason(client_for, case_worker, person, section):
    response = client_for(case_worker).post(
        url(person, f"change/{section}/"), {**GOOD[section], "reason": ""}
    )

    assert response.status_code == 400
    assert "Give the reason for the change." in response.content.decode()
    assert not PersonChange.objects.exists()


def test_a_future_date_of_birth_is_refused_on_the_form(client_for, case_worker, person):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(case_worker).post(
        url(person, "change/date-of-birth/"), {**date_fields("date_of_birth", tomorrow), "reason": REASON}
    )

    assert response.status_code == 400
    assert "Date of birth must be in the past." in response.content.decode()
    person.refresh_from_db()
    assert person.date_of_birth == date(1995, 4, 2)
    assert not PersonChange.objects.exists()


def test_a_pnc_id_another_person_holds_is_refused_on_the_form(client_for, case_worker, person, force):
    PersonFactory(force=force, pnc_id="12/0345678X")
    response = client_for(case_worker).post(
        url(person, "change/pnc-id/"), {"pnc_id": "12/345678x", "reason": REASON}
    )

    assert response.status_code == 400
    assert "Another person recorded by your force has this PNC ID" in response.content.decode()
    person.refresh_from_db()
    assert person.pnc_id == "15/0023456B"


def test_a_bad_email_is_refused_on_the_form(client_for, case_worker, person):
    response = client_for(case_worker).post(
        url(person, "change/contact/"), {"phone": "07700 900222", "email": "not-an-email", "reason": REASON}
    )

    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    person.refresh_from_db()
    assert person.phone == "07700 900111"


def test_an_interpreter_without_a_language_is_refused_on_the_form(client_for, case_worker, person):
    response = client_for(case_worker).post(
        url(person, "change/needs/"),
        {"interpreter_needed": "on", "interpreter_language": "", "reason": REASON},
    )

    assert response.status_code == 400
    assert "Enter the language the interpreter is needed for." in response.content.decode()
    assert not PersonChange.objects.exists()


def test_a_change_that_changes_nothing_says_so(client_for, case_worker, person):
    client = client_for(case_worker)
    response = client.post(
        url(person, "change/contact/"), {"phone": "07700 900111", "email": "", "reason": REASON}, follow=True
    )

    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert not PersonChange.objects.exists()


def test_the_same_correction_sent_twice_is_made_once(client_for, case_worker, person):
    client = client_for(case_worker)
    data = {"phone": "07700 900222", "email": "", "reason": REASON}
    assert client.post(url(person, "change/contact/"), data).status_code == 302
    assert client.post(url(person, "change/contact/"), data).status_code == 302
    assert PersonChange.objects.count() == 1


def test_opening_a_change_form_is_audited(client_for, case_worker, person):
    client_for(case_worker).get(url(person, "change/address/"))

    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(person.pk), reason="Person correction form opened"
    ).exists()


# --- Aliases ------------------------------------------------------------------------------------------


def test_an_alias_is_added_and_ended_from_the_person_page(client_for, case_worker, person):
    client = client_for(case_worker)
    added = client.post(
        url(person, "aliases/new/"), {"given_names": "Kaylee", "family_name": "Brookes", "reason": REASON}
    )
    assert added.status_code == 302
    alias = PersonAlias.objects.get(person=person)
    page = client.get(url(person)).content.decode()
    assert "Kaylee Brookes" in page and f"/aliases/{alias.pk}/end/" in page

    assert client.get(url(person, f"aliases/{alias.pk}/end/")).status_code == 200
    ended = client.post(url(person, f"aliases/{alias.pk}/end/"), {"reason": "A misspelling."})

    assert ended.status_code == 302
    alias.refresh_from_db()
    assert not alias.is_current
    page = client.get(url(person)).content.decode()
    assert "Aliases no longer used" in page and "A misspelling." in page


def test_an_alias_without_a_family_name_or_reason_is_refused(client_for, case_worker, person):
    response = client_for(case_worker).post(
        url(person, "aliases/new/"), {"given_names": "Kaylee", "family_name": "", "reason": ""}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the reason for the change." in page and "Enter your family name" not in page
    assert not PersonAlias.objects.exists()


def test_the_persons_own_name_is_refused_as_an_alias(client_for, case_worker, person):
    response = client_for(case_worker).post(
        url(person, "aliases/new/"), {"given_names": "Kayleigh", "family_name": "Brooks", "reason": REASON}
    )

    assert response.status_code == 400
    assert "This is the person&#x27;s own name, not an alias." in response.content.decode()


def test_ending_an_alias_needs_a_reason(client_for, case_worker, person):
    alias = PersonAlias.objects.create(person=person, family_name="Brookes")
    response = client_for(case_worker).post(url(person, f"aliases/{alias.pk}/end/"), {"reason": ""})

    assert response.status_code == 400
    alias.refresh_from_db()
    assert alias.is_current


def test_another_persons_alias_is_not_found(client_for, case_worker, person, force):
    other = PersonAlias.objects.create(person=PersonFactory(force=force), family_name="Smith")

    client = client_for(case_worker)
    assert client.get(url(person, f"aliases/{other.pk}/end/")).status_code == 404
    assert client.post(url(person, f"aliases/{other.pk}/end/"), {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.is_current


def test_an_outsider_cannot_add_or_end_an_alias(client_for, outsider_supervisor, person):
    alias = PersonAlias.objects.create(person=person, family_name="Brookes")
    client = client_for(outsider_supervisor)

    assert client.post(url(person, "aliases/new/"), {"family_name": "X", "reason": "x"}).status_code == 404
    assert client.post(url(person, f"aliases/{alias.pk}/end/"), {"reason": "x"}).status_code == 404
    assert PersonAlias.objects.filter(person=person).count() == 1
    alias.refresh_from_db()
    assert alias.is_current


def test_a_decision_maker_may_not_add_or_end_an_alias(client_for, decision_maker, person):
    alias = PersonAlias.objects.create(person=person, family_name="Brookes")
    client = client_for(decision_maker)

    assert client.get(url(person, "aliases/new/")).status_code == 403
    assert client.post(url(person, "aliases/new/"), {"family_name": "X", "reason": REASON}).status_code == 403
    assert client.post(url(person, f"aliases/{alias.pk}/end/"), {"reason": REASON}).status_code == 403
    assert list(PersonAlias.objects.filter(person=person)) == [alias]
    alias.refresh_from_db()
    assert alias.is_current and not PersonChange.objects.exists()


def test_a_partner_cannot_post_a_correction(client_for, partner_manager, person):
    response = client_for(partner_manager).post(
        url(person, "change/contact/"), {"phone": "07700 900222", "reason": REASON}
    )
    assert response.status_code == 403
    assert not PersonChange.objects.exists()


# --- History ------------------------------------------------------------------------------------------


def test_the_history_shows_each_change_old_and_new_who_when_and_why(
    client_for, case_worker, supervisor, person
):
    services.person_correct(
        person_id=person.pk, actor=case_worker, changes={"phone": "07700 900222"}, reason=REASON
    )
    services.person_correct(
        person_id=person.pk,
        actor=supervisor,
        changes={"family_name": "Brookes"},
        reason="Spelling on the PNC.",
    )

    response = client_for(case_worker).get(url(person, "history/"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Phone number" in page and "07700 900111" in page and "07700 900222" in page
    assert "Family name" in page and "Brooks" in page and "Brookes" in page
    assert "Priya Shah" in page and "Grace Okafor" in page
    assert REASON in page and "Spelling on the PNC." in page
    assert page.index("Family name") < page.index("Phone number")  # newest first
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(person.pk), reason="Person's history of corrections opened"
    ).exists()


def test_the_history_page_makes_the_same_queries_however_long_the_history(
    client_for, case_worker, supervisor, person, django_assert_num_queries
):
    client = client_for(case_worker)
    services.person_correct(person_id=person.pk, actor=case_worker, changes={"phone": "1"}, reason=REASON)
    client.get(url(person, "history/"))  # the audit log's content types are read once per process
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        assert client.get(url(person, "history/")).status_code == 200

    for n in range(5):
        actor = supervisor if n % 2 else case_worker
        services.person_correct(person_id=person.pk, actor=actor, changes={"phone": f"0{n}"}, reason=REASON)
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        assert client.get(url(person, "history/")).status_code == 200

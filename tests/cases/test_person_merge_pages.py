"""The merge pages (issue 14, part 3): "Merge with another person" from the person's page, the two
records side by side, the merged record's page and undoing a merge. Who may use them, what a refusal
looks like (a message on the form, nothing saved), and the queries each page makes."""

import uuid
from datetime import date

import pytest
from factories import CaseFactory, PersonFactory

from cases import services
from cases.models import Person, PersonAlias, PersonChange, PersonMerge, SuspectedDuplicate
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

REASON = "Recorded twice at intake."
# Signing in (session, user, roles, second factor) and the page's own reads and audit rows: pinned so
# that they stay the same however many cases and aliases the records have.
# The start page's candidates (cases.matching): the record's aliases, the people born on the dates its
# date of birth could have been mistyped as, those holding its PNC ID, their aliases, and the people.
START_PAGE_QUERIES = 14
COMPARE_PAGE_QUERIES = 15
UNDO_PAGE_QUERIES = 17  # with retention's and subject access's reasons to refuse (two each)
KEPT_PAGE_QUERIES = 12
MERGED_PAGE_QUERIES = 10


@pytest.fixture
def duplicate(force, case_worker):
    """Kayleigh Brooks recorded again, without her PNC ID and with another phone number."""
    return PersonFactory(
        force=force,
        created_by=case_worker,
        given_names="Kayleigh",
        family_name="Brooks",
        date_of_birth=date(1995, 4, 2),
        phone="07700 900999",
        address="1 Mill Lane",
        postcode="FE1 2AB",
    )


def start_url(person):
    return f"/cases/people/{person.pk}/merge/"


def merge_url(person, other):
    return f"/cases/people/{person.pk}/merge/{other.pk}/"


def undo_url(merge):
    return f"/cases/people/merges/{merge.pk}/undo/"


def merge_data(kept, **overrides):
    data = {
        "keep": str(kept.pk),
        "choice_phone": str(kept.pk),
        "reason": REASON,
        "submission_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def merged(kept, other, actor):
    return services.person_merge(
        actor=actor, kept_id=kept.pk, merged_id=other.pk, choices={"phone": "kept"}, reason=REASON
    )


def _nothing_merged():
    assert not PersonMerge.objects.exists()
    assert not Person.objects.filter(merged_into__isnull=False).exists()
    assert not PersonChange.objects.exists()


# --- Who may use the pages -----------------------------------------------------------------------------


def test_a_supervisor_sees_merge_with_another_person_on_the_persons_page(client_for, supervisor, person):
    page = client_for(supervisor).get(f"/cases/people/{person.pk}/").content.decode()
    assert start_url(person) in page and "Merge with another person" in page


@pytest.mark.parametrize("who", ["case_worker", "decision_maker"])
def test_other_police_roles_see_no_merge_link(client_for, request, person, who):
    page = client_for(request.getfixturevalue(who)).get(f"/cases/people/{person.pk}/").content.decode()
    assert "/merge/" not in page


@pytest.mark.parametrize(
    "who", ["case_worker", "decision_maker", "practitioner", "partner_manager", "analyst", "administrator"]
)
def test_everyone_but_supervisors_is_refused(client_for, request, person, duplicate, supervisor, who):
    done = merged(person, duplicate, supervisor)
    other = PersonFactory(force=person.force)
    client = client_for(request.getfixturevalue(who))

    assert client.get(start_url(person)).status_code == 403
    assert client.get(merge_url(person, other)).status_code == 403
    assert client.post(merge_url(person, other), merge_data(person)).status_code == 403
    assert client.get(undo_url(done)).status_code == 403
    assert client.post(undo_url(done), {"reason": "x"}).status_code == 403
    assert PersonMerge.objects.get().is_live and PersonMerge.objects.count() == 1


def test_another_forces_supervisor_finds_nothing(
    client_for, outsider_supervisor, supervisor, person, duplicate
):
    client = client_for(outsider_supervisor)
    assert client.get(start_url(person)).status_code == 404
    assert client.get(merge_url(person, duplicate)).status_code == 404
    assert client.post(merge_url(person, duplicate), merge_data(person)).status_code == 404
    _nothing_merged()
    done = merged(person, duplicate, supervisor)
    assert client.get(undo_url(done)).status_code == 404
    assert client.post(undo_url(done), {"reason": "x"}).status_code == 404
    assert PersonMerge.objects.get().is_live


def test_a_person_of_another_force_cannot_be_the_other_record(client_for, supervisor, person, other_force):
    stranger = PersonFactory(force=other_force, given_names="Kayleigh", family_name="Brooks")
    client = client_for(supervisor)
    assert client.get(merge_url(person, stranger)).status_code == 404
    assert client.post(merge_url(person, stranger), merge_data(person)).status_code == 404
    _nothing_merged()


# --- Choosing the other record ------------------------------------------------------------------------


def test_the_start_page_lists_the_possible_duplicates_and_searches(
    client_for, supervisor, person, duplicate, force
):
    other = PersonFactory(force=force, given_names="Someone", family_name="Else", pnc_id="12/0345678X")
    client = client_for(supervisor)

    page = client.get(start_url(person)).content.decode()
    assert merge_url(person, duplicate) in page
    assert merge_url(person, other) not in page

    found = client.get(start_url(person), {"q": "12/345678x"}).content.decode()
    assert merge_url(person, other) in found
    by_name = client.get(start_url(person), {"q": "Kayleigh Brooks"}).content.decode()
    assert merge_url(person, duplicate) in by_name
    assert merge_url(person, person) not in by_name  # never the person themselves
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(person.pk), reason="Choosing a record to merge with this one"
    ).exists()
    assert not AuditEvent.objects.filter(path__contains="Kayleigh").exists()  # the search is not kept


# --- The records side by side --------------------------------------------------------------------------


def test_the_compare_page_shows_both_records_and_asks_only_what_differs(
    client_for, supervisor, person, duplicate
):
    CaseFactory(force=person.force, person=duplicate, reference="OH-2027-000777")

    response = client_for(supervisor).get(merge_url(person, duplicate))

    assert response.status_code == 200
    page = response.content.decode()
    assert "07700 900111" in page and "07700 900999" in page and "OH-2027-000777" in page
    assert 'name="keep"' in page and 'name="choice_phone"' in page
    assert 'name="choice_name"' not in page  # the same on both
    assert 'name="choice_pnc_id"' not in page  # only one has one: it is kept
    assert "Only one record has a PNC ID, so the kept record has it: 15/0023456B." in page
    assert 'name="pnc_confirmed"' not in page
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEWED, reason="Person records compared for a merge"
        ).count()
        == 2
    )


def test_merging_from_the_page_moves_the_cases_and_says_so(client_for, supervisor, person, duplicate):
    case = CaseFactory(force=person.force, person=person)
    client = client_for(supervisor)

    response = client.post(merge_url(person, duplicate), merge_data(duplicate, choice_phone=str(person.pk)))

    assert response.status_code == 302 and response["Location"] == f"/cases/people/{duplicate.pk}/"
    merge = PersonMerge.objects.get()
    assert (merge.kept, merge.merged) == (duplicate, person)
    duplicate.refresh_from_db()
    assert duplicate.phone == "07700 900111" and duplicate.pnc_id == "15/0023456B"
    case.refresh_from_db()
    assert case.person == duplicate
    page = client.get(response["Location"]).content.decode()
    assert f"Record {person.pk} merged into this record: 1 case and 0 aliases moved." in page
    assert "Records merged into this one" in page and undo_url(merge) in page


def test_submitting_the_same_form_twice_merges_once(client_for, supervisor, person, duplicate):
    client = client_for(supervisor)
    data = merge_data(person)

    first = client.post(merge_url(person, duplicate), data)
    second = client.post(merge_url(person, duplicate), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/people/{person.pk}/"
    assert PersonMerge.objects.count() == 1
    assert PersonChange.objects.filter(field="merged_from").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choice_phone": ""}, "Choose which phone number to keep."),
        ({"keep": ""}, "Choose which record to keep."),
        ({"reason": ""}, "Give the reason for merging these records."),
        ({"keep": "999999"}, "Select a valid choice."),
    ],
)
def test_a_bad_form_is_refused_with_a_message_and_nothing_saved(
    client_for, supervisor, person, duplicate, change, message
):
    response = client_for(supervisor).post(merge_url(person, duplicate), merge_data(person, **change))

    assert response.status_code == 400
    assert message in response.content.decode()
    _nothing_merged()


def test_two_pnc_ids_need_the_check_confirmed(client_for, supervisor, person, duplicate):
    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    client = client_for(supervisor)
    page = client.get(merge_url(person, duplicate)).content.decode()
    assert 'name="pnc_confirmed"' in page and 'name="choice_pnc_id"' in page
    data = merge_data(person, choice_pnc_id=str(person.pk))

    refused = client.post(merge_url(person, duplicate), data)

    assert refused.status_code == 400
    assert "The records have different PNC IDs (15/0023456B and 12/0345678X)" in refused.content.decode()
    _nothing_merged()
    done = client.post(merge_url(person, duplicate), {**data, "pnc_confirmed": "on"})
    assert done.status_code == 302
    assert {str(a) for a in PersonAlias.objects.filter(person=person)} == {"PNC ID 12/0345678X"}


def test_a_record_is_not_merged_with_itself(client_for, supervisor, person):
    client = client_for(supervisor)
    response = client.get(merge_url(person, person))
    assert response.status_code == 302 and response["Location"] == start_url(person)

    refused = client.post(merge_url(person, person), merge_data(person))
    assert refused.status_code == 400
    assert "cannot be merged into itself" in refused.content.decode()
    _nothing_merged()


def test_a_merged_record_cannot_be_merged_again(client_for, supervisor, person, duplicate, force):
    merged(person, duplicate, supervisor)
    third = PersonFactory(
        force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
    )
    client = client_for(supervisor)

    assert client.get(merge_url(third, duplicate))["Location"] == f"/cases/people/{duplicate.pk}/"
    refused = client.post(merge_url(third, duplicate), merge_data(third, choice_phone="", choice_address=""))
    assert refused.status_code == 400
    assert "already merged into another record" in refused.content.decode()
    assert PersonMerge.objects.count() == 1


# --- The merged record's page and undoing the merge ----------------------------------------------------


def test_the_merged_records_page_says_where_it_went(client_for, supervisor, case_worker, person, duplicate):
    done = merged(person, duplicate, supervisor)

    page = client_for(case_worker).get(f"/cases/people/{duplicate.pk}/").content.decode()
    assert "This record was merged into" in page and f'href="/cases/people/{person.pk}/"' in page
    assert undo_url(done) not in page  # case workers do not undo
    assert undo_url(done) in client_for(supervisor).get(f"/cases/people/{duplicate.pk}/").content.decode()
    history = client_for(case_worker).get(f"/cases/people/{duplicate.pk}/history/")
    assert history.status_code == 200 and "Merged into another record" in history.content.decode()


def test_a_merged_record_cannot_be_corrected(client_for, supervisor, case_worker, person, duplicate):
    merged(person, duplicate, supervisor)
    client = client_for(case_worker)

    response = client.post(f"/cases/people/{duplicate.pk}/change/contact/", {"phone": "1", "reason": "x"})

    assert response.status_code == 302 and response["Location"] == f"/cases/people/{duplicate.pk}/"
    assert Person.objects.get(pk=duplicate.pk).phone == "07700 900999"
    assert client.get(f"/cases/new/{duplicate.pk}/").status_code == 404  # no case on a merged record


def test_undoing_a_merge_from_its_page(client_for, supervisor, person, duplicate):
    case = CaseFactory(force=person.force, person=duplicate)
    done = merged(person, duplicate, supervisor)
    client = client_for(supervisor)
    assert "Undo the merge" in client.get(undo_url(done)).content.decode()

    response = client.post(undo_url(done), {"reason": "Two people after all."})

    assert response.status_code == 302 and response["Location"] == f"/cases/people/{duplicate.pk}/"
    done.refresh_from_db()
    assert not done.is_live
    case.refresh_from_db()
    assert case.person_id == duplicate.pk
    assert Person.objects.get(pk=duplicate.pk).merged_into is None
    assert "The merge was undone" in client.get(response["Location"]).content.decode()
    again = client.post(undo_url(done), {"reason": "Two people after all."})
    assert again.status_code == 302  # harmless


def test_an_undo_needs_a_reason(client_for, supervisor, person, duplicate):
    done = merged(person, duplicate, supervisor)

    response = client_for(supervisor).post(undo_url(done), {"reason": ""})

    assert response.status_code == 400
    assert "Give the reason for undoing the merge." in response.content.decode()
    assert PersonMerge.objects.get().is_live


def test_an_undo_after_a_change_is_refused_with_the_reason(
    client_for, supervisor, case_worker, person, duplicate
):
    done = merged(person, duplicate, supervisor)
    services.person_correct(
        person_id=person.pk, actor=case_worker, changes={"phone": "07700 900000"}, reason="New"
    )
    client = client_for(supervisor)

    page = client.get(undo_url(done)).content.decode()
    assert "has changed since the merge" in page and "Undo the merge</button>" not in page
    refused = client.post(undo_url(done), {"reason": "Two people."})

    assert refused.status_code == 400
    assert "has changed since the merge" in refused.content.decode()
    assert PersonMerge.objects.get().is_live
    assert Person.objects.get(pk=duplicate.pk).merged_into_id == person.pk


# --- The data-quality page links each suspected pair to the merge page --------------------------------------


def test_the_suspected_duplicates_link_to_the_merge_page(client_for, supervisor, person, duplicate):
    services.person_duplicates_refresh(person_ids=[duplicate.pk], force_id=duplicate.force_id)
    page = client_for(supervisor).get("/reports/quality/duplicates/").content.decode()

    first, second = sorted([person, duplicate], key=lambda p: p.pk)
    assert f'href="{merge_url(first, second)}"' in page and "Compare and merge" in page


def test_a_merged_pair_is_no_longer_a_suspected_duplicate(client_for, supervisor, person, duplicate):
    services.person_duplicates_refresh(person_ids=[duplicate.pk], force_id=duplicate.force_id)
    assert SuspectedDuplicate.objects.filter(person=person, other=duplicate).exists()
    merged(person, duplicate, supervisor)
    assert not SuspectedDuplicate.objects.exists()  # forgotten with the merge
    page = client_for(supervisor).get("/reports/quality/duplicates/").content.decode()
    assert "Compare and merge" not in page


# --- Queries -----------------------------------------------------------------------------------------------


def _more_data(person, duplicate, n=3):
    for k in range(n):
        CaseFactory(force=person.force, person=person)
        CaseFactory(force=person.force, person=duplicate)
        PersonAlias.objects.create(person=person, family_name=f"Alias{k}")
        PersonAlias.objects.create(person=duplicate, family_name=f"Other{k}")


def test_the_merge_pages_make_the_same_queries_however_much_there_is(
    client_for, supervisor, person, duplicate, force, django_assert_num_queries
):
    client = client_for(supervisor)
    client.get(start_url(person))  # the audit log's content types are read once per process
    pages = [
        (start_url(person), START_PAGE_QUERIES),
        (merge_url(person, duplicate), COMPARE_PAGE_QUERIES),
    ]
    for url, queries in pages:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    _more_data(person, duplicate)
    PersonFactory(force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2))
    for url, queries in pages:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


def _merged_pair(force, supervisor, *, n):
    """Two records of one person, each with ``n`` cases and aliases, merged."""
    kept, other = (
        PersonFactory(
            force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
        )
        for _ in range(2)
    )
    _more_data(kept, other, n=n)
    return services.person_merge(
        actor=supervisor, kept_id=kept.pk, merged_id=other.pk, choices={}, reason=REASON
    )


def test_the_pages_after_a_merge_make_the_same_queries_however_much_there_is(
    client_for, supervisor, force, django_assert_num_queries
):
    client = client_for(supervisor)
    for n in (1, 4):
        done = _merged_pair(force, supervisor, n=n)
        client.get(undo_url(done))  # the audit log's content types are read once per process
        pages = [
            (undo_url(done), UNDO_PAGE_QUERIES),
            (f"/cases/people/{done.kept_id}/", KEPT_PAGE_QUERIES),
            (f"/cases/people/{done.merged_id}/", MERGED_PAGE_QUERIES),
        ]
        for url, queries in pages:
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200


KEEP_BOTH = {"phone": "kept", "address": "kept"}


def test_the_kept_records_page_makes_the_same_queries_however_many_records_were_merged_into_it(
    client_for, supervisor, person, force, django_assert_num_queries
):
    client = client_for(supervisor)
    url = f"/cases/people/{person.pk}/"
    client.get(url)
    for _ in range(3):
        other = PersonFactory(
            force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
        )
        CaseFactory(force=force, person=other)
        services.person_merge(
            actor=supervisor, kept_id=person.pk, merged_id=other.pk, choices=KEEP_BOTH, reason=REASON
        )
        with django_assert_num_queries(KEPT_PAGE_QUERIES):
            assert client.get(url).status_code == 200

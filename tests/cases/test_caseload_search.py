"""The caseload's search finds people by an alias and by a misspelt name (issue 14, part 4), while an
ordinary search that fills a page costs what it did: names spelt another way are only looked for
when the search finds less than a page, and the page marks the cases found that way."""

import pytest
from factories import CaseFactory, PersonFactory
from pytest_django.asserts import assertContains, assertNotContains
from test_caseload import CASELOAD_QUERIES

from cases.models import Case, CaseStatus, Person

SIMILAR = "Similar spelling"


@pytest.fixture
def caseload(force, scheme, area, case_worker, other_force):
    def case(given, family, **person):
        made = PersonFactory(
            force=force, created_by=case_worker, given_names=given, family_name=family, **person
        )
        return CaseFactory(force=force, scheme=scheme, area=area, owner=case_worker, person=made)

    brooks = case("Kayleigh", "Brooks")
    brooks.person.aliases.create(given_names="Kay", family_name="Turner")
    brooks.person.aliases.create(given_names="", family_name="Oldname").delete()  # gone: never found
    ended = brooks.person.aliases.create(given_names="", family_name="Marsh")
    ended.ended_at = ended.person.created_at
    ended.save()
    whitmore = case("Daniel", "Whitmore")
    stranger = CaseFactory(
        force=other_force,
        person=PersonFactory(force=other_force, given_names="Daniel", family_name="Whitmoore"),
        status=CaseStatus.AWAITING_DECISION,
    )
    return {"brooks": brooks, "whitmore": whitmore, "stranger": stranger}


def _search(client, q):
    response = client.get("/cases/", {"q": q})
    assert response.status_code == 200
    return response, [case.pk for case in response.context["cases"]]


def test_a_current_alias_finds_the_person_and_is_no_similar_spelling(client_for, case_worker, caseload):
    response, listed = _search(client_for(case_worker), "Kay Turner")

    assert listed == [caseload["brooks"].pk]
    assertNotContains(response, SIMILAR)
    assert _search(client_for(case_worker), "Marsh")[1] == []  # an ended alias


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Brookes", "brooks"),
        ("Kaylee Brooks", "brooks"),
        ("kaylee brookes", "brooks"),
        ("Whitmoore", "whitmore"),
        ("Danny Whitmore", "whitmore"),
    ],
)
def test_a_misspelt_name_finds_the_person_marked_as_a_similar_spelling(
    client_for, case_worker, caseload, q, expected
):
    response, listed = _search(client_for(case_worker), q)

    assert listed == [caseload[expected].pk]
    assert caseload["stranger"].pk not in listed  # another force's look-alike never
    assertContains(response, SIMILAR, count=2)  # the row's tag, and the count above the table says so
    assert response.context["cases"][0].similar_spelling


def test_a_name_spelt_alike_is_added_to_the_exact_matches_and_only_it_is_marked(
    client_for, case_worker, caseload, force, scheme, area
):
    exact = CaseFactory(
        force=force,
        scheme=scheme,
        area=area,
        owner=caseload["whitmore"].owner,
        person=PersonFactory(force=force, given_names="Kayleigh", family_name="Brookes"),
    )

    response, listed = _search(client_for(case_worker), "Brookes")

    assert sorted(listed) == sorted([exact.pk, caseload["brooks"].pk])
    marked = {case.pk: case.similar_spelling for case in response.context["cases"]}
    assert marked == {exact.pk: False, caseload["brooks"].pk: True}


def test_a_merged_or_erased_record_is_not_found_by_a_similar_spelling(client_for, case_worker, caseload):
    Person.objects.filter(pk=caseload["whitmore"].person_id).update(erased_at=caseload["whitmore"].created_at)

    assert _search(client_for(case_worker), "Whitmoore")[1] == []


def _people_called(n, family, *, force, scheme, area, owner):
    people = Person.objects.bulk_create(
        PersonFactory.build(force=force, created_by=owner, family_name=family, given_names=f"Sam{i:03d}")
        for i in range(n)
    )
    Case.objects.bulk_create(
        CaseFactory.build(force=force, scheme=scheme, area=area, owner=owner, person=p) for p in people
    )


def test_a_search_that_fills_a_page_adds_no_similar_spelling_and_no_query(
    client_for, case_worker, force, scheme, area, django_assert_max_num_queries
):
    _people_called(26, "Smith", force=force, scheme=scheme, area=area, owner=case_worker)
    _people_called(1, "Smyth", force=force, scheme=scheme, area=area, owner=case_worker)
    client = client_for(case_worker)
    client.get("/cases/")

    with django_assert_max_num_queries(CASELOAD_QUERIES):
        response, listed = _search(client, "Smith")

    assert len(listed) == 25 and response.context["paginator"].count == 26
    assertNotContains(response, SIMILAR)


def test_a_search_that_finds_less_than_a_page_takes_three_more_queries(
    client_for, case_worker, force, scheme, area, django_assert_max_num_queries
):
    _people_called(3, "Smith", force=force, scheme=scheme, area=area, owner=case_worker)
    _people_called(30, "Smyth", force=force, scheme=scheme, area=area, owner=case_worker)
    client = client_for(case_worker)
    client.get("/cases/")

    # The similar people, then the list with them counted and read again.
    with django_assert_max_num_queries(CASELOAD_QUERIES + 3):
        response, listed = _search(client, "Smith")

    assert len(listed) == 25 and response.context["paginator"].count == 33
    with django_assert_max_num_queries(CASELOAD_QUERIES + 3):
        response = client.get("/cases/", {"q": "Smith", "page": 2})
    assert len(response.context["cases"]) == 8

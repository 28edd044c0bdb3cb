"""The caseload list /cases/: a fixed number of queries however many cases, filters that work, bad
filter values shown as errors, and never another force's cases (STYLE.md, Tests and Access)."""

import pytest
from factories import (
    ABH,
    COMMON_ASSAULT,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    PersonFactory,
    SchemeFactory,
)
from pytest_django.asserts import assertContains

from cases.models import Case, CaseOffence, CaseStatus, Person
from cases.services import case_offence_columns_refresh

# Measured on SQLite and PostgreSQL: session, user, roles, count, page rows, the user's organisation and
# the audit row of the viewing, and the scheme, area and case worker choices of the filter form (the
# session is not saved: its expiry is written at most once a minute). It must not grow with the number
# of cases.
CASELOAD_QUERIES = 12  # 10, plus the unread count in the navigation and the second-factor device


def _bulk_cases(n, *, force, scheme, area, owner):
    """``n`` cases with a person and an offence each, inserted in three queries: alternately a
    summary-only offence at intake and an either-way offence awaiting a decision."""
    people = Person.objects.bulk_create(PersonFactory.build(force=force, created_by=owner) for _ in range(n))
    statuses = [CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION]
    cases = Case.objects.bulk_create(
        CaseFactory.build(
            force=force, scheme=scheme, area=area, owner=owner, person=p, status=statuses[i % 2]
        )
        for i, p in enumerate(people)
    )
    offences = [OffenceFactory(name=COMMON_ASSAULT), OffenceFactory(name=ABH)]
    CaseOffence.objects.bulk_create(
        CaseOffenceFactory.build(case=case, offence=offences[i % 2]) for i, case in enumerate(cases)
    )
    # bulk_create goes round the services: keep each case's first summary-only offence date as they do.
    case_offence_columns_refresh(cases=Case.objects.filter(pk__in=[c.pk for c in cases]))
    return cases


@pytest.mark.parametrize("number_of_cases", [5, 200])
def test_caseload_list_runs_a_fixed_number_of_queries(
    client_for, case_worker, force, scheme, area, django_assert_max_num_queries, number_of_cases
):
    _bulk_cases(number_of_cases, force=force, scheme=scheme, area=area, owner=case_worker)
    client = client_for(case_worker)

    with django_assert_max_num_queries(CASELOAD_QUERIES):
        response = client.get("/cases/")

    assert response.status_code == 200
    assert len(response.context["cases"]) == min(number_of_cases, 25)
    assertContains(response, f"{number_of_cases} cases")

    filtered = {"status": "intake", "classification": "summary_only", "mine": "on", "sort": "-time_limit"}
    with django_assert_max_num_queries(CASELOAD_QUERIES):
        response = client.get("/cases/", filtered)

    assert response.status_code == 200
    assert len(response.context["cases"]) == min((number_of_cases + 1) // 2, 25)

    if number_of_cases > 25:
        with django_assert_max_num_queries(CASELOAD_QUERIES):
            response = client.get("/cases/", {"page": 2, "sort": "name"})
        assert len(response.context["cases"]) == 25


# --- Filters -------------------------------------------------------------------------------------
@pytest.fixture
def caseload(force, scheme, area, case_worker, other_case_worker, other_force):
    """Three cases of the force and one of another force with a look-alike person."""

    def case(given, family, status, owner, offence, pnc_id=""):
        person = PersonFactory(
            force=force, created_by=case_worker, given_names=given, family_name=family, pnc_id=pnc_id
        )
        made = CaseFactory(force=force, scheme=scheme, area=area, owner=owner, person=person, status=status)
        CaseOffenceFactory(case=made, offence=OffenceFactory(name=offence))
        return made

    whitmore = case("Daniel", "Whitmore", CaseStatus.INTAKE, case_worker, ABH, pnc_id="19/0012345A")
    brooks = case("Kayleigh", "Brooks", CaseStatus.AWAITING_DECISION, other_case_worker, COMMON_ASSAULT)
    adams = case("Zoe", "Adams", CaseStatus.ASSESSMENT, case_worker, ABH)
    stranger = CaseFactory(
        force=other_force,
        person=PersonFactory(
            force=other_force, given_names="Daniel", family_name="Whitmore", pnc_id="19/0012345A"
        ),
        status=CaseStatus.AWAITING_DECISION,
    )
    CaseOffenceFactory(case=stranger, offence=OffenceFactory(name=COMMON_ASSAULT))
    return {"whitmore": whitmore, "brooks": brooks, "adams": adams, "stranger": stranger}


def _listed(client, query):
    response = client.get("/cases/", query)
    assert response.status_code == 200
    assert not response.context["filter"].form.errors
    return [case.pk for case in response.context["cases"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "Whitmore"}, ["whitmore"]),
        ({"q": "kayleigh brooks"}, ["brooks"]),
        ({"q": "19/0012345A"}, ["whitmore"]),
        ({"q": "19/0012345a"}, ["whitmore"]),
        ({"q": "2019/12345A"}, ["whitmore"]),  # written without the zeros and with a four-digit year
        ({"status": "awaiting_decision"}, ["brooks"]),
        ({"status": ["intake", "assessment"]}, ["adams", "whitmore"]),
        ({"mine": "on"}, ["adams", "whitmore"]),
        ({"due_for_decision": "on"}, ["brooks"]),
        ({"classification": "summary_only"}, ["brooks"]),
        ({"classification": "either_way"}, ["adams", "whitmore"]),
        ({"classification": "indictable_only"}, []),
        ({"mine": "on", "classification": "either_way", "status": "intake"}, ["whitmore"]),
    ],
)
def test_caseload_filters(client_for, case_worker, caseload, query, expected):
    listed = _listed(client_for(case_worker), query)

    assert sorted(listed) == sorted(caseload[name].pk for name in expected)


def test_search_by_reference(client_for, case_worker, caseload):
    brooks = caseload["brooks"]

    assert _listed(client_for(case_worker), {"q": brooks.reference}) == [brooks.pk]
    assert _listed(client_for(case_worker), {"q": brooks.reference.lower()}) == [brooks.pk]


def test_filter_by_owner_scheme_and_area(client_for, case_worker, other_case_worker, force, area, caseload):
    client = client_for(case_worker)
    other_scheme = SchemeFactory(force=force)

    assert _listed(client, {"owner": other_case_worker.pk}) == [caseload["brooks"].pk]
    assert sorted(_listed(client, {"area": area.pk})) == sorted(
        caseload[n].pk for n in ("whitmore", "brooks", "adams")
    )
    assert _listed(client, {"scheme": other_scheme.pk}) == []


def test_sort_by_name_and_by_reference_descending(client_for, case_worker, caseload):
    client = client_for(case_worker)
    ours = [caseload[n] for n in ("whitmore", "brooks", "adams")]

    assert _listed(client, {"sort": "name"}) == [caseload[n].pk for n in ("adams", "brooks", "whitmore")]
    assert _listed(client, {"sort": "-name"}) == [caseload[n].pk for n in ("whitmore", "brooks", "adams")]
    by_reference = sorted(ours, key=lambda c: c.reference, reverse=True)
    assert _listed(client, {"sort": "-reference"}) == [c.pk for c in by_reference]
    assert _listed(client, {"sort": "reference"}) == [c.pk for c in reversed(by_reference)]


def test_newest_cases_first_without_a_sort(client_for, case_worker, caseload):
    listed = _listed(client_for(case_worker), {})

    ours = [caseload[n] for n in ("whitmore", "brooks", "adams")]
    assert listed == [c.pk for c in sorted(ours, key=lambda c: (c.created_at, c.pk), reverse=True)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "bogus"}, "Select a valid choice. bogus is not one of the available choices."),
        ({"classification": "bogus"}, "Select a valid choice. bogus is not one of the available choices."),
        ({"sort": "bogus"}, "Select a valid choice. bogus is not one of the available choices."),
        ({"owner": "999999"}, "Select a valid choice. That choice is not one of the available choices."),
        ({"scheme": "abc"}, "Select a valid choice. That choice is not one of the available choices."),
    ],
)
def test_an_invalid_filter_value_shows_an_error_not_a_server_error(
    client_for, case_worker, caseload, query, message
):
    response = client_for(case_worker).get("/cases/", query)

    assert response.status_code == 200
    assert list(response.context["cases"]) == []
    assert response.context["filter"].form.errors
    assertContains(response, "There is a problem")  # the error summary at the top of the page
    assertContains(response, message)
    assertContains(response, "No cases match these filters.")


def test_another_forces_cases_never_appear(client_for, case_worker, outsider_supervisor, caseload):
    stranger = caseload["stranger"]
    client = client_for(case_worker)

    for query in (
        {},
        {"q": stranger.reference},
        {"q": "19/0012345A"},
        {"q": "Whitmore"},
        {"due_for_decision": "on"},
    ):
        assert stranger.pk not in _listed(client, query)
    response = client.get("/cases/")
    assert stranger.reference not in response.content.decode()

    assert _listed(client_for(outsider_supervisor), {}) == [stranger.pk]


def test_other_forces_scheme_area_or_owner_is_not_a_filter_choice(
    client_for, case_worker, other_force, caseload
):
    stranger = caseload["stranger"]
    client = client_for(case_worker)

    for query in ({"scheme": stranger.scheme_id}, {"area": stranger.area_id}, {"owner": stranger.owner_id}):
        response = client.get("/cases/", query)
        assert response.status_code == 200
        assert list(response.context["cases"]) == []
        assertContains(response, "Select a valid choice.")

"""The supervisor's data-quality page (issue 14, part 6): each category counts the force's own records
and lists them; supervisors only; every page audited, every CSV audited as an export; a fixed number
of queries whatever the number of records."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import AreaFactory, CaseFactory, PersonFactory, SchemeFactory, UserFactory
from reporting_support import csv_rows

from cases.models import CaseEvent, CaseStatus, Ethnicity
from cases.services import person_duplicates_refresh
from conditions.models import Condition, ConditionKind, ConditionStatus
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Referral, ReferralStatus, Service
from reporting import quality

PAGE = reverse("reporting:quality")


def _list(slug):
    return reverse("reporting:quality_list", args=[slug])


def _csv(slug):
    return reverse("reporting:quality_export", args=[slug])


def _at(day):
    return timezone.make_aware(datetime.combine(day, time(10)))


def _count(user, slug):
    return quality.CATEGORY_BY_SLUG[slug].rows(user).count()


class Records:
    """Builds a force's records: cases sharing one scheme, area and case worker."""

    def __init__(self, force):
        self.force = force
        self.worker = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
        self.scheme = SchemeFactory(force=force)
        self.area = AreaFactory(force=force)
        self.ethnicity = Ethnicity.objects.order_by("pk").first()

    def person(self, **fields):
        """A person, matched against the force's others as recording them does (the suspected duplicates)."""
        fields.setdefault("ethnicity", self.ethnicity)
        person = PersonFactory(force=self.force, created_by=self.worker, **fields)
        person_duplicates_refresh(person_ids=[person.pk], force_id=self.force.pk)
        return person

    def case(self, *, person=None, **fields):
        return CaseFactory(
            force=self.force,
            scheme=self.scheme,
            area=self.area,
            owner=self.worker,
            person=person or self.person(pnc_id=f"12/{CaseFactory._meta.next_sequence():07d}X"),
            **fields,
        )

    def condition(self, case, *, owner=None, status=ConditionStatus.PENDING):
        return Condition.objects.create(
            case=case,
            kind=ConditionKind.REHABILITATIVE,
            wording="Attend four sessions with the alcohol service",
            due_date=date(2027, 7, 30),
            responsible_organisation=self.force,
            owner=owner,
            status=status,
            created_by=self.worker,
        )

    def referral(self, case, service, *, sent_on, status=ReferralStatus.SENT):
        referral = Referral.objects.create(
            case=case,
            service=service,
            organisation=service.organisation,
            status=status,
            reason="Drinks most nights",
            due_date=date(2027, 7, 30),
            sent_by=self.worker,
        )
        Referral.objects.filter(pk=referral.pk).update(sent_at=_at(sent_on))
        return referral


@pytest.fixture
def records(force):
    return Records(force)


@pytest.fixture
def other_records(other_force):
    return Records(other_force)


@pytest.fixture
def service(agency):
    service = Service(organisation=agency, name="Alcohol support", pathways=["drugs_alcohol"])
    service.full_clean()
    service.save()
    return service


# --- Selectors ------------------------------------------------------------------------------------


def test_people_without_ethnicity_are_counted_for_their_own_force_only(records, other_records, supervisor):
    missing = records.person(ethnicity=None)
    records.person()
    other_records.person(ethnicity=None)
    assert list(quality.people_without_ethnicity_for(supervisor)) == [missing]


def test_people_without_pnc_id_count_only_with_an_open_case(records, other_records, supervisor):
    open_case = records.case(person=records.person(pnc_id=""))
    records.case(person=records.person(pnc_id=""), status=CaseStatus.COMPLETED)
    records.case()  # an open case, PNC ID recorded
    other_records.case(person=other_records.person(pnc_id=""))
    assert list(quality.people_without_pnc_id_for(supervisor)) == [open_case.person]


def test_duplicates_are_the_pairs_the_matching_suspects_in_the_force(records, other_records, supervisor):
    first = records.person(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 3, 2))
    second = records.person(given_names="KAYLEIGH", family_name="brooks", date_of_birth=date(1995, 3, 2))
    third = records.person(given_names="Kaylee", family_name="Brookes", date_of_birth=date(1995, 3, 12))
    records.person(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1975, 8, 29))
    records.person(given_names="Jade", family_name="Brooks", date_of_birth=date(1995, 3, 2))  # a twin
    other_records.person(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 3, 2))

    pairs = {(p.person_id, p.other_id): p for p in quality.duplicate_people_for(supervisor)}

    assert set(pairs) == {(first.pk, second.pk), (first.pk, third.pk), (second.pk, third.pk)}
    assert pairs[first.pk, second.pk].reasons == ["same names and date of birth"]
    assert pairs[first.pk, third.pk].reasons == [
        "family name sounds alike (Brooks/Brookes)",
        "given names are variants of one name (Kayleigh/Kaylee)",
        "date of birth one digit different (02/03/1995, 12/03/1995)",
    ]
    assert [p.score for p in quality.duplicate_people_for(supervisor)] == [100, 76, 76]


def test_cases_stuck_run_from_the_event_that_moved_them_into_their_status(
    records, other_records, supervisor, settings
):
    settings.DATA_QUALITY_STUCK_DAYS = {"intake": 14, "awaiting_decision": 7}
    now = timezone.now()
    stuck_intake = records.case(created_at=now - timedelta(days=15))
    records.case(created_at=now - timedelta(days=13))  # intake, not yet 14 days
    waiting_long = records.case(status=CaseStatus.AWAITING_DECISION, created_at=now - timedelta(days=60))
    waiting_new = records.case(status=CaseStatus.AWAITING_DECISION, created_at=now - timedelta(days=60))
    for case, days in ((waiting_long, 8), (waiting_new, 6)):
        CaseEvent.objects.create(
            case=case,
            code="submitted",
            summary="Submitted",
            status_before="intake",
            status_after="awaiting_decision",
            occurred_at=now - timedelta(days=days),
        )
    records.case(status=CaseStatus.ASSESSMENT, created_at=now - timedelta(days=400))  # not watched here
    other_records.case(created_at=now - timedelta(days=40))
    rows = list(quality.cases_stuck_for(supervisor))
    assert rows == [waiting_long, stuck_intake]
    assert rows[0].in_status_since == now - timedelta(days=8)
    assert rows[1].in_status_since == now - timedelta(days=15)


def test_live_conditions_without_an_owner(records, other_records, supervisor, case_worker):
    case = records.case(status=CaseStatus.ACTIVE)
    unowned = records.condition(case)
    records.condition(case, owner=case_worker)
    records.condition(case, status=ConditionStatus.COMPLETE)
    other_records.condition(other_records.case(status=CaseStatus.ACTIVE))
    assert list(quality.conditions_without_owner_for(supervisor)) == [unowned]


def test_referrals_without_a_response_follow_the_daily_chase_rule(
    records, other_records, supervisor, service
):
    # Today is Wednesday 16 June 2027 (tests/clock_support.py); the service level is 5 working days.
    case = records.case(status=CaseStatus.ACTIVE)
    late = records.referral(case, service, sent_on=date(2027, 6, 8))  # due Tuesday 15 June
    records.referral(case, service, sent_on=date(2027, 6, 9))  # due today: not late yet
    records.referral(case, service, sent_on=date(2027, 6, 1), status=ReferralStatus.ACCEPTED)
    other_records.referral(other_records.case(status=CaseStatus.ACTIVE), service, sent_on=date(2027, 6, 1))
    assert timezone.localdate() == date(2027, 6, 16)
    assert list(quality.referrals_without_response_for(supervisor)) == [late]

    from referrals.jobs import referral_response_due

    late.refresh_from_db()
    assert referral_response_due(late) < timezone.localdate()


def test_nobody_but_the_force_police_sees_any_record(records, analyst, partner_manager, outsider_supervisor):
    records.person(ethnicity=None)
    for user in (analyst, partner_manager, outsider_supervisor):
        assert [_count(user, c.slug) for c in quality.CATEGORIES] == [0] * len(quality.CATEGORIES)


# --- Views ------------------------------------------------------------------------------------------


def test_supervisor_sees_the_counts_and_the_visit_is_audited(client_for, supervisor, records):
    records.person(ethnicity=None)
    response = client_for(supervisor).get(PAGE)
    assert response.status_code == 200
    counts = {row["category"].slug: row["count"] for row in response.context["counts"]}
    assert counts["no-ethnicity"] == 1
    assert AuditEvent.objects.filter(
        actor=supervisor, action=AuditAction.VIEWED, object_label="Data quality"
    ).exists()


def test_supervisor_home_links_to_the_page(client_for, supervisor):
    assert PAGE in client_for(supervisor).get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("who", ["case_worker", "administrator", "analyst", "partner_manager"])
def test_other_roles_are_refused(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    for url in (PAGE, _list("no-ethnicity"), _csv("no-ethnicity")):
        assert client.get(url).status_code == 403


def test_a_supervisor_of_another_force_sees_none_of_the_force_records(
    client_for, outsider_supervisor, records
):
    person = records.person(ethnicity=None)
    response = client_for(outsider_supervisor).get(_list("no-ethnicity"))
    assert response.status_code == 200
    assert person.full_name not in response.content.decode()
    assert csv_rows(client_for(outsider_supervisor).get(_csv("no-ethnicity")))[1:] == []


def test_an_unknown_category_is_not_found(client_for, supervisor):
    assert client_for(supervisor).get(_list("nonsense")).status_code == 404
    assert client_for(supervisor).get(_csv("nonsense")).status_code == 404


def test_the_list_pages_25_at_a_time_linking_to_each_person(client_for, supervisor, records):
    people = [records.person(ethnicity=None, family_name=f"Ash{n:02d}") for n in range(27)]
    client = client_for(supervisor)
    first = client.get(_list("no-ethnicity"))
    second = client.get(_list("no-ethnicity"), {"page": 2})
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 2
    page_two = second.content.decode()
    assert reverse("cases:person_detail", args=[people[26].pk]) in page_two
    assert people[0].full_name not in page_two
    viewed = AuditEvent.objects.filter(actor=supervisor, action=AuditAction.VIEWED).order_by("pk").last()
    # The audit row names the people listed by number, never by name: it can never be erased.
    assert "page 2" in viewed.reason and f"Person #{people[26].pk}" in viewed.reason
    assert people[26].family_name not in viewed.reason


def test_the_csv_lists_every_record_and_is_audited_as_an_export(client_for, supervisor, records):
    first = records.person(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 3, 2))
    second = records.person(given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 3, 2))
    response = client_for(supervisor).get(_csv("duplicates"))
    assert response["Content-Type"].startswith("text/csv")
    assert csv_rows(response) == [
        ["Person", "May be the same as", "Date of birth", "Why", "Match"],
        [first.full_name, second.full_name, "02/03/1995", "Same names and date of birth", "100"],
    ]
    export = AuditEvent.objects.get(actor=supervisor, action=AuditAction.EXPORTED)
    assert export.object_label == "Data quality: Suspected duplicate people"
    assert export.reason == "1 rows exported"


def _problems(records, service, n):
    """``n`` records in each category."""
    now = timezone.now()
    for i in range(n):
        case = records.case(
            person=records.person(
                ethnicity=None,
                pnc_id="",
                given_names="Sam",
                family_name=f"Twin{i}",
                date_of_birth=date(1990, 1, 1),
            ),
            status=CaseStatus.ACTIVE,
        )
        records.person(given_names="Sam", family_name=f"Twin{i}", date_of_birth=date(1990, 1, 1))
        records.case(created_at=now - timedelta(days=30))
        records.condition(case)
        records.referral(case, service, sent_on=date(2027, 6, 1))


@pytest.mark.parametrize("n", [1, 6])
def test_the_pages_take_a_fixed_number_of_queries(
    client_for, supervisor, records, service, n, django_assert_num_queries
):
    _problems(records, service, n)
    client = client_for(supervisor)
    client.get(PAGE)  # the session and the user are read once, as on any page
    # Session, user, roles and the audit row's writes around one query per category.
    with django_assert_num_queries(13):
        response = client.get(PAGE)
    counts = {row["category"].slug: row["count"] for row in response.context["counts"]}
    assert counts == {
        "no-ethnicity": n,
        "no-pnc-id": n,
        "duplicates": n,
        "stuck-cases": n,
        "conditions-without-owner": n,
        "referrals-without-response": n,
    }
    # The same, and a page of rows (the duplicates read both people of each pair with it).
    for category in quality.CATEGORIES:
        with django_assert_num_queries(9):
            response = client.get(_list(category.slug))
        assert len(response.context["rows"]) == n, category.slug


@pytest.mark.parametrize("level", [0, 1, 3, 5, 12])
def test_referrals_late_are_those_the_chase_finds_late_whatever_the_service_level(
    records, supervisor, agency, level
):
    # Each of the 26 days back from today, across weekends and the Spring bank holiday (31 May).
    service = Service(
        organisation=agency,
        name=f"Level {level}",
        pathways=["drugs_alcohol"],
        first_contact_working_days=level,
    )
    service.full_clean()
    service.save()
    case = records.case(status=CaseStatus.ACTIVE)
    today = timezone.localdate()
    referrals = [records.referral(case, service, sent_on=today - timedelta(days=d)) for d in range(0, 26)]
    for referral in referrals:
        referral.refresh_from_db()

    from referrals.jobs import referral_response_due

    expected = {r.pk for r in referrals if referral_response_due(r) < today}
    assert {r.pk for r in quality.referrals_without_response_for(supervisor)} == expected
    assert expected and len(expected) < len(referrals)  # some late, some not (those sent today, at least)

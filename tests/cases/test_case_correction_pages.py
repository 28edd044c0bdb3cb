"""The case page's "Change" links and the correction forms (issue 14, part 2): who may use them, what a
refusal looks like (a message, a 400, nothing half-saved), and the queries each page makes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, CaseFactory, CaseOffenceFactory, OffenceFactory

from cases import services
from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

REASON = "Mistyped at intake."
# Signing in (session, user, roles, second factor) and the page's own reads and audit row: the same
# however many offences and events the case has.
CHANGE_FORM_QUERIES = 9
OFFENCE_FORM_QUERIES = 10


def date_fields(name, day) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


@pytest.fixture
def case(force, scheme, area, case_worker, person):
    case = CaseFactory(force=force, scheme=scheme, area=area, owner=case_worker, person=person)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))
    return case


def url(case, tail):
    return f"/cases/{case.pk}/{tail}"


PATHS = ["change/circumstances/", "change/victim-views/", "offences/new/"]


def test_the_case_pages_show_change_links_to_a_case_worker(client_for, case_worker, case):
    client = client_for(case_worker)
    overview = client.get(f"/cases/{case.pk}/").content.decode()
    victim = client.get(f"/cases/{case.pk}/victim/").content.decode()

    for section in ("arrest-date", "flags", "circumstances"):
        assert f"/cases/{case.pk}/change/{section}/" in overview
    assert f"/cases/{case.pk}/offences/new/" in overview
    assert "/remove/" not in overview  # the only offence cannot be removed
    for section in ("victim", "victim-views"):  # on the victim's page, beside what they change
        assert f"/cases/{case.pk}/change/{section}/" not in overview
        assert f"/cases/{case.pk}/change/{section}/" in victim


def test_a_victim_correction_goes_back_to_the_victims_page(client_for, case_worker, case):
    client = client_for(case_worker)
    form = client.get(url(case, "change/victim/")).content.decode()
    assert f'href="/cases/{case.pk}/victim/">Cancel' in form

    response = client.post(url(case, "change/victim/"), {"victim_type": "business", "reason": REASON})

    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/victim/"
    case.refresh_from_db()
    assert case.victim_type == "business"


def test_a_decision_maker_sees_offence_links_only_after_the_caution(client_for, decision_maker, case):
    client = client_for(decision_maker)
    assert "/offences/new/" not in client.get(f"/cases/{case.pk}/").content.decode()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "/offences/new/" in page and "/change/" not in page


@pytest.mark.parametrize("path", PATHS)
def test_another_forces_case_is_not_found(client_for, outsider_supervisor, case, path):
    client = client_for(outsider_supervisor)
    assert client.get(url(case, path)).status_code == 404
    assert client.post(url(case, path), {"reason": REASON}).status_code == 404


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "analyst", "administrator"])
@pytest.mark.parametrize("path", PATHS)
def test_partners_analysts_and_administrators_are_refused(client_for, request, case, who, path):
    user = request.getfixturevalue(who)
    assert client_for(user).get(url(case, path)).status_code == 403


def test_a_decision_maker_may_not_correct_details_or_offences_before_the_caution(
    client_for, decision_maker, case
):
    client = client_for(decision_maker)
    assert client.get(url(case, "change/circumstances/")).status_code == 403
    response = client.post(url(case, "change/circumstances/"), {"circumstances": "New", "reason": REASON})
    assert response.status_code == 403
    assert client.get(url(case, "offences/new/")).status_code == 403
    case.refresh_from_db()
    assert case.circumstances == ""


def test_a_case_worker_may_not_correct_an_offence_after_the_caution(client_for, case_worker, case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE)
    client = client_for(case_worker)
    assert client.get(url(case, "offences/new/")).status_code == 403
    data = {
        "offence": OffenceFactory(name=COMMON_ASSAULT).pk,
        **date_fields("offence_date", case.arrest_date - timedelta(days=1)),
        "reason": REASON,
    }
    assert client.post(url(case, "offences/new/"), data).status_code == 403
    [held] = case.offences.all()
    assert client.post(url(case, f"offences/{held.pk}/remove/"), {"reason": REASON}).status_code == 403
    assert list(case.offences.all()) == [held]
    assert not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "analyst", "administrator"])
def test_partners_analysts_and_administrators_cannot_post_a_correction(client_for, request, case, who):
    client = client_for(request.getfixturevalue(who))
    [held] = case.offences.all()
    response = client.post(url(case, "change/circumstances/"), {"circumstances": "New", "reason": REASON})
    assert response.status_code == 403
    assert client.post(url(case, f"offences/{held.pk}/remove/"), {"reason": REASON}).status_code == 403
    case.refresh_from_db()
    assert case.circumstances == "" and list(case.offences.all()) == [held]


def test_an_unknown_part_is_not_found(client_for, case_worker, case):
    assert client_for(case_worker).get(url(case, "change/status/")).status_code == 404


def test_a_correction_is_made_from_its_form(client_for, case_worker, case):
    client = client_for(case_worker)
    assert client.get(url(case, "change/circumstances/")).status_code == 200

    response = client.post(
        url(case, "change/circumstances/"), {"circumstances": "Kicked a bin.", "reason": REASON}
    )

    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.circumstances == "Kicked a bin."
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Corrected: circumstances changed" in page and REASON in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(case.pk), reason="Case correction form opened"
    ).exists()


def test_a_correction_without_a_reason_is_refused_with_a_message(client_for, case_worker, case):
    response = client_for(case_worker).post(url(case, "change/circumstances/"), {"circumstances": "New"})

    assert response.status_code == 400
    assert "Give the reason for the change." in response.content.decode()
    case.refresh_from_db()
    assert case.circumstances == ""


def test_a_future_arrest_date_is_refused_and_nothing_is_half_saved(client_for, case_worker, case):
    before = case.arrest_date
    data = {**date_fields("arrest_date", timezone.localdate() + timedelta(days=2)), "reason": REASON}

    response = client_for(case_worker).post(url(case, "change/arrest-date/"), data)

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    case.refresh_from_db()
    assert case.arrest_date == before
    assert not CaseEvent.objects.filter(case=case, code=EventCode.CASE_CORRECTED).exists()


def test_a_change_that_changes_nothing_says_so(client_for, case_worker, case):
    client = client_for(case_worker)
    response = client.post(url(case, "change/flags/"), {"reason": REASON}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, code=EventCode.CASE_CORRECTED).exists()


def test_views_without_their_date_are_refused(client_for, case_worker, case):
    data = {"victim_views": "Supports it.", "victim_rj_consent": "not_applicable", "reason": REASON}
    response = client_for(case_worker).post(url(case, "change/victim-views/"), data)
    assert response.status_code == 400
    assert "Enter the date the victim" in response.content.decode()


def test_the_victims_views_are_refused_after_the_decision_with_a_message(
    client_for, case_worker, decision_maker, case, decide_kwargs
):
    services.case_submit_for_decision(case_id=case.pk, actor=case_worker)
    services.eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())
    client = client_for(case_worker)

    response = client.get(url(case, "change/victim-views/"), follow=True)
    assert "cannot be corrected after the eligibility decision" in response.content.decode()
    assert f"/cases/{case.pk}/change/victim-views/" not in response.content.decode()

    data = {
        "victim_views": "Changed their mind.",
        **date_fields("victim_views_obtained_on", timezone.localdate()),
        "victim_rj_consent": "not_applicable",
        "reason": REASON,
    }
    response = client.post(url(case, "change/victim-views/"), data)
    assert response.status_code == 400
    assert "cannot be corrected after the eligibility decision" in response.content.decode()
    case.refresh_from_db()
    assert case.victim_views == ""


def test_an_offence_is_added_and_removed_from_the_case_page(client_for, case_worker, case):
    client = client_for(case_worker)
    offence_date = case.arrest_date - timedelta(days=1)
    data = {
        "offence": OffenceFactory(name=COMMON_ASSAULT).pk,
        **date_fields("offence_date", offence_date),
        "details": "",
        "reason": "Came to light in interview.",
    }

    assert client.post(url(case, "offences/new/"), data).status_code == 302
    assert client.post(url(case, "offences/new/"), data, follow=True).status_code == 200  # twice: once
    assert case.offences.count() == 2
    added = case.offences.get(offence__name=COMMON_ASSAULT)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/offences/{added.pk}/remove/" in page

    response = client.post(url(case, f"offences/{added.pk}/remove/"), {"reason": "Wrong case."})
    assert response.status_code == 302
    assert case.offences.count() == 1
    assert client.get(url(case, f"offences/{added.pk}/remove/")).status_code == 404


def test_an_offence_after_the_arrest_is_refused_on_the_form(client_for, case_worker, case):
    data = {
        "offence": OffenceFactory(name=COMMON_ASSAULT).pk,
        **date_fields("offence_date", case.arrest_date + timedelta(days=1)),
        "reason": REASON,
    }
    response = client_for(case_worker).post(url(case, "offences/new/"), data)
    assert response.status_code == 400
    assert "on or before the arrest or report date" in response.content.decode()
    assert case.offences.count() == 1


def test_the_correction_forms_make_the_same_queries_however_much_the_case_holds(
    client_for, case_worker, case, django_assert_num_queries
):
    client = client_for(case_worker)
    client.get(url(case, "change/circumstances/"))  # the audit log's content types are read once per process

    def measure():
        with django_assert_num_queries(CHANGE_FORM_QUERIES):
            assert client.get(url(case, "change/circumstances/")).status_code == 200
        with django_assert_num_queries(OFFENCE_FORM_QUERIES):
            assert client.get(url(case, "offences/new/")).status_code == 200

    measure()
    for n in range(4):
        CaseOffenceFactory(case=case, offence=OffenceFactory(name=COMMON_ASSAULT))
        services.case_correct(
            case_id=case.pk, actor=case_worker, changes={"circumstances": f"Version {n}"}, reason=REASON
        )
    measure()

"""A case from intake to decision through the web pages, and who may see it (DESIGN.md, journey steps
1 and 2; STYLE.md, Access)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from factories import ABH, CaseFactory, CaseOffenceFactory, OffenceFactory, PersonFactory, UserFactory
from pytest_django.asserts import assertContains, assertRedirects

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus, EligibilityDecision, Person
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent


@pytest.fixture
def awaiting_case(force, scheme, area, case_worker):
    case = CaseFactory(
        force=force, scheme=scheme, area=area, owner=case_worker, status=CaseStatus.AWAITING_DECISION
    )
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))
    return case


def test_case_worker_opens_case_and_decision_maker_decides_with_both_on_the_timeline(
    client_for, force, case_worker, decision_maker, scheme, person_data, case_data, decision_data
):
    today = timezone.localdate()
    worker = client_for(case_worker)

    response = worker.post("/cases/people/new/", person_data(pnc_id="2019/12345a"))

    person = Person.objects.get()
    assertRedirects(response, f"/cases/new/{person.pk}/", fetch_redirect_response=False)
    assert (person.force, person.created_by, person.pnc_id) == (force, case_worker, "19/0012345A")

    response = worker.post(
        f"/cases/new/{person.pk}/",
        case_data(offences=[(ABH, today - timedelta(days=3))], arrest_date=today - timedelta(days=2)),
    )

    case = Case.objects.get()
    assertRedirects(response, f"/cases/{case.pk}/", fetch_redirect_response=False)
    assert (case.force, case.scheme, case.person, case.owner) == (force, scheme, person, case_worker)
    assert case.status == CaseStatus.INTAKE
    assert [(o.offence.name, o.offence_date) for o in case.offences.all()] == [
        (ABH, today - timedelta(days=3))
    ]

    response = worker.post(f"/cases/{case.pk}/submit/")

    assertRedirects(response, f"/cases/{case.pk}/", fetch_redirect_response=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION

    response = client_for(decision_maker).post(f"/cases/{case.pk}/decision/", decision_data())

    assertRedirects(response, f"/cases/{case.pk}/", fetch_redirect_response=False)
    decision = EligibilityDecision.objects.get()
    assert (decision.case, decision.outcome, decision.decided_by) == (case, "eligible", decision_maker)
    assert decision.gravity_score == 3
    assert decision.reasons == []
    assert decision.latest_proceedings_date is None  # either-way offence: no six-month limit
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT
    timeline = list(
        CaseEvent.objects.filter(case=case)
        .order_by("occurred_at", "id")
        .values_list("code", "actor", "status_before", "status_after")
    )
    assert timeline == [
        (EventCode.CASE_OPENED, case_worker.pk, "", CaseStatus.INTAKE),
        (EventCode.SUBMITTED_FOR_DECISION, case_worker.pk, CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION),
        (EventCode.DECISION_RECORDED, decision_maker.pk, CaseStatus.AWAITING_DECISION, CaseStatus.ASSESSMENT),
    ]

    page = worker.get(f"/cases/{case.pk}/")

    assert page.status_code == 200
    assertContains(page, f"Case opened on Offender Hub for {ABH}")
    assertContains(page, "by Priya Shah, Fenshire Constabulary")
    assertContains(page, "Decided eligible")
    assertContains(page, "by Alan Reid, Fenshire Constabulary")
    assert [e.code for e in page.context["recent_events"]] == [
        EventCode.DECISION_RECORDED,
        EventCode.SUBMITTED_FOR_DECISION,
        EventCode.CASE_OPENED,
    ]


def test_case_worker_cannot_decide(client_for, case_worker, awaiting_case, decision_data):
    client = client_for(case_worker)

    assert client.get(f"/cases/{awaiting_case.pk}/decision/").status_code == 403
    response = client.post(f"/cases/{awaiting_case.pk}/decision/", decision_data())

    assert response.status_code == 403
    assert not EligibilityDecision.objects.exists()
    awaiting_case.refresh_from_db()
    assert awaiting_case.status == CaseStatus.AWAITING_DECISION


def test_other_forces_decision_maker_gets_404_and_decides_nothing(
    client_for, other_force, awaiting_case, decision_data
):
    outsider = UserFactory(organisation=other_force, roles=[Role.DECISION_MAKER])

    response = client_for(outsider).post(f"/cases/{awaiting_case.pk}/decision/", decision_data())

    assert response.status_code == 404
    assert not EligibilityDecision.objects.exists()


@pytest.mark.parametrize("page", ["", "reassign/", "withdraw/"])
def test_other_forces_supervisor_gets_404_for_the_case(client_for, outsider_supervisor, awaiting_case, page):
    response = client_for(outsider_supervisor).get(f"/cases/{awaiting_case.pk}/{page}")

    assert response.status_code == 404


def test_other_forces_case_worker_gets_404_for_the_case_and_its_person(
    client_for, outsider_case_worker, awaiting_case
):
    client = client_for(outsider_case_worker)

    assert client.get(f"/cases/{awaiting_case.pk}/").status_code == 404
    assert client.get(f"/cases/new/{awaiting_case.person_id}/").status_code == 404


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "analyst", "administrator"])
def test_users_without_a_police_role_never_see_the_case(client_for, request, awaiting_case, who):
    client = client_for(request.getfixturevalue(who))

    for url in ("/cases/", "/cases/people/new/"):
        response = client.get(url)
        assert response.status_code == 403, url  # refused by role before any case is read
    # The case page itself: a partner is told it does not exist, as another force would be.
    partner = who in {"practitioner", "partner_manager"}
    assert client.get(f"/cases/{awaiting_case.pk}/").status_code == (404 if partner else 403)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED).exists()


def test_decision_maker_cannot_record_people_or_open_cases(client_for, decision_maker, force, person_data):
    person = PersonFactory(force=force)
    client = client_for(decision_maker)

    assert client.post("/cases/people/new/", person_data(family_name="Other")).status_code == 403
    assert client.get(f"/cases/new/{person.pk}/").status_code == 403
    assert Person.objects.count() == 1


def test_viewing_a_case_records_who_viewed_it(client_for, supervisor, force, awaiting_case):
    response = client_for(supervisor).get(f"/cases/{awaiting_case.pk}/", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.VIEWED)
    assert event.content_type == ContentType.objects.get_for_model(Case)
    assert event.object_id == str(awaiting_case.pk)
    assert event.object_label == f"Case {awaiting_case.reference}"
    assert (event.actor, event.actor_organisation, event.owner_organisation) == (supervisor, force, force)
    assert event.ip_address == "203.0.113.7"
    assert event.path == f"/cases/{awaiting_case.pk}/"


# --- The other actions on a case -----------------------------------------------------------------
def test_case_worker_withdraws_a_case_with_a_reason(client_for, case_worker, awaiting_case):
    response = client_for(case_worker).post(
        f"/cases/{awaiting_case.pk}/withdraw/", {"reason": "The victim withdrew the complaint."}
    )

    assertRedirects(response, f"/cases/{awaiting_case.pk}/", fetch_redirect_response=False)
    awaiting_case.refresh_from_db()
    assert awaiting_case.status == CaseStatus.WITHDRAWN
    event = CaseEvent.objects.get(case=awaiting_case)
    assert (event.code, event.actor, event.notes) == (
        EventCode.WITHDRAWN,
        case_worker,
        "The victim withdrew the complaint.",
    )
    assert (event.status_before, event.status_after) == (CaseStatus.AWAITING_DECISION, CaseStatus.WITHDRAWN)
    audit = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(awaiting_case.pk))
    assert audit.changes == {"status": [CaseStatus.AWAITING_DECISION, CaseStatus.WITHDRAWN]}


def test_withdrawing_without_a_reason_is_refused(client_for, case_worker, awaiting_case):
    response = client_for(case_worker).post(f"/cases/{awaiting_case.pk}/withdraw/", {"reason": " "})

    assert response.status_code == 400
    awaiting_case.refresh_from_db()
    assert awaiting_case.status == CaseStatus.AWAITING_DECISION


def test_submitting_twice_is_harmless(client_for, case_worker, force, scheme, area):
    case = CaseFactory(force=force, scheme=scheme, area=area, owner=case_worker)
    client = client_for(case_worker)

    client.post(f"/cases/{case.pk}/submit/")
    response = client.post(f"/cases/{case.pk}/submit/")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION
    assert CaseEvent.objects.filter(case=case, code=EventCode.SUBMITTED_FOR_DECISION).count() == 1


@pytest.mark.parametrize("action", ["submit/", "withdraw/", "reassign/"])
def test_another_forces_user_cannot_act_on_the_case(
    client_for, awaiting_case, other_force, case_worker, action
):
    outsider = UserFactory(organisation=other_force, roles=[Role.CASE_WORKER, Role.SUPERVISOR])

    response = client_for(outsider).post(
        f"/cases/{awaiting_case.pk}/{action}", {"reason": "Mine now.", "to_user": outsider.pk}
    )

    assert response.status_code == 404
    awaiting_case.refresh_from_db()
    assert (awaiting_case.status, awaiting_case.owner) == (CaseStatus.AWAITING_DECISION, case_worker)
    assert not CaseEvent.objects.exists()


@pytest.mark.parametrize("action", ["submit/", "withdraw/", "reassign/", "decision/"])
def test_a_partner_cannot_act_on_the_case(client_for, practitioner, awaiting_case, action, decision_data):
    response = client_for(practitioner).post(f"/cases/{awaiting_case.pk}/{action}", decision_data(reason="x"))

    assert response.status_code == 403
    awaiting_case.refresh_from_db()
    assert awaiting_case.status == CaseStatus.AWAITING_DECISION
    assert not CaseEvent.objects.exists()

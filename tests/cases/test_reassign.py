"""Supervisors reassign a case, or a case worker's whole open caseload (DESIGN.md, People: supervisor)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from factories import CaseFactory, UserFactory
from pytest_django.asserts import assertContains, assertRedirects

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from cases.services import CaseError, case_reassign, caseload_reassign
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent


@pytest.fixture
def case(force, area, case_worker):
    return CaseFactory(force=force, area=area, owner=case_worker, status=CaseStatus.AWAITING_DECISION)


def _changes(case):
    return AuditEvent.objects.filter(
        action=AuditAction.CHANGED,
        content_type=ContentType.objects.get_for_model(Case),
        object_id=str(case.pk),
    )


# --- One case ------------------------------------------------------------------------------------
def test_supervisor_reassigns_a_case(client_for, supervisor, case, case_worker, other_case_worker):
    response = client_for(supervisor).post(
        f"/cases/{case.pk}/reassign/", {"to_user": other_case_worker.pk, "reason": "Priya is on leave."}
    )

    assertRedirects(response, f"/cases/{case.pk}/", fetch_redirect_response=False)
    case.refresh_from_db()
    assert case.owner == other_case_worker
    assert case.status == CaseStatus.AWAITING_DECISION
    event = CaseEvent.objects.get(case=case)
    assert (event.code, event.actor, event.notes) == (EventCode.REASSIGNED, supervisor, "Priya is on leave.")
    assert event.summary == "Reassigned from Priya Shah to Tom Baker"
    assert event.details == {"from": case_worker.pk, "to": other_case_worker.pk}
    audit = _changes(case).get()
    assert audit.actor == supervisor
    assert audit.changes == {"owner": [case_worker.email, other_case_worker.email]}
    assert audit.reason == "Case reassigned"  # what was typed stays on the timeline, which can be erased


def test_reassigning_to_the_current_owner_changes_nothing(supervisor, case, case_worker):
    case_reassign(case_id=case.pk, actor=supervisor, to_user=case_worker, reason="Again.")

    case.refresh_from_db()
    assert case.owner == case_worker
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not _changes(case).exists()


def test_case_worker_cannot_reassign(client_for, case_worker, case, other_case_worker):
    client = client_for(case_worker)

    assert client.get(f"/cases/{case.pk}/reassign/").status_code == 403
    response = client.post(
        f"/cases/{case.pk}/reassign/", {"to_user": other_case_worker.pk, "reason": "Mine."}
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.owner == case_worker
    assert not CaseEvent.objects.exists()


def test_other_forces_supervisor_gets_404(
    client_for, outsider_supervisor, outsider_case_worker, case, case_worker
):
    response = client_for(outsider_supervisor).post(
        f"/cases/{case.pk}/reassign/", {"to_user": outsider_case_worker.pk, "reason": "Taking it over."}
    )

    assert response.status_code == 404
    case.refresh_from_db()
    assert case.owner == case_worker


@pytest.mark.parametrize("who", ["outsider_case_worker", "decision_maker", "supervisor"])
def test_reassigning_to_someone_who_is_not_a_case_worker_of_the_force_is_refused(
    client_for, request, supervisor, case, case_worker, who
):
    to_user = request.getfixturevalue(who)

    response = client_for(supervisor).post(
        f"/cases/{case.pk}/reassign/", {"to_user": to_user.pk, "reason": "Moving it."}
    )

    assertContains(response, "Choose an active case worker in your force.", status_code=400)
    case.refresh_from_db()
    assert case.owner == case_worker
    assert not CaseEvent.objects.exists()

    with pytest.raises(CaseError, match="Choose an active case worker in your force."):
        case_reassign(case_id=case.pk, actor=supervisor, to_user=to_user, reason="Moving it.")


def test_reassigning_to_an_inactive_case_worker_is_refused(supervisor, force, case):
    gone = UserFactory(organisation=force, roles=[Role.CASE_WORKER], is_active=False)

    with pytest.raises(CaseError, match="Choose an active case worker in your force."):
        case_reassign(case_id=case.pk, actor=supervisor, to_user=gone, reason="Moving it.")


@pytest.mark.parametrize("status", [CaseStatus.COMPLETED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED])
def test_a_finished_case_is_not_reassigned(
    client_for, supervisor, force, area, case_worker, other_case_worker, status
):
    finished = CaseFactory(force=force, area=area, owner=case_worker, status=status)

    response = client_for(supervisor).post(
        f"/cases/{finished.pk}/reassign/", {"to_user": other_case_worker.pk, "reason": "Tidy up."}
    )

    assertContains(response, "cannot be reassigned", status_code=400)
    finished.refresh_from_db()
    assert finished.owner == case_worker


# --- A whole caseload ----------------------------------------------------------------------------
@pytest.fixture
def caseload(force, area, case_worker):
    statuses = [
        CaseStatus.INTAKE,
        CaseStatus.AWAITING_DECISION,
        CaseStatus.ASSESSMENT,
        CaseStatus.ACTIVE,
        CaseStatus.BREACH_REVIEW,
        CaseStatus.COMPLETED,
        CaseStatus.WITHDRAWN,
        CaseStatus.INELIGIBLE,
    ]
    return {
        status: CaseFactory(force=force, area=area, owner=case_worker, status=status) for status in statuses
    }


OPEN = {
    CaseStatus.INTAKE,
    CaseStatus.AWAITING_DECISION,
    CaseStatus.ASSESSMENT,
    CaseStatus.ACTIVE,
    CaseStatus.BREACH_REVIEW,
}


def test_supervisor_moves_every_open_case_of_a_case_worker(
    client_for, supervisor, case_worker, other_case_worker, caseload
):
    unrelated = CaseFactory(
        force=supervisor.organisation,
        area=case_worker.area,
        owner=other_case_worker,
        status=CaseStatus.INTAKE,
    )

    response = client_for(supervisor).post(
        "/cases/reassign/",
        {"from_user": case_worker.pk, "to_user": other_case_worker.pk, "reason": "Priya has moved team."},
    )

    assertRedirects(response, f"/cases/?owner={other_case_worker.pk}", fetch_redirect_response=False)
    for status, case in caseload.items():
        case.refresh_from_db()
        assert case.owner == (other_case_worker if status in OPEN else case_worker), status
        assert case.status == status
    moved = [caseload[s] for s in OPEN]
    events = CaseEvent.objects.filter(code=EventCode.REASSIGNED)
    assert sorted(e.case_id for e in events) == sorted(c.pk for c in moved)
    assert all(e.actor == supervisor and e.notes == "Priya has moved team." for e in events)
    for case in moved:
        assert _changes(case).get().changes == {"owner": [case_worker.email, other_case_worker.email]}
    assert not _changes(caseload[CaseStatus.COMPLETED]).exists()
    assert not CaseEvent.objects.filter(case=unrelated).exists()


def test_caseload_reassign_twice_moves_nothing_the_second_time(
    supervisor, case_worker, other_case_worker, caseload
):
    first = caseload_reassign(
        actor=supervisor, from_user=case_worker, to_user=other_case_worker, reason="Leave."
    )
    second = caseload_reassign(
        actor=supervisor, from_user=case_worker, to_user=other_case_worker, reason="Leave."
    )

    assert (first, second) == (len(OPEN), 0)
    assert CaseEvent.objects.filter(code=EventCode.REASSIGNED).count() == len(OPEN)


def test_case_worker_cannot_reassign_a_caseload(client_for, case_worker, other_case_worker, caseload):
    client = client_for(case_worker)

    assert client.get("/cases/reassign/").status_code == 403
    response = client.post(
        "/cases/reassign/", {"from_user": case_worker.pk, "to_user": other_case_worker.pk, "reason": "Mine."}
    )

    assert response.status_code == 403
    assert not Case.objects.filter(owner=other_case_worker).exists()


def test_caseload_cannot_go_to_another_force(
    client_for, supervisor, case_worker, outsider_case_worker, caseload
):
    response = client_for(supervisor).post(
        "/cases/reassign/",
        {"from_user": case_worker.pk, "to_user": outsider_case_worker.pk, "reason": "Elsewhere."},
    )

    assertContains(response, "Choose an active case worker in your force.", status_code=400)
    assert not Case.objects.exclude(owner=case_worker).exists()

    with pytest.raises(CaseError, match="Choose an active case worker in your force."):
        caseload_reassign(
            actor=supervisor, from_user=case_worker, to_user=outsider_case_worker, reason="Elsewhere."
        )


def test_caseload_of_another_forces_case_worker_cannot_be_taken(
    client_for, outsider_supervisor, case_worker, caseload
):
    mover = UserFactory(organisation=outsider_supervisor.organisation, roles=[Role.CASE_WORKER])

    response = client_for(outsider_supervisor).post(
        "/cases/reassign/", {"from_user": case_worker.pk, "to_user": mover.pk, "reason": "Taking it."}
    )

    assertContains(response, "Choose someone in your force who holds open cases.", status_code=400)
    assert not Case.objects.exclude(owner=case_worker).exists()

    with pytest.raises(CaseError, match="Choose a case worker in your force."):
        caseload_reassign(
            actor=outsider_supervisor, from_user=case_worker, to_user=mover, reason="Taking it."
        )


def test_caseload_to_the_same_case_worker_is_refused(client_for, supervisor, case_worker, caseload):
    response = client_for(supervisor).post(
        "/cases/reassign/", {"from_user": case_worker.pk, "to_user": case_worker.pk, "reason": "Same."}
    )

    assertContains(response, "Choose a different case worker to receive the caseload.", status_code=400)
    assert not CaseEvent.objects.exists()

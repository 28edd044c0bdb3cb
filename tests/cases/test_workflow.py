"""Every case status change goes through the one declared table (cases.workflow.TRANSITIONS), with the
roles allowed to make each (STYLE.md, State changes)."""

from itertools import permutations

import pytest
from django.db import transaction
from factories import CaseFactory, UserFactory

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from cases.services import CaseError, case_transition
from cases.workflow import SYSTEM, TRANSITIONS
from offenderhub.accounts.models import POLICE_ROLES, Role
from offenderhub.audit.models import AuditAction, AuditEvent

FORBIDDEN = [pair for pair in permutations(CaseStatus.values, 2) if pair not in TRANSITIONS]
ALLOWED = sorted(TRANSITIONS)


def test_the_table_names_only_real_statuses_and_roles():
    statuses = set(CaseStatus.values)
    assert all(before in statuses and after in statuses and before != after for before, after in TRANSITIONS)
    assert all(roles and roles <= POLICE_ROLES | {SYSTEM} for roles in TRANSITIONS.values())
    assert len(FORBIDDEN) + len(ALLOWED) == len(statuses) * (len(statuses) - 1)


@pytest.fixture
def case(force):
    return CaseFactory(force=force)


@pytest.fixture
def every_police_role(force):
    return UserFactory(organisation=force, roles=sorted(POLICE_ROLES))


def _transition(case, *, before, after, **kwargs):
    """Put the case in ``before`` behind the service's back, then ask ``case_transition`` for ``after``
    on the row locked, as the services call it."""
    Case.objects.filter(pk=case.pk).update(status=before)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        return case_transition(locked, to=after, **kwargs)


@pytest.mark.parametrize(("before", "after"), FORBIDDEN, ids=[f"{b}->{a}" for b, a in FORBIDDEN])
def test_a_transition_not_in_the_table_is_refused(case, every_police_role, before, after):
    with pytest.raises(CaseError, match="cannot become"):
        _transition(case, before=before, after=after, actor=every_police_role)

    case.refresh_from_db()
    assert case.status == before
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


@pytest.mark.parametrize(("before", "after"), FORBIDDEN, ids=[f"{b}->{a}" for b, a in FORBIDDEN])
def test_a_transition_not_in_the_table_is_refused_to_the_system_too(case, before, after):
    with pytest.raises(CaseError):
        _transition(case, before=before, after=after, system=True)

    case.refresh_from_db()
    assert case.status == before


@pytest.fixture
def user_with_role(force, agency):
    def make(role):
        organisation = agency if role == Role.PARTNER_PRACTITIONER else force
        return UserFactory(organisation=organisation, roles=[role])

    return make


@pytest.mark.parametrize(("before", "after"), ALLOWED, ids=[f"{b}->{a}" for b, a in ALLOWED])
def test_an_allowed_transition_is_refused_to_the_wrong_roles(case, user_with_role, before, after):
    roles = TRANSITIONS[(before, after)]
    wrong = [r for r in (*sorted(POLICE_ROLES), Role.PARTNER_PRACTITIONER) if r not in roles]
    assert wrong  # a partner never holds a police role

    for role in wrong:
        with pytest.raises(CaseError, match="Your role cannot move a case to"):
            _transition(case, before=before, after=after, actor=user_with_role(role))

    with pytest.raises(CaseError):
        _transition(case, before=before, after=after, actor=None)
    case.refresh_from_db()
    assert case.status == before
    assert not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize(("before", "after"), ALLOWED, ids=[f"{b}->{a}" for b, a in ALLOWED])
def test_an_allowed_transition_by_a_permitted_role_moves_the_case_and_records_it(
    case, user_with_role, before, after
):
    role = sorted(TRANSITIONS[(before, after)] - {SYSTEM})[0]
    actor = user_with_role(role)

    assert _transition(case, before=before, after=after, actor=actor, notes="Checked.") is True

    case.refresh_from_db()
    assert case.status == after
    event = CaseEvent.objects.get(case=case)
    assert (event.code, event.actor, event.status_before, event.status_after, event.notes) == (
        EventCode.STATUS_CHANGED,
        actor,
        before,
        after,
        "Checked.",
    )
    audit = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(case.pk))
    assert audit.changes == {"status": [before, after]}
    assert audit.actor == actor


@pytest.mark.parametrize(
    ("before", "after"),
    [pair for pair in ALLOWED if SYSTEM not in TRANSITIONS[pair]],
)
def test_only_a_person_makes_transitions_not_marked_for_the_system(case, before, after):
    with pytest.raises(CaseError, match="Only a person can move a case to"):
        _transition(case, before=before, after=after, system=True)


@pytest.mark.parametrize("status", CaseStatus.values)
def test_asking_for_the_current_status_is_a_no_op(case, every_police_role, status):
    assert _transition(case, before=status, after=status, actor=every_police_role) is False
    assert _transition(case, before=status, after=status, actor=None) is False

    case.refresh_from_db()
    assert case.status == status
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not AuditEvent.objects.exists()


def test_status_changes_on_the_pages_go_through_the_table(client_for, case_worker, force, area):
    """Withdrawing is in the table only before the caution: an active case cannot be withdrawn."""
    active = CaseFactory(force=force, area=area, owner=case_worker, status=CaseStatus.ACTIVE)

    response = client_for(case_worker).post(f"/cases/{active.pk}/withdraw/", {"reason": "No longer needed."})

    assert response.status_code == 400
    assert "cannot become" in response.content.decode()
    active.refresh_from_db()
    assert active.status == CaseStatus.ACTIVE

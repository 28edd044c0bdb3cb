"""The administration pages are scoped to the administrator's own organisation, and nobody but a
superuser grants roles to themselves."""

import pytest
from factories import UserFactory

from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _roles_form(role):
    return {
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-0-role": role,
    }


def test_administrator_cannot_grant_themselves_a_case_role(client_for, administrator):
    client = client_for(administrator)
    page = client.get(f"/admin/accounts/user/{administrator.pk}/change/")
    assert page.status_code == 200
    client.post(
        f"/admin/accounts/user/{administrator.pk}/change/",
        {
            "email": administrator.email,
            "full_name": administrator.full_name,
            "organisation": administrator.organisation_id,
            "is_active": "on",
            **_roles_form("case_worker"),
        },
    )
    assert set(type(administrator).objects.get(pk=administrator.pk).roles) == {Role.ADMINISTRATOR}
    assert client.get("/cases/").status_code == 403


def test_administrator_grants_a_role_to_a_colleague_and_it_is_audited(client_for, administrator, force):
    colleague = UserFactory(organisation=force, roles=[])
    response = client_for(administrator).post(
        f"/admin/accounts/user/{colleague.pk}/change/",
        {
            "email": colleague.email,
            "full_name": colleague.full_name,
            "organisation": force.pk,
            "is_active": "on",
            **_roles_form("case_worker"),
        },
    )
    assert response.status_code == 302
    assert set(type(colleague).objects.get(pk=colleague.pk).roles) == {Role.CASE_WORKER}
    assert AuditEvent.objects.filter(
        actor=administrator, action=AuditAction.CHANGED, object_id=str(colleague.pk)
    )


def test_partner_administrator_cannot_reach_police_users_or_their_passwords(
    client_for, agency, decision_maker
):
    partner_admin = UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR])
    client = client_for(partner_admin)
    assert client.get(f"/admin/accounts/user/{decision_maker.pk}/password/").status_code == 404
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200
    assert decision_maker.email not in listing.content.decode()


def test_partner_administrator_cannot_edit_schemes_or_offences(client_for, agency):
    client = client_for(UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR]))
    assert client.get("/admin/cases/scheme/").status_code == 403
    assert client.get("/admin/cases/offence/").status_code == 403


def test_admin_audit_pages_are_scoped_like_the_audit_log(client_for, administrator, outsider_administrator):
    client_for(outsider_administrator).get("/")  # the outsider's login is an event of the other force
    listing = client_for(administrator).get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert outsider_administrator.email not in listing.content.decode()


def test_failed_sign_in_is_visible_to_the_account_organisations_administrator(
    client, client_for, administrator, case_worker
):
    client.post("/login/", {"username": case_worker.email, "password": "wrong-password-123"})
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.owner_organisation_id == case_worker.organisation_id
    assert event.object_id == str(case_worker.pk)
    page = client_for(administrator).get("/audit/?action=login_failed")
    assert event in page.context["events"]

"""Row-level rules of organisations, areas, users and role assignments."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from factories import AreaFactory, OrganisationFactory, UserFactory

from offenderhub.accounts.models import Organisation, OrganisationKind, Role, RoleAssignment, User


# --- Role assignments ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("organisation", "role"),
    [
        ("force", Role.PARTNER_PRACTITIONER),
        ("force", Role.PARTNER_MANAGER),
        ("force", Role.ANALYST),
        ("agency", Role.CASE_WORKER),
        ("agency", Role.DECISION_MAKER),
        ("agency", Role.SUPERVISOR),
        ("agency", Role.ANALYST),
        ("opcc", Role.CASE_WORKER),
        ("opcc", Role.PARTNER_MANAGER),
    ],
)
def test_organisation_cannot_grant_a_role_of_another_kind(request, organisation, role):
    user = UserFactory(organisation=request.getfixturevalue(organisation))

    with pytest.raises(ValidationError) as error:
        RoleAssignment(user=user, role=role).full_clean()

    assert "role" in error.value.message_dict


@pytest.mark.parametrize(
    ("organisation", "role"),
    [
        ("force", Role.CASE_WORKER),
        ("force", Role.DECISION_MAKER),
        ("force", Role.SUPERVISOR),
        ("force", Role.ADMINISTRATOR),
        ("agency", Role.PARTNER_PRACTITIONER),
        ("agency", Role.PARTNER_MANAGER),
        ("agency", Role.ADMINISTRATOR),
        ("opcc", Role.ANALYST),
        ("opcc", Role.ADMINISTRATOR),
    ],
)
def test_organisation_may_grant_the_roles_of_its_kind(request, organisation, role):
    user = UserFactory(organisation=request.getfixturevalue(organisation))

    RoleAssignment(user=user, role=role).full_clean()


def test_user_without_organisation_may_only_be_administrator(db):
    user = UserFactory(organisation=None)

    RoleAssignment(user=user, role=Role.ADMINISTRATOR).full_clean()
    with pytest.raises(ValidationError):
        RoleAssignment(user=user, role=Role.CASE_WORKER).full_clean()


def test_role_cannot_be_granted_twice(case_worker):
    with pytest.raises(ValidationError):
        RoleAssignment(user=case_worker, role=Role.CASE_WORKER).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=case_worker, role=Role.CASE_WORKER)
    assert case_worker.role_assignments.count() == 1


def test_factory_refuses_a_role_the_organisation_cannot_grant(agency):
    with pytest.raises(ValidationError):
        UserFactory(organisation=agency, roles=[Role.CASE_WORKER])
    assert not RoleAssignment.objects.exists()


def test_roles_and_has_role(force):
    user = UserFactory(organisation=force, roles=[Role.CASE_WORKER, Role.SUPERVISOR])

    user = User.objects.get(pk=user.pk)
    assert user.roles == {Role.CASE_WORKER, Role.SUPERVISOR}
    assert user.has_role(Role.SUPERVISOR, Role.ANALYST)
    assert not user.has_role(Role.ANALYST, Role.DECISION_MAKER)


def test_inactive_user_holds_no_roles(force):
    user = UserFactory(organisation=force, is_active=False, roles=[Role.ADMINISTRATOR])

    user = User.objects.get(pk=user.pk)
    assert user.roles == frozenset()
    assert not user.is_staff
    assert not user.has_perm("accounts.change_user")


# --- Staff status and admin permissions ------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "is_staff"),
    [
        ("administrator", True),
        ("case_worker", False),
        ("decision_maker", False),
        ("supervisor", False),
        ("practitioner", False),
        ("partner_manager", False),
        ("analyst", False),
    ],
)
def test_only_administrators_are_staff(request, who, is_staff):
    assert request.getfixturevalue(who).is_staff is is_staff


def test_superuser_is_staff(db):
    assert User.objects.create_superuser(
        "root@example.org", "correct-horse-battery-9", full_name="Root"
    ).is_staff


def test_administrator_may_manage_users_and_organisations(administrator):
    assert administrator.has_perm("accounts.change_user")
    assert administrator.has_perm("accounts.change_organisation")
    assert administrator.has_perm("audit.view_auditevent")
    assert administrator.has_module_perms("accounts")


def test_only_superusers_add_organisations(administrator):
    assert not administrator.has_perm("accounts.add_organisation")


def test_partner_administrator_may_not_edit_police_reference_data(db, agency):
    partner_admin = UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR])
    assert partner_admin.has_perm("accounts.change_user")
    assert not partner_admin.has_perm("cases.change_offence")
    assert not partner_admin.has_perm("cases.change_scheme")
    assert not partner_admin.has_module_perms("cases")


def test_administrator_may_not_touch_what_is_not_listed(administrator):
    assert not administrator.has_perm("accounts.delete_user")
    assert not administrator.has_perm("audit.change_auditevent")
    assert not administrator.has_perm("audit.delete_auditevent")
    assert not administrator.has_perm("auth.change_group")
    assert not administrator.has_perm("sessions.view_session")
    assert not administrator.has_module_perms("auth")


def test_case_worker_has_no_admin_permissions(case_worker):
    assert not case_worker.has_perm("accounts.change_user")
    assert not case_worker.has_module_perms("accounts")


# --- Email addresses -------------------------------------------------------------------------------
def test_manager_stores_email_in_lower_case(db):
    user = User.objects.create_user("Priya.Shah@Fenshire-Police.EXAMPLE", "correct-horse-battery-9")

    user.refresh_from_db()
    assert user.email == "priya.shah@fenshire-police.example"


def test_clean_stores_email_in_lower_case(force):
    user = UserFactory.build(email="Mixed.Case@Example.ORG", organisation=force)

    user.clean()

    assert user.email == "mixed.case@example.org"


def test_emails_are_unique_regardless_of_case(db):
    User.objects.create(email="A@x.example", full_name="First")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="a@x.example", full_name="Second")
    assert User.objects.count() == 1


def test_full_clean_refuses_an_email_differing_only_in_case(case_worker):
    twin = UserFactory.build(email=case_worker.email.upper(), organisation=case_worker.organisation)
    twin.set_password("correct-horse-battery-9")

    with pytest.raises(ValidationError):
        twin.full_clean()


def test_login_finds_user_whatever_the_case_of_the_email(case_worker):
    assert User.objects.get_by_natural_key(case_worker.email.upper()) == case_worker


# --- Organisations and areas ---------------------------------------------------------------------
def test_user_area_must_belong_to_users_own_force(force, other_force):
    area = AreaFactory(force=other_force)
    user = UserFactory.build(organisation=force, area=area)

    with pytest.raises(ValidationError) as error:
        user.clean()

    assert "area" in error.value.message_dict


def test_user_factory_puts_user_in_the_force_of_their_area(area):
    assert UserFactory(area=area).organisation == area.force


def test_area_belongs_to_a_police_force(agency):
    with pytest.raises(ValidationError):
        AreaFactory(force=agency)


def test_commissioner_office_must_oversee_a_force(db):
    office = Organisation(name="Lonely Commissioner", kind=OrganisationKind.COMMISSIONER_OFFICE)

    with pytest.raises(ValidationError) as error:
        office.full_clean()

    assert "force" in error.value.message_dict


def test_only_a_commissioner_office_oversees_a_force(force):
    with pytest.raises(ValidationError):
        Organisation(name="Agency", kind=OrganisationKind.PARTNER_AGENCY, force=force).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="Agency", kind=OrganisationKind.PARTNER_AGENCY, force=force)


def test_organisation_factory_traits(db):
    office = OrganisationFactory(commissioner_office=True)
    agency = OrganisationFactory(partner_agency=True)

    assert office.kind == OrganisationKind.COMMISSIONER_OFFICE
    assert office.force.is_police_force
    assert agency.is_partner_agency
    assert agency.force is None

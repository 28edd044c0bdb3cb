"""Who may download the pseudonymised case extract, and how it is granted (issue 15, part 5): an
administrator of the person's own organisation grants it on a recorded authority and revokes it,
audited; only an analyst or supervisor holding it sees the form, which records a purpose and a
recipient before each download."""

import pytest
from django.urls import reverse
from factories import UserFactory
from reporting_support import extract_download

from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.models import CaseExtract, ExtractPermission

EXTRACT = reverse("reporting:extract")
PERMISSIONS = reverse("reporting:extract_permissions")


def _permission_urls(user):
    return [
        reverse("reporting:extract_permission", args=[user.pk]),
        reverse("reporting:extract_permission_grant", args=[user.pk]),
        reverse("reporting:extract_permission_revoke", args=[user.pk]),
    ]


@pytest.fixture
def opcc_administrator(opcc):
    return UserFactory(full_name="Ola Admin", organisation=opcc, roles=[Role.ADMINISTRATOR])


# --- The extract -----------------------------------------------------------------------------------
def test_an_analyst_without_the_permission_is_refused(client_for, analyst, build):
    build(outcome="completed")
    client = client_for(analyst)
    assert client.get(EXTRACT).status_code == 403
    assert extract_download(client).status_code == 403
    assert not CaseExtract.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSED).exists()


def test_the_dashboard_links_to_the_extract_only_for_those_permitted(client_for, analyst, permit):
    client = client_for(analyst)
    assert EXTRACT not in client.get(reverse("reporting:dashboard")).content.decode()
    permit(analyst)
    assert EXTRACT in client.get(reverse("reporting:dashboard")).content.decode()


@pytest.mark.parametrize(
    "who", ["practitioner", "partner_manager", "case_worker", "decision_maker", "administrator"]
)
def test_other_roles_get_403_even_with_a_permission_row(client_for, request, who):
    user = request.getfixturevalue(who)
    ExtractPermission.objects.create(user=user, authority="Wrongly recorded", granted_by=user)
    client = client_for(user)
    assert client.get(EXTRACT).status_code == 403
    assert extract_download(client).status_code == 403


def test_a_permitted_analyst_sees_the_form_and_their_extracts(client_for, analyst, permit, build, settings):
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(analyst)
    build(outcome="completed")
    client = client_for(analyst)
    response = client.get(EXTRACT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "What is the extract for?" in html and "Who will receive it?" in html
    assert "k-anonymity" in html
    extract_download(client, recipient="University of Fenshire evaluation team").getvalue()
    assert "University of Fenshire evaluation team" in client.get(EXTRACT).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"purpose": ""}, "purpose", "Enter what the extract is for"),
        ({"purpose": "   "}, "purpose", "Enter what the extract is for"),
        ({"recipient": ""}, "recipient", "Enter who will receive the extract"),
        ({"opened_in": "1066"}, "opened_in", "Choose a year from the list"),
        ({"recipient": "x" * 301}, "recipient", "at most 300 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_recorded(
    client_for, analyst, permit, build, data, field, message
):
    permit(analyst)
    build(outcome="completed")
    response = extract_download(client_for(analyst), **data)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not CaseExtract.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSED).exists()


def test_an_analyst_of_another_office_gets_their_own_forces_cases_only(
    client_for, permit, build, build_other, other_force, settings
):
    from factories import OrganisationFactory
    from reporting_support import csv_rows

    from reporting.pseudonyms import pseudonym

    settings.DISCLOSURE_MIN_COHORT = 1
    office = OrganisationFactory(
        commissioner_office=True, name="Marshire Commissioner Office", force=other_force
    )
    outsider = UserFactory(organisation=office, roles=[Role.ANALYST])
    permit(outsider)
    build(outcome="completed")
    theirs = build_other(outcome="completed")
    rows = csv_rows(extract_download(client_for(outsider)))[1:]
    assert [row[0] for row in rows] == [pseudonym("case", theirs.pk)]
    assert CaseExtract.objects.get().force == other_force


def test_each_download_is_a_disclosure_of_its_own(client_for, analyst, permit, build, settings):
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(analyst)
    build(outcome="completed")
    client = client_for(analyst)
    for recipient in ["OPCC performance team", "University of Fenshire"]:
        extract_download(client, recipient=recipient).getvalue()
    assert list(CaseExtract.objects.order_by("pk").values_list("recipient", "rows_sent")) == [
        ("OPCC performance team", 1),
        ("University of Fenshire", 1),
    ]
    events = AuditEvent.objects.filter(action=AuditAction.DISCLOSED).order_by("pk")
    assert [e.object_label for e in events] == [
        f"Pseudonymised case extract #{e.pk}" for e in CaseExtract.objects.order_by("pk")
    ]


def test_a_revoked_permission_stops_the_next_download(client_for, analyst, permit, opcc_administrator):
    permit(analyst)
    client = client_for(analyst)
    assert client.get(EXTRACT).status_code == 200
    client_for(opcc_administrator).post(reverse("reporting:extract_permission_revoke", args=[analyst.pk]))
    assert client.get(EXTRACT).status_code == 403


# --- Granting and revoking -------------------------------------------------------------------------
def test_an_administrator_grants_the_permission_on_a_recorded_authority(
    client_for, analyst, opcc_administrator
):
    client = client_for(opcc_administrator)
    page = client.get(PERMISSIONS)
    assert page.status_code == 200
    assert analyst.full_name in page.content.decode()
    grant = reverse("reporting:extract_permission_grant", args=[analyst.pk])

    refused = client.post(grant, {"authority": ""})
    assert refused.status_code == 400
    assert "Enter on whose authority and why the permission is granted" in refused.content.decode()
    assert not ExtractPermission.objects.exists()

    response = client.post(grant, {"authority": "Data sharing agreement DSA-2027-04, approved by the DPO"})
    assert response.status_code == 302
    permission = ExtractPermission.objects.get()
    assert (permission.user, permission.granted_by, permission.revoked_at) == (
        analyst,
        opcc_administrator,
        None,
    )
    assert permission.authority == "Data sharing agreement DSA-2027-04, approved by the DPO"
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(analyst.pk))
    assert event.actor == opcc_administrator
    assert event.changes == {"pseudonymised case extract": ["not permitted", "permitted"]}
    assert "DSA-2027-04" not in event.reason  # what was typed stays on the permission

    again = client.post(grant, {"authority": "Again"})  # a double submit changes nothing
    assert again.status_code == 302
    assert ExtractPermission.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CHANGED).count() == 1


def test_an_administrator_revokes_it_and_the_history_is_kept(client_for, analyst, opcc_administrator, permit):
    permission = permit(analyst)
    client = client_for(opcc_administrator)
    revoke = reverse("reporting:extract_permission_revoke", args=[analyst.pk])
    assert client.post(revoke).status_code == 302
    permission.refresh_from_db()
    assert permission.revoked_by == opcc_administrator and permission.revoked_at is not None
    assert client.post(revoke).status_code == 302  # again: nothing changes
    events = AuditEvent.objects.filter(action=AuditAction.CHANGED, object_id=str(analyst.pk))
    assert [e.changes for e in events] == [{"pseudonymised case extract": ["permitted", "not permitted"]}]
    page = client.get(reverse("reporting:extract_permission", args=[analyst.pk])).content.decode()
    assert "Data sharing agreement DSA-7" in page and "Grant the permission" in page


def test_a_supervisor_may_be_granted_it_by_their_forces_administrator(client_for, supervisor, administrator):
    client = client_for(administrator)
    assert supervisor.full_name in client.get(PERMISSIONS).content.decode()
    client.post(
        reverse("reporting:extract_permission_grant", args=[supervisor.pk]), {"authority": "Force DPO"}
    )
    assert ExtractPermission.objects.filter(user=supervisor, revoked_at=None).exists()


def test_an_administrator_cannot_grant_it_to_themselves(client_for, opcc):
    both = UserFactory(organisation=opcc, roles=[Role.ADMINISTRATOR, Role.ANALYST])
    client = client_for(both)
    page = client.get(reverse("reporting:extract_permission", args=[both.pk]))
    assert "Another administrator of your organisation changes your own permission" in page.content.decode()
    response = client.post(reverse("reporting:extract_permission_grant", args=[both.pk]), {"authority": "Me"})
    assert response.status_code == 400
    assert "Another administrator must change your own permission" in response.content.decode()
    assert not ExtractPermission.objects.exists()


def test_another_organisations_people_are_a_404(client_for, analyst, outsider_administrator, administrator):
    """The force's administrator does not manage the commissioner's office's analysts, nor another
    force's administrator the force's supervisors; someone who does not read the reports is not listed."""
    for admin in [outsider_administrator, administrator]:
        client = client_for(admin)
        assert analyst.full_name not in client.get(PERMISSIONS).content.decode()
        page, grant, revoke = _permission_urls(analyst)
        assert client.get(page).status_code == 404
        assert client.post(grant, {"authority": "x"}).status_code == 404
        assert client.post(revoke).status_code == 404
    assert (
        client_for(administrator)
        .get(reverse("reporting:extract_permission", args=[administrator.pk]))
        .status_code
        == 404
    )
    assert not ExtractPermission.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "supervisor", "case_worker", "practitioner"])
def test_only_administrators_manage_the_permission(client_for, request, analyst, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(PERMISSIONS).status_code == 403
    for url in _permission_urls(analyst):
        assert client.post(url, {"authority": "x"}).status_code == 403, url
    assert not ExtractPermission.objects.exists()


def test_the_administrators_navigation_links_to_the_permissions(client_for, opcc_administrator, practitioner):
    assert PERMISSIONS in client_for(opcc_administrator).get(reverse("core:home")).content.decode()
    agency_admin = UserFactory(organisation=practitioner.organisation, roles=[Role.ADMINISTRATOR])
    assert PERMISSIONS not in client_for(agency_admin).get(reverse("core:home")).content.decode()

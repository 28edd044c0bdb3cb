"""/cases/schemes/: the force's administrators list their schemes and change a scheme's rules through
a form, checking the effect on undecided cases before saving (issue 14, part 8)."""

import re

import pytest
from factories import ABH, CaseFactory, CaseOffenceFactory, OffenceFactory, SchemeFactory, UserFactory
from pytest_django.asserts import assertContains, assertNotContains

from cases import services
from cases.models import Scheme, SchemeChange
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/cases/schemes/"
REASON = "The board agreed to the change."
# Signing in (session, user, roles, second factor), the page's frame, and the page's own read: the
# same however many schemes the force has.
LIST_QUERIES = 6
RULES_FORM_QUERIES = 6


def rules_url(scheme):
    return f"/cases/schemes/{scheme.pk}/rules/"


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH", maximum_gravity=3)


def post_data(scheme, action="check", checked="", reason="", **changes) -> dict:
    """The rules form as posted: the scheme's rules with ``changes`` (lists as repeated values, booleans
    as "on" or absent, blank numbers as "")."""
    data = {"action": action, "checked": checked, "reason": reason}
    for name in services.SCHEME_RULE_FIELDS:
        value = changes.get(name, getattr(scheme, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = value
        else:
            data[name] = "" if value is None else str(value)
    return data


def checked_then_saved(client, scheme, **changes):
    """Check the effect of ``changes``, then save them as the page offers."""
    checked = client.post(rules_url(scheme), post_data(scheme, **changes))
    assert checked.status_code == 200
    fingerprint = checked.context["form"]["checked"].value()
    return client.post(
        rules_url(scheme), post_data(scheme, action="save", checked=fingerprint, reason=REASON, **changes)
    )


def test_an_administrator_lists_the_forces_schemes_and_not_another_forces(
    client_for, administrator, scheme, other_force
):
    SchemeFactory(force=other_force, name="Marshire Scheme")
    response = client_for(administrator).get(LIST)
    assertContains(response, "Offender Hub")
    assertContains(response, rules_url(scheme))
    assertNotContains(response, "Marshire Scheme")


def test_the_form_shows_each_rule_as_a_labelled_field(client_for, administrator, scheme):
    response = client_for(administrator).get(rules_url(scheme))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="compliance_period_max_days" value="140" inputmode="numeric"' in page
    assert "At most 140 (20 weeks)" in page
    assert 'for="id_compliance_period_max_days"' in page  # labelled
    checkboxes = re.findall(r'type="checkbox"\s+name="(\w+)"[^>]*?value="(\w+)"\s+(checked)?', page)
    assert ("excluded_offence_groups", "sexual", "checked") in checkboxes
    assert ("excluded_offence_groups", "violence", "") in checkboxes
    assert ("excluded_flags", "hate_crime", "") in checkboxes
    assert "Check the effect" in page and "Save the rules" not in page


def test_checking_shows_the_cases_the_rules_would_make_ineligible_and_saves_nothing(
    client_for, administrator, scheme
):
    case = CaseFactory(force=scheme.force, scheme=scheme)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))

    response = client_for(administrator).post(rules_url(scheme), post_data(scheme, maximum_gravity=2))

    assert response.status_code == 200
    assertContains(response, case.reference)
    assertContains(response, "1 undecided case would become ineligible")
    assertContains(response, "Save the rules")
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3
    assert AuditEvent.objects.filter(action=AuditAction.VIEWED, object_id=str(scheme.pk)).exists()


def test_checked_rules_are_saved_and_audited_the_reason_kept_in_history(client_for, administrator, scheme):
    client = client_for(administrator)
    response = checked_then_saved(client, scheme, maximum_gravity=2, excluded_flags=["weapon"])

    assert response.status_code == 302 and response.url == LIST
    scheme.refresh_from_db()
    assert (scheme.maximum_gravity, scheme.excluded_flags) == (2, ["weapon"])
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(scheme.pk))
    assert event.changes == {"maximum_gravity": ["3", "2"], "excluded_flags": ["none", "Weapon involved"]}
    assert REASON not in event.reason  # kept with the scheme's history, never in the audit log
    assert SchemeChange.objects.get(scheme=scheme).reason == REASON
    assertContains(client.get(LIST), "were changed: highest gravity score accepted")


def test_rules_changed_after_the_check_are_checked_again_not_saved(client_for, administrator, scheme):
    client = client_for(administrator)
    checked = client.post(rules_url(scheme), post_data(scheme, maximum_gravity=2))
    fingerprint = checked.context["form"]["checked"].value()

    response = client.post(
        rules_url(scheme),
        post_data(scheme, action="save", checked=fingerprint, reason=REASON, maximum_gravity=1),
    )

    assert response.status_code == 200
    assertContains(response, "The effect of these rules")
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3


def test_saving_the_same_rules_changes_nothing(client_for, administrator, scheme):
    client = client_for(administrator)
    checked = client.post(rules_url(scheme), post_data(scheme))
    assertContains(checked, "saving changes nothing")
    fingerprint = checked.context["form"]["checked"].value()
    response = client.post(
        rules_url(scheme), post_data(scheme, action="save", checked=fingerprint, reason=REASON)
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()
    assertContains(client.get(LIST), "Nothing was changed")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"compliance_period_max_days": 141}, "exceptionally 20 weeks (140 days), and no longer"),
        ({"maximum_gravity": 5}, "Enter a gravity score from 1 (low) to 4 (high)."),
        ({"compliance_period_default_days": 126, "compliance_period_max_days": 112}, "cannot be longer than"),
        ({"breach_decision_days": -3}, "Enter a number of days from 1 to 90."),
        ({"minimum_age": "eighteen"}, "Enter a whole number."),
        ({"excluded_offence_groups": ["piracy"]}, "Select a valid choice"),
    ],
)
def test_rules_outside_their_limits_are_refused_with_a_message_and_nothing_saved(
    client_for, administrator, scheme, changes, message
):
    client = client_for(administrator)
    for action in ("check", "save"):
        response = client.post(rules_url(scheme), post_data(scheme, action=action, reason=REASON, **changes))
        assert response.status_code == 400
        assertContains(response, message, status_code=400)
    assert Scheme.objects.get(pk=scheme.pk).compliance_period_max_days == 140
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_saving_without_a_reason_is_refused_with_a_message(client_for, administrator, scheme):
    client = client_for(administrator)
    checked = client.post(rules_url(scheme), post_data(scheme, maximum_gravity=2))
    fingerprint = checked.context["form"]["checked"].value()
    response = client.post(
        rules_url(scheme), post_data(scheme, action="save", checked=fingerprint, maximum_gravity=2)
    )
    assertContains(response, "Give the reason for changing the rules.", status_code=400)
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3


def test_another_forces_scheme_is_not_found(client_for, outsider_administrator, scheme):
    client = client_for(outsider_administrator)
    assert client.get(rules_url(scheme)).status_code == 404
    assert client.post(rules_url(scheme), post_data(scheme, maximum_gravity=2)).status_code == 404
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3


@pytest.mark.parametrize("who", ["case_worker", "decision_maker", "supervisor", "partner_manager", "analyst"])
def test_other_roles_are_refused(client_for, request, scheme, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert client.get(rules_url(scheme)).status_code == 403
    assert client.post(rules_url(scheme), post_data(scheme, maximum_gravity=2)).status_code == 403
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3


def test_a_partner_agencys_administrator_is_refused(client_for, agency, scheme):
    client = client_for(UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR]))
    assert client.get(LIST).status_code == 403
    assert client.get(rules_url(scheme)).status_code == 403


def test_the_navigation_offers_schemes_to_a_forces_administrator_only(client_for, administrator, agency):
    assertContains(client_for(administrator).get("/jobs/"), f'href="{LIST}"')
    partner_admin = UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR])
    assertNotContains(client_for(partner_admin).get("/audit/"), f'href="{LIST}"')


def test_the_pages_make_the_same_queries_however_many_schemes_and_cases(
    client_for, administrator, scheme, django_assert_num_queries
):
    client = client_for(administrator)
    for _ in range(2):
        with django_assert_num_queries(LIST_QUERIES):
            assert client.get(LIST).status_code == 200
        with django_assert_num_queries(RULES_FORM_QUERIES):
            assert client.get(rules_url(scheme)).status_code == 200
        SchemeFactory(force=scheme.force)
        case = CaseFactory(force=scheme.force, scheme=scheme)
        CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))


# --- The Django admin: rules read-only once the scheme exists, checked when it is added --------------


def test_the_admin_shows_an_existing_schemes_rules_read_only_with_a_link_to_the_rules_page(
    client_for, administrator, scheme
):
    client = client_for(administrator)
    page = client.get(f"/admin/cases/scheme/{scheme.pk}/change/")
    assertContains(page, rules_url(scheme))
    assertNotContains(page, 'name="maximum_gravity"')
    assertNotContains(page, 'name="excluded_offence_groups"')


def test_the_admin_refuses_a_new_scheme_with_rules_outside_their_limits(client_for, administrator, force):
    from cases.models import DisposalType

    data = {
        "force": force.pk,
        "name": "Too long",
        "code": "TL",
        "disposal_type": DisposalType.objects.get(code="deferred-prosecution").pk,
        "compliance_period_default_days": "112",
        "compliance_period_max_days": "150",
        "minimum_age": "18",
        "maximum_gravity": "3",
        "excluded_offence_groups": "[]",
        "excluded_flags": "[]",
        "prosecutor_authority_for": "[]",
        "breach_decision_days": "10",
        "reminder_lead_days": "7",
        "victim_notification_days": "5",
        "is_active": "on",
    }
    client = client_for(administrator)
    response = client.post("/admin/cases/scheme/add/", data)
    assertContains(response, "and no longer")
    assert not Scheme.objects.filter(code="TL").exists()

    response = client.post("/admin/cases/scheme/add/", {**data, "compliance_period_max_days": "140"})
    assert response.status_code == 302
    assert Scheme.objects.get(code="TL").compliance_period_max_days == 140

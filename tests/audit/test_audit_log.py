"""The append-only audit log: what a view records, what cannot be changed, and who may search it."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from factories import UserFactory
from pytest_django.asserts import assertContains, assertNotContains

from offenderhub.accounts.models import Organisation, Role
from offenderhub.audit.models import AuditAction, AuditEvent, AuditLogIsAppendOnly
from offenderhub.audit.services import SYSTEM_ACTOR_LABEL, audit_record, field_changes


def _event_ids(response):
    return {event.pk for event in response.context["events"]}


# --- What is recorded ----------------------------------------------------------------------------
def test_viewing_organisation_page_records_who_viewed_it_from_where_and_why(client_for, supervisor, force):
    client = client_for(supervisor)

    response = client.get(
        f"/organisations/{force.pk}/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140.0"
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.VIEWED)
    assert event.actor == supervisor
    assert event.actor_label == supervisor.email
    assert event.actor_organisation == force
    assert event.owner_organisation == force
    assert event.content_type == ContentType.objects.get_for_model(Organisation)
    assert event.object_id == str(force.pk)
    assert event.object_label == f"Organisation #{force.pk}"
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == "Firefox/140.0"
    assert event.path == f"/organisations/{force.pk}/"
    assert event.reason == "Team membership reviewed"


def test_system_actions_are_recorded_as_system(force):
    event = audit_record(actor=None, action=AuditAction.CHANGED, obj=force, reason="Nightly sweep")

    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == SYSTEM_ACTOR_LABEL
    assert event.actor_organisation is None
    assert event.ip_address is None


def test_erasure_record_keeps_no_erased_content(supervisor, force):
    event = audit_record(
        actor=supervisor,
        action=AuditAction.ERASED,
        obj=force,
        changes={"full_name": ["Jo Bloggs", None]},
        reason="Retention period ended",
    )

    event.refresh_from_db()
    assert event.changes == {}
    assert event.reason == "Retention period ended"


def test_changes_are_kept_for_other_actions(supervisor, force):
    event = audit_record(
        actor=supervisor, action=AuditAction.CHANGED, obj=force, changes={"name": ["A", "B"]}
    )

    event.refresh_from_db()
    assert event.changes == {"name": ["A", "B"]}


def test_field_changes_lists_only_changed_fields_as_strings():
    before = {"status": "open", "due": date(2026, 1, 5), "owner": None, "notes": "same"}
    after = {"status": "closed", "due": date(2026, 1, 5), "owner": 7, "notes": "same", "area": None}

    assert field_changes(before, after) == {"status": ["open", "closed"], "owner": [None, "7"]}


def test_field_changes_of_identical_values_is_empty():
    assert field_changes({"a": 1}, {"a": 1}) == {}


# --- Append-only ---------------------------------------------------------------------------------
@pytest.fixture
def event(supervisor, force):
    return audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=force, reason="Original reason")


def test_audit_event_cannot_be_changed(event):
    event.reason = "Rewritten"

    with pytest.raises(AuditLogIsAppendOnly):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


def test_audit_event_cannot_be_deleted(event):
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(reason="Rewritten")

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_administrator_cannot_delete_audit_event_in_admin(client_for, administrator, event):
    response = client_for(administrator).post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_administrator_cannot_change_audit_event_in_admin(client_for, administrator, event):
    client_for(administrator).post(f"/admin/audit/auditevent/{event.pk}/change/", {"reason": "Rewritten"})

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


# --- Who may search the log --------------------------------------------------------------------------
def test_administrator_can_open_audit_log(client_for, administrator, event):
    response = client_for(administrator).get("/audit/")

    assert response.status_code == 200
    assert event.pk in _event_ids(response)
    assertContains(response, "Original reason")


@pytest.mark.parametrize(
    "who", ["case_worker", "decision_maker", "supervisor", "practitioner", "partner_manager", "analyst"]
)
def test_other_roles_cannot_open_audit_log(request, client_for, who):
    response = client_for(request.getfixturevalue(who)).get("/audit/")

    assert response.status_code == 403


def test_case_worker_cannot_open_audit_log(client_for, case_worker, event):
    response = client_for(case_worker).get("/audit/")

    assert response.status_code == 403
    assertNotContains(response, "Original reason", status_code=403)


def test_administrator_of_another_force_does_not_see_this_forces_events(
    client_for, outsider_administrator, event, supervisor
):
    response = client_for(outsider_administrator).get("/audit/")

    assert response.status_code == 200
    visible = AuditEvent.objects.filter(pk__in=_event_ids(response))
    assert event.pk not in _event_ids(response)
    assert not visible.filter(actor_organisation=supervisor.organisation).exists()
    assertNotContains(response, supervisor.email)


def test_administrator_sees_events_about_own_organisation_by_outsiders(
    client_for, administrator, outsider_supervisor, force
):
    about_force = audit_record(actor=outsider_supervisor, action=AuditAction.DISCLOSED, obj=force)

    response = client_for(administrator).get("/audit/")

    assert about_force.pk in _event_ids(response)


def test_administrator_without_organisation_sees_no_ones_events(client_for, event, supervisor, force):
    administrator = UserFactory(organisation=None, roles=[Role.ADMINISTRATOR])
    audit_record(actor=supervisor, action=AuditAction.LOGIN)

    response = client_for(administrator).get("/audit/")

    assert response.status_code == 200
    visible = AuditEvent.objects.filter(pk__in=_event_ids(response))
    assert not visible.exclude(actor=administrator).exists()


def test_filtering_by_record_shows_who_has_accessed_it(
    client_for, administrator, supervisor, decision_maker, force, agency
):
    seen = [
        audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=force),
        audit_record(actor=decision_maker, action=AuditAction.VIEWED, obj=force),
        audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force),
    ]
    other_record = audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=agency)
    content_type = ContentType.objects.get_for_model(Organisation)

    response = client_for(administrator).get(
        "/audit/", {"content_type": content_type.pk, "object_id": force.pk}
    )

    assert response.status_code == 200
    assert _event_ids(response) == {e.pk for e in seen}
    assert other_record.pk not in _event_ids(response)
    assertContains(response, decision_maker.email)
    assertContains(response, "3 events")


def test_filtering_by_actor_and_action(client_for, administrator, supervisor, decision_maker, force):
    wanted = audit_record(actor=decision_maker, action=AuditAction.EXPORTED, obj=force)
    audit_record(actor=decision_maker, action=AuditAction.VIEWED, obj=force)
    audit_record(actor=supervisor, action=AuditAction.EXPORTED, obj=force)

    response = client_for(administrator).get("/audit/", {"actor": decision_maker.email, "action": "exported"})

    assert _event_ids(response) == {wanted.pk}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"occurred_from": "not-a-date"}, "Enter a valid date."),
        ({"occurred_to": "2026-13-45"}, "Enter a valid date."),
        ({"action": "tampered"}, "Select a valid choice."),
        ({"content_type": "x"}, "Select a valid choice."),
    ],
)
def test_invalid_filter_shows_an_error_not_a_crash(client_for, administrator, event, query, message):
    response = client_for(administrator).get("/audit/", query)

    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert _event_ids(response) == set()
    assertContains(response, "<title>Error: Audit log")
    assertContains(response, "govuk-error-message")
    assertContains(response, message)


def _audit_log_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/audit/?action=changed")
    assert response.status_code == 200
    return len(queries), len(response.context["events"])


def test_audit_log_queries_do_not_grow_with_events(
    client_for, administrator, supervisor, force, django_assert_max_num_queries
):
    client = client_for(administrator)
    for _ in range(5):
        audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force, changes={"name": ["A", "B"]})
    client.get("/audit/")  # warm the content-type cache
    with_five = _audit_log_queries(client)

    for _ in range(45):
        audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force, changes={"name": ["B", "C"]})
    # The page's reads plus one append (lock the audit chain's head, insert): this consultation of the
    # log is itself recorded.
    with django_assert_max_num_queries(13):  # 12, plus the inbox's unread count in the navigation
        with_fifty = _audit_log_queries(client)

    assert with_five[1] == 5
    assert with_fifty[1] == 50
    assert with_fifty[0] == with_five[0]


def test_opening_the_audit_log_is_itself_recorded(client_for, administrator):
    client = client_for(administrator)
    response = client.get("/audit/?action=login")
    assert response.status_code == 200
    recorded = AuditEvent.objects.filter(
        actor=administrator, action=AuditAction.VIEWED, object_label="Audit log"
    )
    assert recorded.count() == 1
    assert "action=login" in recorded.get().reason

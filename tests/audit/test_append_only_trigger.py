"""On PostgreSQL the database itself refuses to rewrite the audit log, whatever the ORM does: even
the table's owner (the role migrations run as), whose privileges would allow it, meets the trigger.
The app's own role is refused before that, by its privileges (test_db_roles.py)."""

import psycopg
import pytest

from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import audit_record

# Committed rows, changed from the owner's own connection.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def event(supervisor, force):
    return audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=force, reason="Original reason")


def test_database_refuses_update_of_audit_rows_even_by_the_owner(event, owner_sql):
    with pytest.raises(psycopg.Error, match="append-only"):
        owner_sql("UPDATE audit_auditevent SET reason = 'x'")

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


def test_database_refuses_delete_of_audit_rows_even_by_the_owner(event, owner_sql):
    with pytest.raises(psycopg.Error, match="append-only"):
        owner_sql("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_database_still_accepts_new_audit_rows(event, supervisor, force):
    audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force)

    assert AuditEvent.objects.count() == 2

"""On PostgreSQL the database itself refuses to rewrite the audit log, whatever the ORM does."""

import os

import pytest
from django.db import DatabaseError, connection, transaction

from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import audit_record

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("The append-only trigger must be tested on PostgreSQL in CI.", pytrace=False)
        pytest.skip("The append-only trigger exists on PostgreSQL only.")


@pytest.fixture
def event(supervisor, force):
    return audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=force, reason="Original reason")


def test_database_refuses_update_of_audit_rows(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET reason = 'x'")

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


def test_database_refuses_delete_of_audit_rows(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_database_still_accepts_new_audit_rows(event, supervisor, force):
    audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force)

    assert AuditEvent.objects.count() == 2

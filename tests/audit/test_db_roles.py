"""The role the web app and the workers connect as (DATABASE_URL) may read and append the audit log
and nothing more on it: not owner, not superuser; the owner (MIGRATION_DATABASE_URL) runs the
migrations and grants it the rest. These run in CI, where the suite connects as the app's role
(.ci/run, tests/db_roles_support.py); elsewhere they need both URLs set."""

import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from offenderhub.audit.database_roles import owner_credentials
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import audit_record

pytestmark = pytest.mark.postgres

AUDIT_TABLES = {"audit_auditevent", "audit_auditchainhead"}


@pytest.fixture(autouse=True)
def _two_roles():
    if owner_credentials() is None or connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run the suite as the app's role: set MIGRATION_DATABASE_URL.", pytrace=False)
        pytest.skip("needs the app's role and the owner's: DATABASE_URL and MIGRATION_DATABASE_URL")


@pytest.fixture
def event(supervisor, force):
    return audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=force, reason="Original reason")


def _fetch(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditevent",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET reason = 'Rewritten'",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "DROP TABLE audit_auditevent",
        "SET session_replication_role = replica",
        "DELETE FROM audit_auditchainhead",
        "TRUNCATE audit_auditchainhead",
    ],
    ids=lambda statement: statement.split(" SET ")[0].split(" TO ")[0],
)
def test_the_app_role_cannot_rewrite_or_remove_the_audit_log(event, statement):
    with (
        pytest.raises(DatabaseError, match="permission denied|must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert AuditEvent.objects.get(pk=event.pk).reason == "Original reason"


def test_the_app_role_cannot_grant_itself_more_on_the_audit_log(db):
    with connection.cursor() as cursor:
        cursor.execute("GRANT UPDATE, DELETE ON audit_auditevent TO CURRENT_USER")  # only a warning

    assert _fetch("SELECT has_table_privilege(current_user, 'audit_auditevent', 'UPDATE')") == (False,)


def test_the_app_role_reads_and_appends_the_audit_log(event, supervisor, force):
    audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force)

    assert AuditEvent.objects.count() == 2


def test_the_app_role_is_neither_superuser_nor_owner_and_creates_nothing(db):
    user, superuser, createdb, createrole = _fetch(
        "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )
    owner = _fetch("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")[0]

    assert user == connection.settings_dict["USER"] != owner_credentials()["USER"]
    assert not superuser and not createdb and not createrole
    assert owner != user
    assert _fetch("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')") == (False,)


def test_every_other_table_is_granted_to_the_app_role_and_the_audit_log_only_read_and_append(db):
    """A table a migration adds is granted by the owner's default privileges; one missing fails here
    and in whichever test first uses it."""
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, has_table_privilege(current_user, tablename, 'SELECT'),"
            " has_table_privilege(current_user, tablename, 'INSERT'),"
            " has_table_privilege(current_user, tablename, 'UPDATE'),"
            " has_table_privilege(current_user, tablename, 'DELETE'),"
            " has_table_privilege(current_user, tablename, 'TRUNCATE')"
            " FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [sorted(tables)],
        )
        privileges = {name: rest for name, *rest in cursor.fetchall()}

    assert set(privileges) == tables
    for table, (select, insert, update, delete, truncate) in privileges.items():
        if table in ("audit_auditevent", "audit_auditchaincheckpoint"):
            assert (select, insert, update, delete, truncate) == (True, True, False, False, False)
        elif table == "audit_auditchainhead":
            assert (select, insert, update, delete, truncate) == (True, True, True, False, False)
        else:
            assert (select, insert, update, delete, truncate) == (True, True, True, True, False), table


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrate_takes_back_a_privilege_added_by_hand_to_the_audit_log(owner_sql):
    role = connection.settings_dict["USER"]
    owner_sql(f'GRANT UPDATE, DELETE ON audit_auditevent TO "{role}"')
    assert _fetch("SELECT has_table_privilege(current_user, 'audit_auditevent', 'UPDATE')") == (True,)

    call_command("migrate", verbosity=0)

    assert _fetch("SELECT has_table_privilege(current_user, 'audit_auditevent', 'UPDATE')") == (False,)
    assert _fetch("SELECT has_table_privilege(current_user, 'audit_auditevent', 'DELETE')") == (False,)
    assert _fetch("SELECT current_user") == (role,)  # back to the app's role after migrating

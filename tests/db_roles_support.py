"""The suite connects to PostgreSQL as the web app does: as the app's role, which may only read and
append the audit log (offenderhub/audit/database_roles.py). With ``MIGRATION_DATABASE_URL`` set (CI
sets it, see .ci/run), each test database is created, migrated and dropped by the owner, and the
tests then run as ``DATABASE_URL``'s role, so a table the migrations forgot to grant fails here.

The owner also empties the database after each transactional test (Django's ``flush`` truncates
every table, which the app's role may not do to the audit log). Without ``MIGRATION_DATABASE_URL``
(SQLite, or one PostgreSQL role for everything) nothing changes.

The fixtures are imported by tests/conftest.py; ``owner_sql`` is for the tests that act as the owner
or a superuser on purpose (tampering with the audit log, the append-only trigger).
"""

from contextlib import closing

import pytest
from django.core.management.commands import flush
from django.db import connection

from offenderhub.audit.database_roles import as_owner, credentials_use, owner_credentials


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """pytest-django's own (a test database per xdist worker), then connected as the owner to create
    and migrate it. Returns the app's credentials, to go back to."""
    owner = owner_credentials()
    return credentials_use(owner) if owner else None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_modify_db_settings):
    """The test databases made (by the owner); then the tests connect as the app's role, until the
    owner drops the databases at the end. Flushes run as the owner meanwhile."""
    app = django_db_modify_db_settings
    if app is None:
        yield
        return
    owner = credentials_use(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", _flush_as_owner(flush.Command.handle))
        yield
    credentials_use(owner)


def _flush_as_owner(handle):
    def flush_handle(self, **options):
        with as_owner(options["database"]):
            return handle(self, **options)

    return flush_handle


def owner_settings() -> dict:
    """The test database's connection settings as the owner (the app's own without two roles)."""
    return {**connection.settings_dict, **(owner_credentials() or {})}


@pytest.fixture
def owner_sql():
    """``owner_sql(statement, params=None)``: run SQL on the test database as its owner (on
    PostgreSQL its own connection, committed at once: the test needs ``transaction=True`` for it to
    see and leave committed rows) and return the rows, if any. On SQLite, the test's connection."""
    if connection.vendor != "postgresql":

        def run_here(statement, params=None):
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else None

        yield run_here
        return

    import psycopg

    db = owner_settings()
    owner = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )

    def run(statement, params=None):
        with owner.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    with closing(owner):
        yield run

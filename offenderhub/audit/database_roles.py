"""Two database roles on PostgreSQL: the owner, which migrations run as, and the app's role, which the
web app and the workers connect as and which may read and append the audit log but never change,
delete, truncate, alter or drop it (README.md, "Database roles").

``DATABASE_URL`` names the app's role and ``MIGRATION_DATABASE_URL`` the owner (same database).
``manage.py migrate`` connects as the owner (``as_owner``) and, after every migration run, grants
the app's role (``DATABASE_APP_ROLE``) what it needs: read and write on every table and sequence,
now and in future (default privileges), except the audit log and its chain head.

The grants are made after every ``migrate`` (a ``post_migrate`` handler), not once in a migration:
so a database restored without its privileges (``pg_restore --no-privileges``), a table rebuilt, or
an app role renamed is put right by the next ``migrate``, and a privilege added by hand to the audit
table is taken away again. The suite runs as the app's role on PostgreSQL in CI, so a table the app
cannot use fails CI.

Without ``MIGRATION_DATABASE_URL`` (SQLite, or one PostgreSQL role for everything on a laptop),
nothing is swapped and nothing granted.
"""

from contextlib import contextmanager

import environ
from django.conf import settings
from django.db import connections

AUDIT_TABLE = "audit_auditevent"
CHAIN_HEAD_TABLE = "audit_auditchainhead"
CHECKPOINT_TABLE = "audit_auditchaincheckpoint"
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_credentials() -> dict | None:
    """The owner's user, password, host and port from ``MIGRATION_DATABASE_URL``, or ``None``."""
    url = getattr(settings, "MIGRATION_DATABASE_URL", "")
    if not url:
        return None
    config = environ.Env.db_url_config(url)
    return {key: config.get(key, "") for key in CREDENTIALS}


def credentials_use(credentials: dict, *, using: str = "default") -> dict:
    """Connect ``using`` with these credentials from its next query on (same database); returns the
    ones it had. The connection is closed when they change."""
    connection = connections[using]
    previous = {key: connection.settings_dict.get(key, "") for key in CREDENTIALS}
    if credentials != previous:
        connection.close()
        connection.settings_dict.update(credentials)
    return previous


@contextmanager
def as_owner(using: str = "default"):
    """Inside, ``using`` connects as the database owner (when ``MIGRATION_DATABASE_URL`` is set)."""
    owner = owner_credentials()
    if owner is None:
        yield
        return
    previous = credentials_use(owner, using=using)
    try:
        yield
    finally:
        credentials_use(previous, using=using)


def app_role_grant(*, using: str = "default") -> bool:
    """Grant the app's role what it needs, as the owner. Returns whether anything was granted (only
    on PostgreSQL, with ``DATABASE_APP_ROLE`` set to a role other than the one connected)."""
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    connection = connections[using]
    if connection.vendor != "postgresql" or not role:
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current, schema = cursor.fetchone()
        if role == current:
            return False
        app, schema = quote(role), quote(schema)
        defaults = f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT"
        for statement in [
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            # UPDATE lets bulk loaders (seed_volume) move a sequence past the ids they wrote. On the
            # audit table's id sequence it can only cause a gap or a refused insert, never a changed
            # row: the chain numbers rows with its own `sequence`, which audit_verify checks.
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            # Tables and sequences later migrations create (as this owner) are granted as they are made.
            f"{defaults} SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"{defaults} USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
            # The audit log: read and append only. Its chain head: read, create and move on.
            f"REVOKE ALL ON {quote(AUDIT_TABLE)} FROM {app}",
            f"GRANT SELECT, INSERT ON {quote(AUDIT_TABLE)} TO {app}",
            f"REVOKE ALL ON {quote(CHAIN_HEAD_TABLE)} FROM {app}",
            f"GRANT SELECT, INSERT, UPDATE ON {quote(CHAIN_HEAD_TABLE)} TO {app}",
            # The chain's checkpoints (places verified intact): read and add only.
            f"REVOKE ALL ON {quote(CHECKPOINT_TABLE)} FROM {app}",
            f"GRANT SELECT, INSERT ON {quote(CHECKPOINT_TABLE)} TO {app}",
        ]:
            cursor.execute(statement)
    return True


def grant_after_migrate(sender, using="default", **kwargs):
    """``post_migrate``: once per ``migrate`` (sent for the audit app only)."""
    app_role_grant(using=using)

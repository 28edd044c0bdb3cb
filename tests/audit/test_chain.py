"""The audit log's hash chain: every row sealed onto the one before, and ``manage.py audit_verify``
naming the first row changed, deleted or inserted behind the application's back.

Tampering is done as the database owner would (tests/db_roles_support.py, ``owner_sql``), on its own
connection with the append-only trigger set aside; the owner can do to the audit table anything a
superuser can. So those tests commit their rows (``transaction=True``)."""

import importlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from offenderhub.audit.chain import GENESIS_HASH, HASHED_FIELDS, chain_keys, chain_verify, key_id
from offenderhub.audit.database_roles import as_owner
from offenderhub.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditLogIsAppendOnly
from offenderhub.audit.services import audit_record
from offenderhub.core.jobs import job_run
from offenderhub.core.models import JobRun
from offenderhub.notifications.models import Notification, NotificationKind

BASE_DIR = Path(__file__).resolve().parent.parent.parent
TRIGGER = "audit_auditevent_append_only"


def _record(actor, obj, n=1, **kwargs):
    return [
        audit_record(actor=actor, action=AuditAction.CHANGED, obj=obj, reason=f"Change {i + 1}", **kwargs)
        for i in range(n)
    ]


def _verify_command() -> str:
    """``manage.py audit_verify`` in this process: its output, or CommandError when broken."""
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


@pytest.fixture
def tamper(owner_sql):
    """``tamper(sql, params)``: change the audit table as its owner, the append-only trigger set
    aside for the statement (as a superuser could with ``session_replication_role``)."""

    def run(statement, params=None):
        if connection.vendor != "postgresql":
            return owner_sql(statement, params)
        owner_sql(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            return owner_sql(statement, params)
        finally:
            owner_sql(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")

    return run


# --- Sealing -------------------------------------------------------------------------------------
def test_each_row_is_sealed_onto_the_one_before(supervisor, force):
    events = _record(supervisor, force, n=3)

    rows = list(AuditEvent.objects.order_by("sequence"))
    assert [row.sequence for row in rows] == [1, 2, 3]
    assert [row.pk for row in rows] == [event.pk for event in events]
    assert rows[0].previous_hash == GENESIS_HASH
    assert [row.previous_hash for row in rows[1:]] == [row.row_hash for row in rows[:2]]
    assert len({row.row_hash for row in rows}) == 3
    assert {row.chain_key_id for row in rows} == {key_id(chain_keys()[0])}
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.row_hash) == (3, rows[2].row_hash)


def test_rows_inserted_in_bulk_are_sealed_in_the_order_given(supervisor, force):
    _record(supervisor, force)
    made = AuditEvent.objects.bulk_create(
        AuditEvent(actor_label="system", action=AuditAction.CHANGED, object_label=f"Case {n}")
        for n in range(3)
    )

    assert [event.sequence for event in made] == [2, 3, 4]
    assert chain_verify().intact


def test_system_rows_appended_in_bulk_are_the_rows_the_model_would_write_sealed_in_order(supervisor, force):
    """``audit_system_record_many`` (on PostgreSQL, from values without a model row each) writes
    what ``AuditEvent.objects.bulk_create`` would, and the chain still verifies."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from offenderhub.audit.services import SYSTEM_ACTOR_LABEL, audit_system_record_many

    _record(supervisor, force)
    now = timezone.now()
    force_type = ContentType.objects.get_for_model(force)
    records = [
        {
            "action": AuditAction.CHANGED,
            "content_type": force_type,
            "object_id": force.pk,
            "object_label": f"Force — {n}",
            "owner_organisation_id": force.pk,
            "changes": {"status": ["active", "breach_review"]} if n else {},
            "reason": "Changed by a daily job",
        }
        for n in range(3)
    ]
    fields = ("sequence", *HASHED_FIELDS)

    assert audit_system_record_many(records=records, occurred_at=now) == 3
    by_values = list(AuditEvent.objects.filter(sequence__gt=1).order_by("sequence").values_list(*fields))
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_label=SYSTEM_ACTOR_LABEL,
            occurred_at=now,
            **{k: v for k, v in record.items() if k != "object_id"},
            object_id=str(record["object_id"]),
        )
        for record in records
    )
    by_models = list(AuditEvent.objects.filter(sequence__gt=4).order_by("sequence").values_list(*fields))

    assert [row[0] for row in by_values] == [2, 3, 4]
    assert [row[1:] for row in by_values] == [row[1:] for row in by_models]
    assert chain_verify().intact


def test_bulk_inserts_that_could_skip_a_row_are_refused(force):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_create([AuditEvent(action=AuditAction.CHANGED)], ignore_conflicts=True)


def test_an_untouched_log_verifies_and_the_command_says_so(supervisor, force):
    _record(supervisor, force, n=4, changes={"name": ["Fenshire", "Fenshire Police"]})
    _record(supervisor, force, request=None, recipient="CPS Wessex")

    report = chain_verify(chunk_size=2)  # several chunks

    assert report.intact and report.rows == 5
    assert "The audit log is intact: 5 rows, sequence 1 to 5 (last row 5:" in _verify_command()


def test_an_empty_log_verifies(db):
    assert chain_verify().intact
    assert "intact: 0 rows" in _verify_command()


def test_the_hash_covers_what_the_database_gives_back(client_for, supervisor, force):
    """Values the database spells its own way (an IPv6 address, JSON, microseconds) still verify."""
    client = client_for(supervisor)
    client.get(f"/organisations/{force.pk}/", REMOTE_ADDR="2001:0db8:0000::0001", HTTP_USER_AGENT="Firefox")
    audit_record(actor=supervisor, action=AuditAction.CHANGED, obj=force, changes={"b": [1, 2.5], "a": None})

    assert AuditEvent.objects.filter(ip_address__isnull=False).exists()
    assert chain_verify().intact


# --- Keys ----------------------------------------------------------------------------------------
def test_rows_sealed_with_a_replaced_key_verify_while_it_is_a_fallback(settings, supervisor, force):
    settings.AUDIT_CHAIN_KEY = "the-first-key-kept-for-good-until-replaced"
    _record(supervisor, force, n=2)
    settings.AUDIT_CHAIN_KEY = "the-second-key-after-rotation"
    settings.AUDIT_CHAIN_KEY_FALLBACKS = ["the-first-key-kept-for-good-until-replaced"]
    _record(supervisor, force)

    assert chain_verify().intact

    settings.AUDIT_CHAIN_KEY_FALLBACKS = []
    problem = chain_verify().problem
    assert problem.kind == "unknown_key" and problem.sequence == 1
    assert "AUDIT_CHAIN_KEY_FALLBACKS" in problem.message


# --- Tampering as the owner or a superuser -------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_changed_row_is_named(supervisor, force, tamper):
    events = _record(supervisor, force, n=5)
    changed = events[2]

    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see' WHERE id = %s", [changed.pk])

    with pytest.raises(CommandError, match=rf"Row #{changed.pk} \(sequence 3, .*\) does not match its hash"):
        _verify_command()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_changed_with_its_hash_recomputed_without_the_key_is_named(supervisor, force, tamper):
    """A plain SHA-256 over the new content, as a tamperer without the application's key would write."""
    import hashlib

    events = _record(supervisor, force, n=3)
    forged = hashlib.sha256(b"a different reason").hexdigest()

    tamper(
        "UPDATE audit_auditevent SET reason = 'A different reason', row_hash = %s WHERE id = %s",
        [forged, events[1].pk],
    )

    problem = chain_verify().problem
    assert (problem.kind, problem.event_id, problem.sequence) == ("changed", events[1].pk, 2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_deleted_row_is_named_by_its_sequence_and_the_row_after_it(supervisor, force, tamper):
    events = _record(supervisor, force, n=5)

    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(
        CommandError, match=rf"missing \(deleted\): sequence 2, just before row #{events[2].pk}"
    ):
        _verify_command()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_deleted_from_the_end_are_named(supervisor, force, tamper):
    events = _record(supervisor, force, n=5)

    tamper("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[3].pk, events[4].pk])

    problem = chain_verify().problem
    assert (problem.kind, problem.sequence) == ("missing", 4)
    assert "sequences 4 to 5" in problem.message


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_deleted_from_the_end_with_the_head_moved_back_are_caught_by_a_row_logged_before(
    supervisor, force, tamper, owner_sql
):
    _record(supervisor, force, n=3)
    logged = _verify_command().split("last row ")[1].rstrip(").\n")  # "3:<hash>", as the job logs it
    _record(supervisor, force, n=1)
    second = AuditEvent.objects.get(sequence=2)

    tamper("DELETE FROM audit_auditevent WHERE sequence >= 3")
    owner_sql("UPDATE audit_auditchainhead SET sequence = 2, row_hash = %s", [second.row_hash])

    assert chain_verify().intact  # a shorter chain is still a chain
    with pytest.raises(CommandError, match="sequence 3, recorded before, is missing"):
        call_command("audit_verify", expect=[logged])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_inserted_in_the_middle_is_named(supervisor, force, tamper):
    """Room made by renumbering the rows after it: the inserted row does not follow its predecessor."""
    events = _record(supervisor, force, n=4)
    row = AuditEvent.objects.values().get(pk=events[1].pk)

    tamper("UPDATE audit_auditevent SET sequence = -(sequence + 1) WHERE sequence >= 3")
    tamper("UPDATE audit_auditevent SET sequence = -sequence WHERE sequence < 0")
    tamper(
        "INSERT INTO audit_auditevent (occurred_at, actor_label, action, object_id, object_label, changes,"
        " reason, recipient, user_agent, path, sequence, previous_hash, chain_key_id, row_hash)"
        " VALUES (%s, %s, 'viewed', '', 'Case FEN-1', '{}', 'Back-dated', '', '', '', 3, %s, %s, %s)"
        " RETURNING id",
        [row["occurred_at"], row["actor_label"], GENESIS_HASH, row["chain_key_id"], row["row_hash"]],
    )
    inserted = AuditEvent.objects.get(sequence=3)

    with pytest.raises(CommandError, match=rf"Row #{inserted.pk} \(sequence 3, .*\) does not follow"):
        _verify_command()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_added_at_the_end_outside_the_application_is_named(supervisor, force, tamper):
    """A back-dated row appended with a plausible link but no key to seal it."""
    events = _record(supervisor, force, n=3)
    last = AuditEvent.objects.values().get(pk=events[-1].pk)

    tamper(
        "INSERT INTO audit_auditevent (occurred_at, actor_label, action, object_id, object_label, changes,"
        " reason, recipient, user_agent, path, sequence, previous_hash, chain_key_id, row_hash)"
        " VALUES (%s, 'system', 'viewed', '', 'Case FEN-1', '{}', '', '', '', '', 4, %s, %s, %s)",
        [events[0].occurred_at, last["row_hash"], last["chain_key_id"], "f" * 64],
    )
    inserted = AuditEvent.objects.get(sequence=4)

    problem = chain_verify().problem
    assert (problem.kind, problem.event_id, problem.sequence) == ("changed", inserted.pk, 4)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_rows_swapped_are_named(supervisor, force, tamper):
    events = _record(supervisor, force, n=3)

    tamper("UPDATE audit_auditevent SET sequence = -sequence WHERE sequence IN (1, 2)")
    tamper(
        "UPDATE audit_auditevent SET sequence = CASE sequence WHEN -1 THEN 2 ELSE 1 END WHERE sequence < 0"
    )

    problem = chain_verify().problem
    assert (problem.kind, problem.event_id) == ("inserted", events[1].pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_exits_0_when_intact_and_1_naming_the_row_when_not(supervisor, force, tamper):
    events = _record(supervisor, force, n=3)

    intact = _manage("audit_verify")
    tamper("UPDATE audit_auditevent SET object_label = 'Case FEN-9' WHERE id = %s", [events[0].pk])
    broken = _manage("audit_verify")

    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 rows" in intact.stdout
    assert broken.returncode == 1
    assert f"Row #{events[0].pk} (sequence 1" in broken.stderr


def _manage(*args):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "offenderhub.settings_test"}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- The daily job -------------------------------------------------------------------------------
def test_the_daily_job_counts_nothing_broken_on_an_intact_log(supervisor, force):
    _record(supervisor, force, n=2)

    assert job_run("audit_verify") == {"audit_chain_broken": 0}
    assert not Notification.objects.filter(kind=NotificationKind.AUDIT_CHAIN_BROKEN).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broken_chain_fails_the_job_and_tells_administrators_and_supervisors_once_a_day(
    supervisor, administrator, outsider_administrator, case_worker, force, tamper
):
    events = _record(supervisor, force, n=3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])

    for _ in range(2):  # a retry, or the command run by hand, the same day
        with pytest.raises(Exception, match=rf"sequence 1, just before row #{events[1].pk}"):
            job_run("audit_verify")

    alerts = Notification.objects.filter(kind=NotificationKind.AUDIT_CHAIN_BROKEN)
    assert {n.recipient for n in alerts} == {supervisor, administrator, outsider_administrator}
    alert = alerts.first()
    assert alert.url == "/audit/"
    assert "sequence 1" in alert.body and supervisor.email not in alert.body
    runs = JobRun.objects.filter(job="audit_verify")
    assert set(runs.values_list("status", flat=True)) == {JobRun.Status.FAILED}
    assert f"row #{events[1].pk}" in runs.first().error


# --- Concurrency ---------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_writers_at_once_make_one_chain_with_no_gaps(force):
    writers, each = 4, 25
    start = threading.Barrier(writers)
    errors = []

    def write():
        try:
            start.wait()
            for n in range(each):
                audit_record(actor=None, action=AuditAction.VIEWED, obj=force, reason=f"Writer row {n}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    report = chain_verify()
    assert report.intact and report.rows == writers * each
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, writers * each + 1)
    )


# --- Rows from before the chain ------------------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_chains_rows_written_before_the_chain_in_the_order_they_were_written(
    supervisor, force, tamper, owner_sql
):
    events = _record(supervisor, force, n=4)
    # As they were before the chain: no place, no hashes, and no head.
    tamper("UPDATE audit_auditevent SET sequence = -id, previous_hash = '', row_hash = '', chain_key_id = ''")
    owner_sql("DELETE FROM audit_auditchainhead")
    migration = importlib.import_module("offenderhub.audit.migrations.0004_chain_existing_rows")
    before = MigrationLoader(connection).project_state(("audit", "0004_chain_existing_rows")).apps

    with as_owner(), connection.schema_editor() as editor:
        migration.chain_existing_rows(before, editor)

    assert chain_verify().intact
    assert list(AuditEvent.objects.order_by("sequence").values_list("pk", flat=True)) == [
        e.pk for e in events
    ]
    assert AuditChainHead.objects.get().sequence == 4

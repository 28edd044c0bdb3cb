"""The daily check of the audit log walks only the rows added since its last checkpoint; the full
walk (``manage.py audit_verify``, and the daily job on ``AUDIT_FULL_VERIFY_WEEKDAY``) reads them all.

What each catches: a row changed, deleted or forged after the latest checkpoint is caught by the next
daily check; a row changed before it is caught by the full walk only (the daily check reads the
checkpoint's own row, so replacing the rows up to and including it is caught daily too)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from offenderhub.audit.chain import chain_verify, checkpoint_record
from offenderhub.audit.jobs import AuditChainBroken, audit_chain_verify
from offenderhub.audit.models import AuditAction, AuditChainCheckpoint, AuditEvent
from offenderhub.audit.services import audit_record

FRIDAY, SUNDAY = date(2026, 11, 27), date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _full_walk_on_sunday(settings):
    settings.AUDIT_FULL_VERIFY_WEEKDAY = 6


@pytest.fixture
def tamper(owner_sql):
    """Change the audit table as its owner, the append-only trigger set aside (as test_chain.py)."""

    def run(statement, params=None):
        if connection.vendor != "postgresql":
            return owner_sql(statement, params)
        owner_sql("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        try:
            return owner_sql(statement, params)
        finally:
            owner_sql("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")

    return run


def _record(actor, obj, n=1):
    return [
        audit_record(actor=actor, action=AuditAction.CHANGED, obj=obj, reason=f"Change {i + 1}")
        for i in range(n)
    ]


def test_an_intact_check_records_a_sealed_checkpoint_and_the_next_reads_only_the_new_rows(supervisor, force):
    _record(supervisor, force, n=3)
    assert audit_chain_verify(today=FRIDAY) == {"audit_chain_broken": 0}
    checkpoint = AuditChainCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.rows_checked, checkpoint.full) == (3, 3, False)
    assert checkpoint.row_hash == AuditEvent.objects.get(sequence=3).row_hash

    _record(supervisor, force, n=2)
    report = chain_verify(since_checkpoint=True)
    assert (report.intact, report.rows, report.last_sequence) == (True, 2, 5)
    assert chain_verify().rows == 5  # the full walk reads everything


def test_the_check_sends_the_same_queries_however_long_the_log(supervisor, force, django_assert_num_queries):
    """Rows read a chunk at a time, and only the day's: a fixed number of queries for a day's rows."""
    _record(supervisor, force, n=2)
    audit_chain_verify(today=FRIDAY)
    _record(supervisor, force, n=3)
    with django_assert_num_queries(7):
        audit_chain_verify(today=FRIDAY)
    _record(supervisor, force, n=30)
    with django_assert_num_queries(7):
        audit_chain_verify(today=FRIDAY)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_changed_after_the_checkpoint_is_caught_by_the_daily_check(supervisor, force, tamper):
    _record(supervisor, force, n=3)
    audit_chain_verify(today=FRIDAY)
    later = _record(supervisor, force, n=2)

    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see' WHERE id = %s", [later[0].pk])

    with pytest.raises(AuditChainBroken, match=rf"Row #{later[0].pk} \(sequence 4, .*\) does not match"):
        audit_chain_verify(today=FRIDAY)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_changed_before_the_checkpoint_is_caught_by_the_full_walk_only(supervisor, force, tamper):
    """Documented trade-off: the daily check trusts what an earlier walk verified; the weekly full
    walk, and ``manage.py audit_verify`` whenever it is run, read every row again."""
    earlier = _record(supervisor, force, n=3)
    audit_chain_verify(today=FRIDAY)
    _record(supervisor, force, n=1)

    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see' WHERE id = %s", [earlier[0].pk])

    assert audit_chain_verify(today=FRIDAY) == {"audit_chain_broken": 0}
    with pytest.raises(AuditChainBroken, match=rf"Row #{earlier[0].pk} \(sequence 1, .*\) does not match"):
        audit_chain_verify(today=SUNDAY)
    with pytest.raises(CommandError, match=rf"Row #{earlier[0].pk} \(sequence 1, .*\) does not match"):
        call_command("audit_verify", "--full")
    call_command("audit_verify", "--since-checkpoint")  # the rows since the last checkpoint are fine


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_checkpoints_own_row_replaced_is_caught_by_the_daily_check(supervisor, force, tamper):
    events = _record(supervisor, force, n=3)
    audit_chain_verify(today=FRIDAY)

    tamper("UPDATE audit_auditevent SET row_hash = %s WHERE id = %s", ["e" * 64, events[2].pk])

    with pytest.raises(AuditChainBroken, match=rf"Row #{events[2].pk} .* is not the row verified intact"):
        audit_chain_verify(today=FRIDAY)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_deleted_back_past_the_checkpoint_are_caught_by_the_daily_check(
    supervisor, force, tamper, owner_sql
):
    _record(supervisor, force, n=3)
    audit_chain_verify(today=FRIDAY)
    second = AuditEvent.objects.get(sequence=2)

    tamper("DELETE FROM audit_auditevent WHERE sequence >= 3")
    owner_sql("UPDATE audit_auditchainhead SET sequence = 2, row_hash = %s", [second.row_hash])

    with pytest.raises(AuditChainBroken, match="sequence 3, verified intact on .* is missing"):
        audit_chain_verify(today=FRIDAY)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_checkpoint_forged_in_the_database_is_ignored_and_the_whole_chain_walked(
    supervisor, force, tamper, owner_sql
):
    """Someone skipping a changed row by writing a checkpoint past it has no key to seal it."""
    events = _record(supervisor, force, n=4)
    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see' WHERE id = %s", [events[1].pk])
    owner_sql(
        'INSERT INTO audit_auditchaincheckpoint (verified_at, sequence, row_hash, rows_checked, "full", seal)'
        " VALUES (%s, 3, %s, 3, false, %s)",  # the time as a parameter: SQLite has no now()
        [timezone.now(), AuditEvent.objects.get(sequence=3).row_hash, "0" * 64],
    )

    with pytest.raises(AuditChainBroken, match=rf"Row #{events[1].pk} \(sequence 2, .*\) does not match"):
        audit_chain_verify(today=FRIDAY)


def test_no_checkpoint_for_a_broken_chain_or_an_empty_log(db):
    assert checkpoint_record(chain_verify(), full=True) is None
    assert not AuditChainCheckpoint.objects.exists()

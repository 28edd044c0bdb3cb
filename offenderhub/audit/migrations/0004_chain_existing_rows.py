"""Chain the audit rows written before the hash chain, in the order they were inserted (by id), and
make the chain head: at the last row, or at the start for an empty log. On PostgreSQL the append-only
trigger is set aside for this transaction only: no row's content changes, only its chain columns are
filled in."""

from django.db import migrations

from offenderhub.audit.chain import CHAIN_FIELDS, GENESIS_HASH, HASHED_FIELDS, chain_keys, key_id, row_hash

BATCH = 2000


def _trigger(schema_editor, state):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE audit_auditevent {state} TRIGGER audit_auditevent_append_only")


def _chain(AuditEvent, events) -> tuple[int, str]:
    """Seal every row, a batch at a time; returns the last sequence and hash."""
    key = chain_keys()[0]
    sealed_with = key_id(key)
    sequence, previous, last_id = 0, GENESIS_HASH, 0
    while batch := list(events.filter(id__gt=last_id).order_by("id").values("id", *HASHED_FIELDS)[:BATCH]):
        sealed = []
        for row in batch:
            sequence += 1
            row.update(sequence=sequence, previous_hash=previous, chain_key_id=sealed_with)
            row["row_hash"] = previous = row_hash(row, key)
            sealed.append(AuditEvent(id=row["id"], **{name: row[name] for name in CHAIN_FIELDS}))
        last_id = batch[-1]["id"]
        events.bulk_update(sealed, list(CHAIN_FIELDS))
    return sequence, previous


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    using = schema_editor.connection.alias
    events = AuditEvent.objects.using(using)
    sequence, previous = 0, GENESIS_HASH
    if events.exists():
        _trigger(schema_editor, "DISABLE")
        sequence, previous = _chain(AuditEvent, events)
        _trigger(schema_editor, "ENABLE")
    AuditChainHead.objects.using(using).update_or_create(
        pk=1, defaults={"sequence": sequence, "row_hash": previous}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain_columns")]

    operations = [migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False)]

"""Every audit row now has its place in the chain: required and unique from here on. And the chain
head follows each row inserted: a trigger sets it to the row's sequence and hash, in the inserting
transaction (whose append already holds the head's lock), so an append is a lock and an insert."""

from django.db import migrations, models

POSTGRESQL = """
CREATE OR REPLACE FUNCTION audit_chain_head_move() RETURNS trigger AS $$
BEGIN
    UPDATE audit_auditchainhead SET sequence = NEW.sequence, row_hash = NEW.row_hash WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_chain_head_move ON audit_auditevent;
CREATE TRIGGER audit_chain_head_move
    AFTER INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_move();
"""

SQLITE = """
CREATE TRIGGER IF NOT EXISTS audit_chain_head_move AFTER INSERT ON audit_auditevent
BEGIN
    UPDATE audit_auditchainhead SET sequence = NEW.sequence, row_hash = NEW.row_hash WHERE id = 1;
END;
"""

DROP = {
    "postgresql": "DROP TRIGGER IF EXISTS audit_chain_head_move ON audit_auditevent;"
    " DROP FUNCTION IF EXISTS audit_chain_head_move();",
    "sqlite": "DROP TRIGGER IF EXISTS audit_chain_head_move",
}


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in DROP:
        schema_editor.execute(POSTGRESQL if vendor == "postgresql" else SQLITE, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in DROP:
        schema_editor.execute(DROP[vendor], params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_existing_rows")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]

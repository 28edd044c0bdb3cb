"""Trigram indexes for the caseload's search (cases.selectors.case_search) and the person search on
PostgreSQL: the reference and the names, upper-cased as Django's ``icontains`` compares them, so that
``UPPER(family_name::text) LIKE UPPER('%cross%')`` is answered from the index rather than by reading
every row. pg_trgm is a trusted extension: the database's owner may create it.

On SQLite this migration does nothing; the search works the same, by reading the rows."""

from django.db import migrations

INDEXES = [
    ("case_reference_trgm_idx", "cases_case", "reference"),
    ("person_family_name_trgm_idx", "cases_person", "family_name"),
    ("person_given_names_trgm_idx", "cases_person", "given_names"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_caseload_indexes_and_first_summary_offence_date")]

    operations = [migrations.RunPython(create, drop)]

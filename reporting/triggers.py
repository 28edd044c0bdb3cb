"""Database triggers that mark a case's summary stale whenever something it is made from changes.

Every table the dashboard's summaries read (``reporting/summaries.py``) has a trigger that adds the
changed rows' cases to ``reporting_stalecase`` in the changing transaction. A trigger sees every
route: a model's ``save()``, a queryset's ``update()`` or ``bulk_create()``, a daily job's set-based
SQL, an import, the admin. On PostgreSQL they are statement-level (one insert per statement, over
the statement's changed rows); on SQLite, row-level.

The mark is an upsert (``ON CONFLICT ... DO UPDATE``), so a writer waits for a refresh that holds
the case's mark and then marks it again: a change made while its case is being summarised is never
lost (``summaries.refresh_stale``).
"""

# Each summarised table, and how its changed rows lead to cases: on PostgreSQL from the statement's
# transition table ``{rows}``, on SQLite from the row ``{row}`` (NEW or OLD).
DIRECT = ("SELECT r.case_id FROM {rows} AS r", "SELECT {row}.case_id AS case_id")
CASES_OF_ROWS = {
    "cases_case": ("SELECT r.id FROM {rows} AS r", "SELECT {row}.id AS case_id"),
    "cases_person": (
        "SELECT c.id FROM cases_case AS c JOIN {rows} AS r ON c.person_id = r.id",
        "SELECT id AS case_id FROM cases_case WHERE person_id = {row}.id",
    ),
    "cases_caseoffence": DIRECT,
    "cases_offence": (
        "SELECT co.case_id FROM cases_caseoffence AS co JOIN {rows} AS r ON co.offence_id = r.id",
        "SELECT case_id FROM cases_caseoffence WHERE offence_id = {row}.id",
    ),
    "cases_eligibilitydecision": DIRECT,
    "conditions_caution": DIRECT,
    "conditions_prosecution": DIRECT,
    "assessments_assessment": DIRECT,
    "assessments_pathwayneed": (
        "SELECT a.case_id FROM assessments_assessment AS a JOIN {rows} AS r ON a.id = r.assessment_id",
        "SELECT case_id FROM assessments_assessment WHERE id = {row}.assessment_id",
    ),
    "referrals_referral": DIRECT,
    "reporting_subsequentoffence": (
        "SELECT c.id FROM cases_case AS c JOIN {rows} AS r ON c.person_id = r.person_id",
        "SELECT id AS case_id FROM cases_case WHERE person_id = {row}.person_id",
    ),
}
EVENTS = ("INSERT", "UPDATE", "DELETE")
QUEUE = "reporting_stalecase"


def _pg_function(table: str) -> str:
    select = CASES_OF_ROWS[table][0]
    mark = (
        f"INSERT INTO {QUEUE} (case_id, marked_at) "  # noqa: S608 (constant names only)
        "SELECT DISTINCT x.case_id, now() FROM ({select}) AS x(case_id) WHERE x.case_id IS NOT NULL "
        "ORDER BY x.case_id ON CONFLICT (case_id) DO UPDATE SET marked_at = EXCLUDED.marked_at"
    )
    return f"""
CREATE OR REPLACE FUNCTION reporting_stale_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {mark.format(select=select.format(rows="new_rows"))};
    ELSIF TG_OP = 'DELETE' THEN
        {mark.format(select=select.format(rows="old_rows"))};
    ELSE
        {mark.format(select=select.format(rows="new_rows") + " UNION " + select.format(rows="old_rows"))};
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_triggers(table: str) -> list[str]:
    referencing = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER reporting_stale_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION reporting_stale_{table}()"
        for event in EVENTS
    ]


def _sqlite_triggers(table: str) -> list[str]:
    statements = []
    for event in EVENTS:
        sides = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["NEW", "OLD"]}[event]
        body = []
        for side in sides:
            select = CASES_OF_ROWS[table][1].format(row=side)
            body.append(
                f"INSERT INTO {QUEUE} (case_id, marked_at) "  # noqa: S608 (constant names only)
                "SELECT DISTINCT x.case_id, strftime('%Y-%m-%d %H:%M:%f', 'now') "
                f"FROM ({select}) AS x WHERE x.case_id IS NOT NULL "
                "ON CONFLICT (case_id) DO UPDATE SET marked_at = excluded.marked_at;"
            )
        statements.append(
            f"CREATE TRIGGER reporting_stale_{table}_{event.lower()} AFTER {event} ON {table} "
            f"FOR EACH ROW BEGIN {' '.join(body)} END"
        )
    return statements


def install(connection) -> None:
    """Create the triggers (replacing any of the same name)."""
    with connection.cursor() as cursor:
        for table in CASES_OF_ROWS:
            if connection.vendor == "postgresql":
                cursor.execute(_pg_function(table))
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS reporting_stale_{event.lower()} ON {table}")
                for statement in _pg_triggers(table):
                    cursor.execute(statement)
            elif connection.vendor == "sqlite":
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS reporting_stale_{table}_{event.lower()}")
                for statement in _sqlite_triggers(table):
                    cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for table in CASES_OF_ROWS:
            if connection.vendor == "postgresql":
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS reporting_stale_{event.lower()} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS reporting_stale_{table}()")
            elif connection.vendor == "sqlite":
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS reporting_stale_{table}_{event.lower()}")

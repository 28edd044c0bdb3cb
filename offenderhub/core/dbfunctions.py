"""Small database functions the set-based jobs use to write in SQL what Python would format."""

from django.db.models import CharField, Func

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class LongDate(Func):
    """A date as ``f"{day:%-d %B %Y}"`` writes it ("5 November 2026"), in English whatever the
    database's locale, on PostgreSQL and SQLite."""

    output_field = CharField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        # FM drops the padding; Month without TM is English whatever lc_time says.
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'FMDD FMMonth YYYY')")

    def as_sqlite(self, compiler, connection, **extra_context):
        months = " ".join(f"WHEN '{n:02d}' THEN '{name}'" for n, name in enumerate(MONTHS, start=1))
        template = (
            "(CAST(strftime('%%d', %(expressions)s) AS INTEGER) || ' ' || "
            f"CASE strftime('%%m', %(expressions)s) {months} END || ' ' || strftime('%%Y', %(expressions)s))"
        )
        return self.as_sql(compiler, connection, template=template)

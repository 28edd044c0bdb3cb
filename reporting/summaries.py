"""The dashboard's summaries (reporting.models CaseFact, CaseCostFact, ReferralFact): made from the
case tables set-based, inside the database, and kept current as cases change.

- ``summarise(case_ids)`` remakes the summaries of those cases: one ``INSERT ... SELECT`` per table
  (the SELECT written with the ORM, from the same definitions the dashboard always used), so no row
  passes through Python and the number of queries does not depend on how many cases there are.
- Triggers (``reporting/triggers.py``) mark a case stale (``StaleCase``) in the transaction that
  changes anything its summary is made from. ``refresh_stale()`` takes a batch of marked cases
  (``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent refreshes never take the same case and never
  wait for each other), summarises them and removes their marks. The dashboard does that before it
  reads (at most ``REQUEST_BATCH`` cases), and the ``reporting.tasks.refresh_summaries`` job every
  minute (everything marked).
- ``rebuild()`` marks every case and refreshes them all, batch by batch, each in its own
  transaction: memory stays flat whatever the size.
"""

import time

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from assessments.models import AssessmentKind, AssessmentStatus, PathwayNeed
from cases.models import Case, CaseOffence, DecisionOutcome, EligibilityDecision
from conditions.models import Prosecution
from referrals.models import Referral

from .models import (
    CaseCostFact,
    CaseFact,
    ReferralFact,
    StaleCase,
    SubsequentOffence,
    SummaryState,
    need_columns,
)

BATCH = 2_000  # cases summarised per statement (and per transaction in a rebuild or the job)
REQUEST_BATCH = 2_000  # at most this many changed cases are summarised by a dashboard request


class _CommaList(Aggregate):
    """The distinct values, comma-separated (in no particular order)."""

    function = "STRING_AGG"
    template = "%(function)s(DISTINCT %(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(DISTINCT %(expressions)s)"
        )


def _needs(kind):
    return PathwayNeed.objects.filter(
        assessment__case=OuterRef("pk"), assessment__kind=kind, assessment__status=AssessmentStatus.COMPLETED
    )


def _fact_columns(now) -> dict:
    """Every CaseFact column as an expression over a case: the definitions of the figures."""
    from datetime import timedelta

    follow_up, waiting = timedelta(days=365), timedelta(days=365 + 183)
    current = EligibilityDecision.objects.filter(case=OuterRef("pk"), superseded_by__isnull=True)
    cautioned = OuterRef("caution__administered_on")
    proven = (
        SubsequentOffence.objects.filter(
            person_id=OuterRef("person_id"),
            offence_date__gt=cautioned,
            offence_date__lte=ExpressionWrapper(cautioned + follow_up, output_field=DateField()),
            outcome_date__lte=ExpressionWrapper(cautioned + waiting, output_field=DateField()),
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    groups = (
        CaseOffence.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(groups=_CommaList("offence__group"))
        .values("groups")
    )
    columns = {
        "case_id": F("pk"),
        "force_id": F("force_id"),
        "scheme_id": F("scheme_id"),
        "area_id": F("area_id"),
        "person_id": F("person_id"),
        "created_at": F("created_at"),
        "status": F("status"),
        "sex": F("person__sex"),
        "date_of_birth": F("person__date_of_birth"),
        "ethnicity_id": F("person__ethnicity_id"),
        "offence_groups": Concat(
            Value(","),
            Coalesce(Subquery(groups, output_field=CharField()), Value("")),
            Value(","),
            output_field=CharField(),
        ),
        "cautioned_on": F("caution__administered_on"),
        "prosecuted": Exists(Prosecution.objects.filter(case=OuterRef("pk"))),
        "first_offence_on": Subquery(
            CaseOffence.objects.filter(case=OuterRef("pk"))
            .order_by("offence_date")
            .values("offence_date")[:1],
            output_field=DateField(),
        ),
        "first_decision_on": Subquery(
            EligibilityDecision.objects.filter(case=OuterRef("pk"))
            .order_by("decision_date", "id")
            .values("decision_date")[:1],
            output_field=DateField(),
        ),
        "decided": Exists(current),
        "eligible": Exists(current.filter(outcome=DecisionOutcome.ELIGIBLE)),
        "reoffences": Coalesce(Subquery(proven, output_field=IntegerField()), Value(0)),
        "assessed": Exists(_needs(AssessmentKind.INITIAL)),
        "refreshed_at": Value(now, output_field=CaseFact._meta.get_field("refreshed_at")),
    }
    for kind, name in ((AssessmentKind.INITIAL, "initial"), (AssessmentKind.FINAL, "final")):
        for pathway, column in need_columns(name).items():
            columns[column] = Subquery(_needs(kind).filter(pathway=pathway).order_by().values("level")[:1])
    return columns


def _cost_rows(case_ids):
    """A row per cautioned case and kind of recorded offence of its person: how many in the year
    before the caution, the year after, and at any time (the cost of crime, priced when read)."""
    from datetime import timedelta

    year = timedelta(days=365)
    before = Q(offence_date__gte=F("cautioned") - year, offence_date__lt=F("cautioned"))
    after = Q(offence_date__gt=F("cautioned"), offence_date__lte=F("cautioned") + year)
    return (
        SubsequentOffence.objects.filter(person__cases__in=case_ids, person__cases__caution__isnull=False)
        .annotate(for_case=F("person__cases__id"), cautioned=F("person__cases__caution__administered_on"))
        .order_by()
        .values("for_case", "offence_id")
        .annotate(
            n_before=Count("pk", filter=before), n_after=Count("pk", filter=after), n_recorded=Count("pk")
        )
        .values("for_case", "offence_id", "n_before", "n_after", "n_recorded")
    )


def _referral_rows(case_ids):
    return (
        Referral.objects.filter(case__in=case_ids)
        .order_by()
        .values("pk", "case_id", "organisation_id", "status", "sent_at", "accepted_at", "first_contact_at")
    )


def _insert_select(model, columns, queryset, *, upsert_on=None):
    """``INSERT INTO <model> (<columns>) <queryset's SELECT>``, optionally updating rows already there."""
    quote = connection.ops.quote_name
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) {sql}"  # noqa: S608
    if upsert_on:
        updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c != upsert_on)
        statement += f" ON CONFLICT ({quote(upsert_on)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def summarise(case_ids: list[int]) -> None:
    """Remake the summaries of these cases from the case tables (and remove those of cases that no
    longer exist): seven statements whatever the number. Run inside a transaction."""
    if not case_ids:
        return
    now = timezone.now()
    CaseFact.objects.filter(case_id__in=case_ids).exclude(
        case_id__in=Case.objects.filter(pk__in=case_ids).values("pk")
    ).delete()
    CaseCostFact.objects.filter(case_id__in=case_ids).delete()
    ReferralFact.objects.filter(case_id__in=case_ids).delete()

    columns = _fact_columns(now)
    aliases = {f"v_{name}": expression for name, expression in columns.items()}
    facts = Case.objects.filter(pk__in=case_ids).order_by().annotate(**aliases).values(*aliases)
    _insert_select(CaseFact, list(columns), facts, upsert_on="case_id")
    _insert_select(
        CaseCostFact, ["case_id", "offence_id", "before", "after", "recorded"], _cost_rows(case_ids)
    )
    _insert_select(
        ReferralFact,
        ["referral_id", "case_id", "organisation_id", "status", "sent_at", "accepted_at", "first_contact_at"],
        _referral_rows(case_ids),
    )


def refresh_stale(limit: int = REQUEST_BATCH) -> int:
    """Summarise up to ``limit`` cases marked stale and unmark them, in one transaction; cases another
    refresh holds are left to it. Returns how many were summarised."""
    with transaction.atomic():
        ids = list(
            StaleCase.objects.select_for_update(skip_locked=True)
            .order_by("case_id")
            .values_list("case_id", flat=True)[:limit]
        )
        if ids:
            summarise(ids)
            StaleCase.objects.filter(case_id__in=ids).delete()
            _version_move_on()
    return len(ids)


def _version_move_on() -> None:
    """Move the summaries' version on (SummaryState): figures kept for the last one are stale."""
    table = connection.ops.quote_name(SummaryState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, version, changed_at) VALUES (1, 1, %s) "  # noqa: S608
            f"ON CONFLICT (id) DO UPDATE SET version = {table}.version + 1, changed_at = EXCLUDED.changed_at",
            [timezone.now()],
        )


def refresh_all_stale(*, batch: int = BATCH, seconds: float | None = None, out=None) -> int:
    """Refresh every marked case, a batch per transaction (or until ``seconds`` have passed)."""
    started, done = time.monotonic(), 0
    while True:
        n = refresh_stale(batch)
        done += n
        if out and n:
            out(f"{done:,} cases summarised ({time.monotonic() - started:.1f} s)")
        if n < batch or (seconds is not None and time.monotonic() - started > seconds):
            return done


def mark_stale(case_ids) -> None:
    """Mark these cases for the next refresh: a queryset of their ids, used as a subquery and never
    read into Python. (Changes made through the app are marked by the triggers; this is for the
    rebuild.)"""
    quote = connection.ops.quote_name
    sql, params = case_ids.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH x (id) AS ({sql}) "  # noqa: S608
            f"INSERT INTO {quote(StaleCase._meta.db_table)} (case_id, marked_at) "
            "SELECT DISTINCT x.id, %s FROM x WHERE x.id IS NOT NULL "
            "ON CONFLICT (case_id) DO UPDATE SET marked_at = EXCLUDED.marked_at",
            (*params, timezone.now()),
        )


def rebuild(*, batch: int = BATCH, out=None) -> dict:
    """Summarise every case again: mark them all, then refresh batch by batch. Returns the counts."""
    started = time.monotonic()
    with transaction.atomic():
        mark_stale(Case.objects.order_by().values("pk"))
        CaseFact.objects.exclude(case_id__in=Case.objects.values("pk")).delete()
    done = refresh_all_stale(batch=batch, out=out)
    return {"cases": done, "seconds": round(time.monotonic() - started, 1)}


def with_freshness(organisations):
    """The organisations (forces) with ``summaries_refreshed_at``, when their summaries last changed,
    ``summaries_waiting``, how many changed cases (of any force) wait for a refresh, and
    ``summaries_version``, the summaries' version (SummaryState)."""
    last = (
        CaseFact.objects.filter(force_id=OuterRef("pk")).order_by("-refreshed_at").values("refreshed_at")[:1]
    )
    waiting = StaleCase.objects.annotate(one=Value(1)).values("one").annotate(n=Count("pk")).values("n")
    version = SummaryState.objects.filter(pk=1).values("version")
    return organisations.annotate(
        summaries_refreshed_at=Subquery(last),
        summaries_waiting=Coalesce(Subquery(waiting), Value(0)),
        summaries_version=Coalesce(Subquery(version), Value(0)),
    )

"""The pseudonymised case extract, streamed (issue 12, "Memory that stays flat").

A row per case, written to the response as it is read: the cases, their offences and their initial
assessments' needs are three queries read in chunks through server-side cursors, each in order of
case, and merged as they go, so the worker holds a chunk of each at a time whatever the force's size,
and the number of queries stays the same. Only the columns the extract needs are read: never a
caution's document, names, addresses or free text.
"""

import contextlib
import csv
import itertools
from collections.abc import Iterable, Iterator
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from assessments.models import AssessmentKind, AssessmentStatus, NeedLevel, Pathway, PathwayNeed
from cases.models import CaseOffence, CaseStatus, Classification, EligibilityDecision, OffenceGroup, Sex

from .pseudonyms import pseudonymiser
from .selectors import DIVERTED_STATUSES
from .services import FORMULA_STARTS

CHUNK = 2000

HEADER = [
    "case",
    "person",
    "scheme",
    "area",
    "offence groups",
    "most serious classification",
    "sex",
    "age band",
    "ethnic group",
    "status",
    "decision",
    "opened month",
    "caution month",
    "outcome",
    *[f"need: {label}" for label in Pathway.labels],
]

# The most serious classification first.
SERIOUSNESS = ("indictable_only", "either_way", "summary_only")


class _ByCase:
    """Rows ``(case_id, ...)`` in order of case, handed out one case at a time as the cases go by."""

    def __init__(self, rows: Iterable[tuple]):
        self._groups = itertools.groupby(rows, key=itemgetter(0))
        self._next = next(self._groups, None)

    def take(self, case_id) -> list[tuple]:
        """The rows of ``case_id`` (without the id), skipping any of earlier cases."""
        while self._next is not None and self._next[0] < case_id:
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != case_id:
            return []
        rows = [row[1:] for row in self._next[1]]
        self._next = next(self._groups, None)
        return rows


@contextlib.contextmanager
def _one_snapshot():
    """On PostgreSQL, the extract's queries are read in one read-only transaction with one snapshot
    (REPEATABLE READ): a case's offences and needs are those of the same moment as the case, and the
    server-side cursors stream as they are read (outside a transaction each one's whole result would
    be computed and stored first). Not on SQLite, where a transaction here takes the write lock."""
    if connection.vendor != "postgresql":
        yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _queries(cases):
    """The cases (with their latest decision, caution and prosecution), their offences and their
    completed initial assessments' needs: each in order of case, only the columns the extract shows."""
    pks = cases.values("pk")
    latest_decision = EligibilityDecision.objects.filter(case=OuterRef("pk")).order_by("-decided_at", "-pk")
    main = (
        cases.annotate(decision=Subquery(latest_decision.values("outcome")[:1]))
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "scheme__name",
            "area__name",
            "person__sex",
            "age_band",
            "person__ethnicity_id",
            "person__ethnicity__group",
            "status",
            "decision",
            "created_at",
            "caution__administered_on",
            "prosecution__id",
        )
    )
    offences = (
        CaseOffence.objects.filter(case__in=pks)
        .order_by("case_id")
        .values_list("case_id", "offence__group", "offence__classification")
    )
    needs = (
        PathwayNeed.objects.filter(
            assessment__case__in=pks,
            assessment__kind=AssessmentKind.INITIAL,
            assessment__status=AssessmentStatus.COMPLETED,
        )
        .order_by("assessment__case_id", "pk")
        .values_list("assessment__case_id", "pathway", "level")
    )
    return main, offences, needs


def case_extract_rows(cases, *, chunk_size=CHUNK) -> Iterator[list]:
    """The extract's rows for ``cases`` (a case queryset annotated with ``age_band``), in order of
    case. Lazy: nothing is read until the first row is asked for."""
    main, offence_rows, need_rows = _queries(cases)
    groups, classes = dict(OffenceGroup.choices), dict(Classification.choices)
    sexes, statuses, levels = dict(Sex.choices), dict(CaseStatus.choices), dict(NeedLevel.choices)
    pathways = Pathway.values  # built anew each time it is read
    case_pseudonym, person_pseudonym = pseudonymiser("case"), pseudonymiser("person")
    with _one_snapshot():
        offences = _ByCase(offence_rows.iterator(chunk_size=chunk_size))
        needs = _ByCase(need_rows.iterator(chunk_size=chunk_size))
        for (
            pk,
            person_id,
            scheme,
            area,
            sex,
            age_band,
            ethnicity_id,
            ethnic_group,
            status,
            decision,
            created_at,
            cautioned_on,
            prosecution_id,
        ) in main.iterator(chunk_size=chunk_size):
            case_offences = offences.take(pk)
            case_needs = {pathway: levels.get(level, level) for pathway, level in needs.take(pk)}
            present = {classification for _, classification in case_offences}
            yield [
                case_pseudonym(pk),
                person_pseudonym(person_id),
                scheme,
                area,
                "; ".join(sorted({groups.get(group, group) for group, _ in case_offences})),
                next((classes[c] for c in SERIOUSNESS if c in present), ""),
                sexes.get(sex, sex),
                age_band,
                ethnic_group if ethnicity_id is not None else "Not recorded",
                statuses.get(status, status),
                decision or "",
                f"{created_at:%Y-%m}",
                f"{cautioned_on:%Y-%m}" if cautioned_on else "",
                "breached"
                if prosecution_id is not None
                else ("completed" if status in DIVERTED_STATUSES and cautioned_on else ""),
                *[case_needs.get(p, "") for p in pathways],
            ]


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def write(self, text):
        return text


def csv_lines(header, rows: Iterable[list], *, per_write=500) -> Iterator[str]:
    """The CSV, ``per_write`` lines at a time (about 100 KB: one write to the socket each, not one a
    line), every cell made safe for a spreadsheet as ``csv_safe`` does for text (the rows hold text
    only): a cell starting with a formula character is quoted away."""
    writer = csv.writer(_Line())
    lines = [writer.writerow(header)]
    for row in rows:
        lines.append(writer.writerow([("'" + v) if v.startswith(FORMULA_STARTS) else v for v in row]))
        if len(lines) >= per_write:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)

"""The pseudonymised case extract: streamed (issue 12, "Memory that stays flat") and k-anonymous
(issue 15, part 5).

A row per case, with a case pseudonym (no person pseudonym: it would link a person's cases, and
the combination of their rows could pick them out), no names, addresses, PNC IDs, dates or free
text. Its quasi-identifiers, what someone who knows a person could know of them, are coarsened
before anything else: age band when the case was opened instead of the date of birth (fixed, so
that two extracts a birthday apart do not narrow it), months instead of dates, area instead of
address, offence groups instead of offences. Then k-anonymity with k = DISCLOSURE_MIN_COHORT: no
row's quasi-identifiers, as shown, are shared by fewer than k rows of the extract.

How: every case's quasi-identifiers as recorded are counted first (``disclosure_levels``). Rows whose
combination fits at least k cases are shown as they are; the others are generalised one step of
``LEVELS`` at a time, every row in the same way (months to quarters, quarters to years, then the
offences, the area and scheme, the date of caution, the ethnic group, the age band and the sex
withheld), and shown at the first step at which at least k of the rows still waiting share the
same values; the rows left at the end are not sent at all. Each step only coarsens the one before,
so two extracts (or one a year later) that show the same case at different steps tell nothing
more together than the finer of them, which was k-anonymous. Status, decision, outcome and needs
are not quasi-identifiers and are shown as they are.

The cases, their offences and their initial assessments' needs are read in chunks through
server-side cursors, each in order of case, and merged as they go: a first pass over the
quasi-identifiers (cases and offences) counts the combinations, a second (cases and needs) writes
the rows. The worker holds a chunk of each at a time and, for the second pass, each case's
combination; the number of queries stays the same whatever the force's size. Only the columns the
extract needs are read: never a caution's document, names, addresses or free text.
"""

import contextlib
import csv
import itertools
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from assessments.models import AssessmentKind, AssessmentStatus, NeedLevel, Pathway, PathwayNeed
from cases.models import CaseOffence, CaseStatus, Classification, EligibilityDecision, OffenceGroup, Sex

from .pseudonyms import pseudonymiser
from .selectors import AGE_BANDS, DIVERTED_STATUSES
from .services import FORMULA_STARTS

CHUNK = 2000
WITHHELD = "withheld"

HEADER = [
    "case",
    "scheme",
    "area",
    "offence groups",
    "most serious classification",
    "sex",
    "age band when opened",
    "ethnic group",
    "opened",
    "cautioned",
    "status",
    "decision",
    "outcome",
    *[f"need: {label}" for label in Pathway.labels],
]

# The most serious classification first.
SERIOUSNESS = ("indictable_only", "either_way", "summary_only")

# The steps of generalisation, each coarser than the one before.
LEVELS = [
    "as recorded, by month",
    "by quarter",
    "by year",
    "offences withheld",
    "area and scheme withheld",
    "date of caution withheld",
    "ethnic group withheld",
    "age band withheld",
    "sex withheld",
]


def _quarter(month: str) -> str:
    """'2027-03' -> '2027 Q1'; anything else ('', a quarter, a year, withheld) stays as it is."""
    if len(month) == 7 and month[4] == "-":
        return f"{month[:4]} Q{(int(month[5:7]) + 2) // 3}"
    return month


def _year(period: str) -> str:
    """'2027 Q1' -> '2027'; '' and withheld stay as they are."""
    return period[:4] if period[:4].isdigit() else period


def generalise(identifiers: tuple, level: int) -> tuple:
    """A case's quasi-identifiers ``(sex, age band, ethnic group, area, scheme, offence groups,
    classification, month opened, month cautioned)`` as shown at ``level`` of ``LEVELS``."""
    sex, age, ethnic, area, scheme, groups, classification, opened, cautioned = identifiers
    if level >= 1:
        opened, cautioned = _quarter(opened), _quarter(cautioned)
    if level >= 2:
        opened, cautioned = _year(opened), _year(cautioned)
    if level >= 3:
        groups = classification = WITHHELD
    if level >= 4:
        area = scheme = WITHHELD
    if level >= 5:
        cautioned = WITHHELD
    if level >= 6:
        ethnic = WITHHELD
    if level >= 7:
        age = WITHHELD
    if level >= 8:
        sex = WITHHELD
    return (sex, age, ethnic, area, scheme, groups, classification, opened, cautioned)


def disclosure_levels(counts: dict, k: int) -> dict:
    """For each combination of quasi-identifiers as recorded (``counts``: how many cases have it),
    the level of ``LEVELS`` it is shown at, or None when it is not shown: the first level at which
    the cases not shown at an earlier level that share its generalised values number at least k."""
    shown_at, waiting = {}, dict(counts)
    for level in range(len(LEVELS)):
        members, sizes = defaultdict(list), Counter()
        for identifiers, n in waiting.items():
            general = generalise(identifiers, level)
            members[general].append(identifiers)
            sizes[general] += n
        waiting = {}
        for general, group in members.items():
            for identifiers in group:
                if sizes[general] >= k:
                    shown_at[identifiers] = level
                else:
                    waiting[identifiers] = counts[identifiers]
        if not waiting:
            break
    shown_at.update(dict.fromkeys(waiting))
    return shown_at


def age_band(born, on) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((label for label, low, high in AGE_BANDS if low <= age <= high), "Under 18")


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


def _identifier_queries(cases):
    """The first pass: each case's quasi-identifiers as recorded, and its offences."""
    identifiers = cases.order_by("pk").values_list(
        "pk",
        "person__sex",
        "person__date_of_birth",
        "created_at",
        "person__ethnicity_id",
        "person__ethnicity__group",
        "area__name",
        "scheme__name",
        "caution__administered_on",
    )
    offences = (
        CaseOffence.objects.filter(case__in=cases.values("pk"))
        .order_by("case_id")
        .values_list("case_id", "offence__group", "offence__classification")
    )
    return identifiers, offences


def _row_queries(cases):
    """The second pass: each case's status, latest decision, caution and prosecution, and its
    completed initial assessment's needs."""
    latest_decision = EligibilityDecision.objects.filter(case=OuterRef("pk")).order_by("-decided_at", "-pk")
    main = (
        cases.annotate(decision=Subquery(latest_decision.values("outcome")[:1]))
        .order_by("pk")
        .values_list("pk", "status", "decision", "caution__administered_on", "prosecution__id")
    )
    needs = (
        PathwayNeed.objects.filter(
            assessment__case__in=cases.values("pk"),
            assessment__kind=AssessmentKind.INITIAL,
            assessment__status=AssessmentStatus.COMPLETED,
        )
        .order_by("assessment__case_id", "pk")
        .values_list("assessment__case_id", "pathway", "level")
    )
    return main, needs


def case_extract_rows(cases, *, k: int, tally: dict | None = None, chunk_size=CHUNK) -> Iterator[list]:
    """The extract's rows for ``cases`` (a case queryset), k-anonymous, in order of case. Lazy:
    nothing is read until the first row is asked for. Once the last row has gone, ``tally`` holds
    ``sent`` and ``withheld`` (rows not sent) and ``levels`` (rows sent at each level)."""
    tally = {} if tally is None else tally
    identifier_rows, offence_rows = _identifier_queries(cases)
    main, need_rows = _row_queries(cases)
    groups, classes = dict(OffenceGroup.choices), dict(Classification.choices)
    sexes, statuses, levels = dict(Sex.choices), dict(CaseStatus.choices), dict(NeedLevel.choices)
    pathways = Pathway.values  # built anew each time it is read
    case_pseudonym = pseudonymiser("case")
    zone = timezone.get_current_timezone()
    with _one_snapshot():
        # First pass: the combinations, counted; each case keeps a reference to its (shared) one.
        offences = _ByCase(offence_rows.iterator(chunk_size=chunk_size))
        combination_of, counts, same = {}, Counter(), {}
        for (
            pk,
            sex,
            born,
            created_at,
            ethnicity_id,
            ethnic_group,
            area,
            scheme,
            cautioned_on,
        ) in identifier_rows.iterator(chunk_size=chunk_size):
            case_offences = offences.take(pk)
            present = {classification for _, classification in case_offences}
            opened = created_at.astimezone(zone)
            identifiers = (
                sexes.get(sex, sex),
                age_band(born, opened.date()),
                ethnic_group if ethnicity_id is not None else "Not recorded",
                area,
                scheme,
                "; ".join(sorted({groups.get(group, group) for group, _ in case_offences})),
                next((classes[c] for c in SERIOUSNESS if c in present), ""),
                sys.intern(f"{opened:%Y-%m}"),
                sys.intern(f"{cautioned_on:%Y-%m}") if cautioned_on else "",
            )
            identifiers = same.setdefault(identifiers, identifiers)
            combination_of[pk] = identifiers
            counts[identifiers] += 1
        del same
        shown_at = disclosure_levels(counts, k)
        shown = {c: generalise(c, level) for c, level in shown_at.items() if level is not None}
        per_level = Counter(shown_at[c] for c in combination_of.values())
        del counts, shown_at

        # Second pass: the rows, with each case's combination as it may be shown.
        needs = _ByCase(need_rows.iterator(chunk_size=chunk_size))
        sent = withheld = 0
        for pk, status, decision, cautioned_on, prosecution_id in main.iterator(chunk_size=chunk_size):
            case_needs = needs.take(pk)
            values = shown.get(combination_of.get(pk))
            if values is None:
                withheld += 1
                continue
            sex, age, ethnic, area, scheme, offence_groups, classification, opened, cautioned = values
            case_needs = {pathway: levels.get(level, level) for pathway, level in case_needs}
            sent += 1
            yield [
                case_pseudonym(pk),
                scheme,
                area,
                offence_groups,
                classification,
                sex,
                age,
                ethnic,
                opened,
                cautioned,
                statuses.get(status, status),
                decision or "",
                "breached"
                if prosecution_id is not None
                else ("completed" if status in DIVERTED_STATUSES and cautioned_on else ""),
                *[case_needs.get(p, "") for p in pathways],
            ]
    tally.update(
        sent=sent,
        withheld=withheld,
        levels={name: per_level[level] for level, name in enumerate(LEVELS) if per_level.get(level)},
    )


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

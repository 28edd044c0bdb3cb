"""The pseudonymised case extract: streamed (issue 12, "Memory that stays flat"), k-anonymous and a
disclosure of its own (issue 15, part 5). With k = 1 the rows are those the ORM gives case by case;
with k = 10 no row's quasi-identifiers, as shown, fit fewer than 10 rows; a fixed number of queries
whatever the number of cases; recorded and audited before the first row leaves, the rows sent
noted once the last has gone."""

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, SEXUAL_ASSAULT
from reporting_support import EXTRACT_FORM, body, csv_rows, extract_download

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, NeedLevel, Pathway, PathwayNeed
from cases.models import Case, Classification, DecisionOutcome, OffenceGroup
from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.exports import HEADER, WITHHELD, age_band
from reporting.models import CaseExtract
from reporting.pseudonyms import pseudonym
from reporting.selectors import DIVERTED_STATUSES
from reporting.services import csv_safe

EXTRACT = reverse("reporting:extract")
OUTCOMES = [None, "ineligible", "active", "completed", "breached", "completed"]
OFFENCES = [(COMMON_ASSAULT,), (ABH, COMMON_ASSAULT), (ROBBERY,), (SEXUAL_ASSAULT, ABH, ROBBERY)]
QUASI_IDENTIFIERS = [
    "scheme",
    "area",
    "offence groups",
    "most serious classification",
    "sex",
    "age band when opened",
    "ethnic group",
    "opened",
    "cautioned",
]


def rows_case_by_case(force):
    """Every case's row as recorded (k = 1), read case by case through the ORM: the reference the
    streamed extract must match."""
    cases = (
        Case.objects.filter(force=force)
        .select_related("scheme", "area", "person__ethnicity", "caution", "prosecution")
        .prefetch_related("offences__offence", "assessments__needs", "decisions")
        .order_by("pk")
    )
    groups, classes = dict(OffenceGroup.choices), dict(Classification.choices)
    rows = []
    for case in cases:
        offences = list(case.offences.all())
        decisions = list(case.decisions.all())
        decision = max(decisions, key=lambda d: (d.decided_at, d.pk)).outcome if decisions else ""
        caution = getattr(case, "caution", None)
        prosecution = getattr(case, "prosecution", None)
        initial = next(
            (a for a in case.assessments.all() if a.kind == AssessmentKind.INITIAL and a.is_locked), None
        )
        levels = {n.pathway: n.get_level_display() for n in initial.needs.all()} if initial else {}
        opened = timezone.localtime(case.created_at)
        row = [
            pseudonym("case", case.pk),
            case.scheme.name,
            case.area.name,
            "; ".join(sorted({groups.get(o.offence.group, o.offence.group) for o in offences})),
            next(
                (
                    classes[c]
                    for c in ("indictable_only", "either_way", "summary_only")
                    if any(o.offence.classification == c for o in offences)
                ),
                "",
            ),
            case.person.get_sex_display(),
            age_band(case.person.date_of_birth, opened.date()),
            case.person.ethnicity.group if case.person.ethnicity else "Not recorded",
            f"{opened:%Y-%m}",
            f"{caution.administered_on:%Y-%m}" if caution else "",
            case.get_status_display(),
            decision,
            "breached"
            if prosecution
            else ("completed" if case.status in DIVERTED_STATUSES and caution else ""),
            *[levels.get(p, "") for p in Pathway.values],
        ]
        rows.append([csv_safe(v) for v in row])
    return rows


@pytest.fixture
def populate(build, case_worker):
    """``populate(n)``: n more cases of every kind: intake to breached, one to three offences of
    different classifications, a re-made eligibility decision (one at the same moment as another),
    initial assessments completed or still draft and final ones, some people without an ethnic group
    and some with a second case, a case opened last year."""
    counter = itertools.count()
    today = timezone.localdate()
    people = []

    def add(n):
        for _ in range(n):
            i = next(counter)
            outcome = OUTCOMES[i % len(OUTCOMES)]
            fields = {"ethnicity": [None, "W1", "A4", "B2"][i % 4], "sex": ["male", "female"][i % 2]}
            if people and i % 5 == 0:
                fields = {"person": people[-1]}
            case = build(
                outcome=outcome,
                cautioned_on=today - timedelta(days=[30, 400, 700][i % 3]),
                offences=OFFENCES[i % len(OFFENCES)],
                created_at=timezone.now() - timedelta(days=[1, 45, 400][i % 3]),
                **fields,
            )
            people.append(case.person)
            if outcome and i % 4 == 1:
                first = case.decisions.get()
                again = case.decisions.get()
                again.pk, again.supersedes = None, first
                again.outcome = DecisionOutcome.INELIGIBLE if i % 8 == 1 else DecisionOutcome.ELIGIBLE
                if i % 8 == 5:
                    again.decided_at = first.decided_at  # the same moment: the later one counts
                else:
                    again.decided_at = first.decided_at + timedelta(hours=2)
                again.save()
            if outcome in {"active", "completed", "breached"}:
                kinds = [AssessmentKind.INITIAL] + ([AssessmentKind.FINAL] if i % 2 else [])
                for kind in kinds:
                    status = AssessmentStatus.DRAFT if i % 7 == 3 else AssessmentStatus.COMPLETED
                    assessment = Assessment.objects.create(
                        case=case, kind=kind, status=status, created_by=case_worker
                    )
                    for j, pathway in enumerate(Pathway.values[i % 3 :: 2]):
                        PathwayNeed.objects.create(
                            assessment=assessment, pathway=pathway, level=NeedLevel.values[(i + j) % 4]
                        )

    return add


@pytest.fixture
def analyst_client(client_for, analyst, permit):
    permit(analyst)
    return client_for(analyst)


def _streamed(client, **data):
    response = extract_download(client, **data)
    assert response.status_code == 200
    assert response.streaming
    return response


def test_with_k_of_one_every_case_is_a_row_as_recorded(analyst_client, force, populate, settings):
    settings.DISCLOSURE_MIN_COHORT = 1
    populate(24)
    header, *rows = csv_rows(_streamed(analyst_client))
    assert header == HEADER and len(header) == 13 + len(Pathway.values)
    expected = rows_case_by_case(force)
    assert len(expected) == 24
    assert rows == expected
    # Every kind of value occurs, so the comparison means something.
    columns = dict(zip(header, zip(*rows, strict=True), strict=True))
    assert set(columns["outcome"]) == {"", "completed", "breached"}
    assert set(columns["decision"]) == {"", "eligible", "ineligible"}
    assert set(columns["most serious classification"]) == {"Summary only", "Either way", "Indictable only"}
    assert "Not recorded" in columns["ethnic group"] and "White" in columns["ethnic group"]
    assert any("; " in groups for groups in columns["offence groups"])
    levels = set().union(*(columns[f"need: {label}"] for label in Pathway.labels))
    assert levels == {"", *NeedLevel.labels}


def test_no_rows_quasi_identifiers_fit_fewer_than_k_rows(analyst_client, force, populate, settings):
    settings.DISCLOSURE_MIN_COHORT = 10
    populate(60)
    header, *rows = csv_rows(_streamed(analyst_client))
    shown = Counter(tuple(row[header.index(c)] for c in QUASI_IDENTIFIERS) for row in rows)
    assert rows and min(shown.values()) >= 10
    assert any(WITHHELD in combination for combination in shown)  # some generalised
    assert any("Q" in combination[7] for combination in shown) or any(
        len(combination[7]) == 4 for combination in shown
    )
    # The rest is shown as it is, for the cases that are shown.
    recorded = {row[0]: row for row in rows_case_by_case(force)}
    for row in rows:
        others = [i for i, name in enumerate(header) if name not in QUASI_IDENTIFIERS]
        assert [row[i] for i in others] == [recorded[row[0]][i] for i in others]
    extract = CaseExtract.objects.get()
    assert (extract.rows_sent, extract.rows_withheld) == (len(rows), 60 - len(rows))
    assert extract.finished_at is not None and extract.min_cohort == 10


def test_a_year_of_cases(analyst_client, force, populate, settings):
    settings.DISCLOSURE_MIN_COHORT = 1
    populate(12)
    year = timezone.localdate().year
    header, *rows = csv_rows(_streamed(analyst_client, opened_in=str(year)))
    opened = [row[header.index("opened")] for row in rows]
    assert opened and all(month.startswith(str(year)) for month in opened)
    assert len(rows) == Case.objects.filter(force=force, created_at__year=year).count() < 12
    assert CaseExtract.objects.get().opened_in == year


def _queries(client, **data):
    """Queries sent for one extract, read to its end."""
    with CaptureQueriesContext(connection) as queries:
        body(extract_download(client, **data))
    return len(queries)


@pytest.mark.parametrize("data", [{}, {"opened_in": str(timezone.localdate().year)}])
def test_the_extract_runs_a_fixed_number_of_queries(analyst_client, populate, data):
    populate(4)
    _queries(analyst_client, **data)
    few = _queries(analyst_client, **data)
    populate(40)
    assert _queries(analyst_client, **data) == few


def test_the_extract_is_recorded_and_audited_before_its_rows_leave(
    analyst_client, analyst, populate, build, settings
):
    settings.DISCLOSURE_MIN_COHORT = 1
    populate(9)
    response = _streamed(analyst_client)
    extract = CaseExtract.objects.get()  # before a row is read
    assert (extract.made_by, extract.purpose, extract.recipient) == (
        analyst,
        EXTRACT_FORM["purpose"],
        EXTRACT_FORM["recipient"],
    )
    assert extract.cases_considered == 9 and extract.finished_at is None
    event = AuditEvent.objects.get(action=AuditAction.DISCLOSED)
    assert event.actor == analyst
    assert event.object_label == f"Pseudonymised case extract #{extract.pk}"
    assert event.owner_organisation == analyst.organisation.force
    assert "9 cases considered" in event.reason
    # What was typed is kept on the record, never in the audit log.
    assert EXTRACT_FORM["purpose"] not in event.reason + event.recipient
    assert EXTRACT_FORM["recipient"] not in event.reason + event.recipient
    build(outcome="completed")  # opened while the extract streams: not in it
    rows = csv_rows(response)[1:]
    assert len(rows) == 9
    extract.refresh_from_db()
    assert (extract.rows_sent, extract.rows_withheld) == (9, 0)
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSED).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()

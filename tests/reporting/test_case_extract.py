"""The pseudonymised case extract is streamed (issue 12, "Memory that stays flat"): the same rows as
when it was built in memory, a fixed number of queries whatever the number of cases, audited before
the first row leaves with the number of rows it sends."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, SEXUAL_ASSAULT
from reporting_support import body, csv_rows

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, NeedLevel, Pathway, PathwayNeed
from cases.models import Classification, DecisionOutcome, OffenceGroup
from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.pseudonyms import pseudonym
from reporting.selectors import DIVERTED_STATUSES, scoped_cases
from reporting.services import csv_safe

EXTRACT = reverse("reporting:extract")
OUTCOMES = [None, "ineligible", "active", "completed", "breached", "completed"]
OFFENCES = [(COMMON_ASSAULT,), (ABH, COMMON_ASSAULT), (ROBBERY,), (SEXUAL_ASSAULT, ABH, ROBBERY)]


def extract_as_before(user):
    """The extract's rows as the view built them before it streamed (the code it had, kept here as
    the reference): every case with select_related and prefetch_related, in memory."""
    cases = (
        scoped_cases(user, today=timezone.localdate())
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
        row = [
            pseudonym("case", case.pk),
            pseudonym("person", case.person_id),
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
            case.age_band,
            case.person.ethnicity.group if case.person.ethnicity else "Not recorded",
            case.get_status_display(),
            decision,
            f"{case.created_at:%Y-%m}",
            f"{caution.administered_on:%Y-%m}" if caution else "",
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


def _streamed(client, params=None):
    response = client.get(EXTRACT, params or {})
    assert response.status_code == 200
    return response


def test_the_streamed_extract_has_the_same_rows_as_before(client_for, analyst, populate):
    populate(24)
    response = _streamed(client_for(analyst))
    assert response.streaming
    header, *rows = csv_rows(response)
    assert header[:2] == ["case", "person"] and len(header) == 14 + len(Pathway.values)
    expected = extract_as_before(analyst)
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


def test_a_filtered_extract_has_the_same_rows_as_before(client_for, supervisor, populate):
    populate(18)
    client = client_for(supervisor)
    rows = csv_rows(_streamed(client, {"sex": "female"}))[1:]
    expected = [row for row in extract_as_before(supervisor) if row[6] == "Female"]
    assert rows == expected and expected


def _queries(client, params=None):
    """Queries sent for one extract, read to its end."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EXTRACT, params or {})
        body(response)
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"offence_group": "violence", "sex": "male"}])
def test_the_extract_runs_a_fixed_number_of_queries(client_for, analyst, populate, params):
    client = client_for(analyst)
    populate(4)
    _queries(client, params)
    few = _queries(client, params)
    populate(40)
    assert _queries(client, params) == few


def test_the_extract_is_audited_before_its_rows_leave_with_the_rows_it_sends(
    client_for, analyst, populate, build
):
    populate(9)
    client = client_for(analyst)
    response = _streamed(client)
    event = AuditEvent.objects.get(action=AuditAction.EXPORTED)  # before a row is read
    assert event.reason == "9 rows exported"
    assert event.object_label == "Pseudonymised case extract"
    assert event.actor == analyst
    build(outcome="completed")  # opened while the extract streams: not in it
    rows = csv_rows(response)[1:]
    assert len(rows) == 9
    assert AuditEvent.objects.filter(action=AuditAction.EXPORTED).count() == 1


def test_an_empty_or_refused_filter_streams_the_header_only(client_for, analyst, populate):
    populate(3)
    client = client_for(analyst)
    header_only = csv_rows(_streamed(client, {"opened_from": "not a date"}))
    assert len(header_only) == 1
    assert AuditEvent.objects.filter(action=AuditAction.EXPORTED, reason="0 rows exported").exists()

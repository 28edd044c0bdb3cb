"""Issue 14, part 7: whether the six-month limit applies is the offence's own flag, not how it is tried.
Criminal damage of £5,000 or less and shop theft of £200 or less are either-way offences tried
summarily for their value: no limit, but still the summary-only penalty maximum."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory

from cases.models import Case, CaseEvent, CaseStatus, Classification, Offence
from cases.rules import assess_eligibility, case_time_limit, latest_proceedings_date
from conditions.rules import most_serious_classification
from offenderhub.notifications.models import Notification

pytestmark = pytest.mark.django_db

CRIMINAL_DAMAGE = "Criminal damage (under £5,000)"
SHOP_THEFT = "Shop theft (goods worth £200 or less)"
COMMON_ASSAULT = "Common assault"
migration = importlib.import_module("cases.migrations.0011_six_month_limit_follows_the_law")


def test_the_reference_data_says_where_the_limit_applies():
    for name in (CRIMINAL_DAMAGE, SHOP_THEFT):
        offence = Offence.objects.get(name=name)
        assert offence.classification == Classification.SUMMARY_ONLY  # tried summarily: its penalty
        assert not offence.time_limit_applies
    truly_summary = Offence.objects.filter(classification=Classification.SUMMARY_ONLY).exclude(
        name__in=[CRIMINAL_DAMAGE, SHOP_THEFT]
    )
    assert truly_summary.filter(name__in=[COMMON_ASSAULT, "Drunk and disorderly"]).count() == 2
    assert all(o.time_limit_applies for o in truly_summary)
    assert not Offence.objects.exclude(classification=Classification.SUMMARY_ONLY).filter(
        time_limit_applies=True
    )


def test_low_value_shop_theft_has_no_limit_but_keeps_the_summary_penalty(force):
    case = CaseFactory(force=force)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=SHOP_THEFT))
    offences = list(case.offences.select_related("offence"))
    case.refresh_from_db()

    assert case.first_summary_offence_date is None
    assert case_time_limit(case, offences) is None
    assessment = assess_eligibility(case, offences, on=timezone.localdate() + timedelta(days=400))
    assert "time_limit" not in {c.code for c in assessment.criteria}  # no acknowledgement, no refusal
    assert most_serious_classification(offences) == Classification.SUMMARY_ONLY
    assert case.scheme.disposal_type.max_penalty_for(most_serious_classification(offences)) == 50


def test_common_assault_still_has_its_limit(force):
    case = CaseFactory(force=force)
    added = CaseOffenceFactory(case=case, offence=OffenceFactory(name=COMMON_ASSAULT))
    case.refresh_from_db()

    assert case.first_summary_offence_date == added.offence_date
    limit = case_time_limit(case, list(case.offences.select_related("offence")))
    assert limit.latest_proceedings_date == latest_proceedings_date(added.offence_date)


# --- The data migration --------------------------------------------------------------------------------


def _as_before_the_migration(case):
    """The column as it was when criminal damage and low-value shop theft counted as summary-only."""
    first = min(
        o.offence_date
        for o in case.offences.select_related("offence")
        if o.offence.classification == "summary_only"
    )
    Case.objects.filter(pk=case.pk).update(first_summary_offence_date=first)


@pytest.fixture
def cases_before(force, case_worker):
    today = timezone.localdate()
    damage_only = CaseFactory(force=force, owner=case_worker, status=CaseStatus.ACTIVE)
    CaseOffenceFactory(
        case=damage_only,
        offence=OffenceFactory(name=CRIMINAL_DAMAGE),
        offence_date=today - timedelta(days=100),
    )
    with_assault = CaseFactory(force=force, owner=case_worker, status=CaseStatus.AWAITING_DECISION)
    CaseOffenceFactory(
        case=with_assault, offence=OffenceFactory(name=SHOP_THEFT), offence_date=today - timedelta(days=90)
    )
    CaseOffenceFactory(
        case=with_assault,
        offence=OffenceFactory(name=COMMON_ASSAULT),
        offence_date=today - timedelta(days=30),
    )
    closed = CaseFactory(force=force, owner=case_worker, status=CaseStatus.COMPLETED)
    CaseOffenceFactory(
        case=closed, offence=OffenceFactory(name=SHOP_THEFT), offence_date=today - timedelta(days=300)
    )
    untouched = CaseFactory(force=force, owner=case_worker, status=CaseStatus.ACTIVE)
    CaseOffenceFactory(
        case=untouched, offence=OffenceFactory(name=COMMON_ASSAULT), offence_date=today - timedelta(days=20)
    )
    made = {
        "damage_only": damage_only,
        "with_assault": with_assault,
        "closed": closed,
        "untouched": untouched,
    }
    for case in made.values():
        _as_before_the_migration(case)
    return made


def _column(case):
    return Case.objects.values_list("first_summary_offence_date", flat=True).get(pk=case.pk)


def test_the_migration_recomputes_the_limits_records_them_and_tells_the_case_worker(
    cases_before, case_worker
):
    today = timezone.localdate()
    migration.forward(apps, None)

    assert _column(cases_before["damage_only"]) is None
    assert _column(cases_before["with_assault"]) == today - timedelta(days=30)
    assert _column(cases_before["closed"]) is None  # kept true, silently
    assert _column(cases_before["untouched"]) == today - timedelta(days=20)

    events = {e.case_id: e for e in CaseEvent.objects.filter(code="time_limit_changed")}
    assert set(events) == {cases_before["damage_only"].pk, cases_before["with_assault"].pk}
    assert events[cases_before["damage_only"].pk].summary.startswith("Six-month limit removed")
    new_by = latest_proceedings_date(today - timedelta(days=30))
    assert f"must now start by {new_by:%-d %B %Y}" in events[cases_before["with_assault"].pk].summary
    assert "Jobson v DPP" in events[cases_before["damage_only"].pk].notes

    notes = Notification.objects.filter(kind="time_limit_changed")
    assert {(n.recipient, n.case_reference) for n in notes} == {
        (case_worker, cases_before["damage_only"].reference),
        (case_worker, cases_before["with_assault"].reference),
    }
    for note in notes:
        assert note.url == f"/cases/{Case.objects.get(reference=note.case_reference).pk}/"
        assert note.email_status == "pending"
        assert "Criminal damage" not in note.body and "theft" not in note.body.lower()
    assert f"{new_by:%-d %B %Y}" in notes.get(case_reference=cases_before["with_assault"].reference).body


def test_the_migration_run_again_changes_nothing(cases_before):
    migration.forward(apps, None)
    migration.forward(apps, None)

    assert CaseEvent.objects.filter(code="time_limit_changed").count() == 2
    assert Notification.objects.filter(kind="time_limit_changed").count() == 2


def test_reversing_the_migration_puts_the_old_limits_back(cases_before):
    before = {name: _column(case) for name, case in cases_before.items()}
    migration.forward(apps, None)

    migration.backward(apps, None)

    assert {name: _column(case) for name, case in cases_before.items()} == before


def test_the_timeline_shows_the_change(client_for, case_worker, cases_before):
    migration.forward(apps, None)

    page = client_for(case_worker).get(f"/cases/{cases_before['damage_only'].pk}/").content.decode()

    assert "Six-month limit removed" in page
    assert "Summary-only offence: proceedings must start by" not in page

"""The six-month limit for summary-only offences (Magistrates' Courts Act 1980 s.127; DOMAIN.md, Law)."""

from datetime import date, timedelta

import pytest
from factories import (
    ABH,
    COMMON_ASSAULT,
    ROBBERY,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    SchemeFactory,
)

from cases.rules import case_time_limit, latest_proceedings_date


@pytest.mark.parametrize(
    ("offence_date", "latest"),
    [
        (date(2025, 8, 31), date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2023, 8, 31), date(2024, 2, 29)),  # leap year
        (date(2026, 3, 15), date(2026, 9, 15)),
        (date(2025, 3, 15), date(2025, 9, 15)),
        (date(2025, 12, 31), date(2026, 6, 30)),
        (date(2025, 9, 30), date(2026, 3, 30)),
    ],
)
def test_proceedings_must_start_within_six_calendar_months_of_the_offence(offence_date, latest):
    assert latest_proceedings_date(offence_date) == latest


def _case_with(force, scheme, *offences):
    """A saved case with ``offences`` as (name, date) pairs; the arrest follows the last offence."""
    case = CaseFactory(force=force, scheme=scheme, arrest_date=max(d for _, d in offences))
    for name, day in offences:
        CaseOffenceFactory(case=case, offence=OffenceFactory(name=name), offence_date=day)
    return case, list(case.offences.select_related("offence"))


@pytest.fixture
def scheme_112_plus_10(force):
    """Default compliance period 16 weeks (112 days) and 10 days to decide a breach: 122 days in all."""
    return SchemeFactory(force=force, compliance_period_default_days=112, breach_decision_days=10)


def test_either_way_only_case_has_no_time_limit(force, scheme_112_plus_10):
    case, offences = _case_with(
        force, scheme_112_plus_10, (ABH, date(2025, 8, 31)), (ROBBERY, date(2025, 8, 30))
    )

    assert case_time_limit(case, offences, start=date(2025, 9, 1)) is None


def test_time_limit_is_the_earliest_among_summary_only_offences(force, scheme_112_plus_10):
    case, offences = _case_with(
        force,
        scheme_112_plus_10,
        (ABH, date(2025, 6, 1)),
        (COMMON_ASSAULT, date(2025, 8, 31)),
        (COMMON_ASSAULT, date(2025, 8, 20)),
    )

    limit = case_time_limit(case, offences, start=date(2025, 9, 1))

    assert limit.latest_proceedings_date == date(2026, 2, 20)
    assert limit.offence_name == COMMON_ASSAULT


@pytest.mark.parametrize(
    ("start", "at_risk"),
    [
        (date(2025, 9, 1), False),  # period ends 1 January 2026
        (date(2025, 10, 29), False),  # period ends 28 February 2026, the limit itself
        (date(2025, 10, 30), True),  # period ends 1 March 2026, a day past the limit
        (date(2025, 11, 15), True),
    ],
)
def test_at_risk_when_the_compliance_period_and_breach_decision_pass_the_limit(
    force, scheme_112_plus_10, start, at_risk
):
    case, offences = _case_with(force, scheme_112_plus_10, (COMMON_ASSAULT, date(2025, 8, 31)))

    limit = case_time_limit(case, offences, start=start)

    assert limit.latest_proceedings_date == date(2026, 2, 28)
    assert limit.period_end == start + timedelta(days=122)
    assert limit.at_risk is at_risk


@pytest.mark.every_day
def test_detail_page_warns_when_the_limit_is_at_risk(client_for, case_worker, force, scheme, area):
    case = CaseFactory(force=force, scheme=scheme, area=area, owner=case_worker)
    offence_date = case.arrest_date - timedelta(days=100)  # 112 + 10 days from today is past the limit
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=COMMON_ASSAULT), offence_date=offence_date)

    response = client_for(case_worker).get(f"/cases/{case.pk}/")

    assert response.context["time_limit"].at_risk is True
    limit = latest_proceedings_date(offence_date)
    assert f"must start by {limit.day} {limit:%B %Y}" in response.content.decode()
    assert "after that date" in response.content.decode()

"""The supervisor's loud alert on the home page: every open case whose summary-only six-month limit has
passed or falls within the week, and no other, whatever the day (six calendar months are not a fixed
number of days, and a month end shortens them)."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, CaseFactory, CaseOffenceFactory, OffenceFactory

from cases.rules import latest_proceedings_date
from conditions.selectors import time_limit_alerts_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases_around(force, area, scheme, case_worker):
    """``cases_around(today)``: one open case per summary-only offence committed on each of the 19 days
    around six months before the end of the week (limits from five days passed to a week after it),
    and an either-way case from the same days (no limit). Returns ``{case: offence date}``."""

    def build(today):
        first = today + timedelta(days=7) - relativedelta(months=6) - timedelta(days=12)
        offences = {}
        for n in range(19):
            day = first + timedelta(days=n)
            case = CaseFactory(force=force, area=area, scheme=scheme, owner=case_worker, arrest_date=day)
            CaseOffenceFactory(case=case, offence=OffenceFactory(name=COMMON_ASSAULT), offence_date=day)
            offences[case] = day
        either_way = CaseFactory(force=force, area=area, scheme=scheme, owner=case_worker, arrest_date=first)
        CaseOffenceFactory(case=either_way, offence=OffenceFactory(name=ABH), offence_date=first)
        return offences

    return build


def _expected(offences, today):
    """The alerts the law gives: each case whose limit is at most a week away, in date order."""
    alerts = []
    for case, day in sorted(offences.items(), key=lambda item: (item[1], item[0].pk)):
        deadline = latest_proceedings_date(day)
        if deadline <= today + timedelta(days=7):
            alerts.append((case.pk, deadline, (deadline - today).days))
    return alerts


def _alerts(supervisor, today):
    return [
        (a["case"].pk, a["deadline"], a["days_left"]) for a in time_limit_alerts_for(supervisor, today=today)
    ]


@pytest.mark.every_day
def test_the_alerts_are_the_cases_whose_limit_has_passed_or_falls_within_the_week(
    cases_around, supervisor, client_for
):
    today = timezone.localdate()
    offences = cases_around(today)

    alerts = _alerts(supervisor, today)

    assert alerts == _expected(offences, today)
    assert alerts[0][2] < 0 < alerts[-1][2] <= 7  # the longest passed first, up to a week away
    assert 0 < len(offences) - len(alerts) < 19 - 7  # the cases further away are not alerts
    home = client_for(supervisor).get(reverse("core:home"))
    [section] = home.context["sections"]
    assert [a["case"].pk for a in section["time_limits"]] == [pk for pk, *_ in alerts]
    # MoJ's alert component, as designed (issue 16): on the home page and on a passed case's overview.
    assert 'class="moj-alert moj-alert--error"' in home.content.decode()
    overview = client_for(supervisor).get(reverse("cases:detail", args=[alerts[0][0]])).content.decode()
    assert 'class="moj-alert moj-alert--error"' in overview
    assert "Proceedings can no longer start in time" in overview


@pytest.mark.parametrize(
    "today",
    [date(2027, 2, 21), date(2028, 2, 22), date(2027, 9, 23)],
    ids=["week-ends-28-feb", "week-ends-29-feb-leap", "week-ends-30-sep"],
)
def test_a_week_ending_at_a_month_end_alerts_every_offence_whose_limit_that_month_end_is(
    cases_around, supervisor, today
):
    """Offences on the 29th, 30th and 31st of August all reach their limit on 28 February (29 in a
    leap year): each must be in the alert the week before."""
    offences = cases_around(today)

    alerts = _alerts(supervisor, today)

    assert alerts == _expected(offences, today)
    week_end = today + timedelta(days=7)
    at_week_end = [day for case, day in offences.items() if latest_proceedings_date(day) == week_end]
    assert len(at_week_end) >= 2
    assert len([a for a in alerts if a[1] == week_end]) == len(at_week_end)

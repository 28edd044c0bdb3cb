"""The suite's clock (tests/conftest.py, tests/clock_support.py): no test sees the real date; a test
marked ``every_day`` runs once on each of its days, which cover every weekday, a month end, a leap
day and a bank holiday of the England calendar the app counts working days with."""

import time
from datetime import date, timedelta

import pytest
from clock_support import EVERY_DAY, day_id, default_now
from django.utils import timezone

from offenderhub.core.workdays import _bank_holidays, is_working_day


@pytest.mark.every_day
def test_an_every_day_test_runs_on_its_day_at_ten_in_the_morning_with_the_clock_ticking(request, clock_day):
    assert request.node.name.endswith(f"[{day_id(clock_day)}]")
    assert timezone.localdate() == clock_day
    assert date.today() == clock_day
    assert timezone.localtime().strftime("%H:%M") == "10:00"
    started = timezone.now()
    time.sleep(0.01)
    assert timezone.now() > started


def test_every_day_runs_each_weekday_a_month_end_a_leap_day_and_a_bank_holiday():
    assert sorted({day.weekday() for day in EVERY_DAY}) == list(range(7))
    assert any((day + timedelta(days=1)).day == 1 for day in EVERY_DAY)  # a month end
    assert date(2028, 2, 29) in EVERY_DAY
    bank_holidays = [day for day in EVERY_DAY if day in _bank_holidays(day.year)]
    assert bank_holidays and not any(is_working_day(day) for day in bank_holidays)
    assert len(set(EVERY_DAY)) == len(EVERY_DAY)


def test_an_unmarked_test_runs_at_the_fixed_instant_not_the_real_date(clock_day):
    assert clock_day is None
    assert timedelta(0) <= timezone.now() - default_now() < timedelta(minutes=30)

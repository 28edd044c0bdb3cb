"""The suite's clock, which tests/conftest.py sets for every test: a fixed instant (an ordinary
Wednesday morning, or ``OFFENDERHUB_TEST_NOW``), never the real date, and for a test marked
``every_day`` each day of ``EVERY_DAY`` in turn. The clock ticks on from there (time-machine,
``tick=True``), so a test takes its dates from ``timezone.localdate()`` or an explicit ``today``.

To look for date-sensitive tests, run the suite at another instant:
``OFFENDERHUB_TEST_NOW=2027-12-31 pytest`` (10:00 London time) or ``...=2027-03-28T00:30``."""

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
TIME_OF_DAY = time(10, 0)

# An ordinary Wednesday morning, weeks from any bank holiday or month end.
DEFAULT_TEST_NOW = datetime(2027, 6, 16, 10, 0, tzinfo=LONDON)

# The days a test marked ``every_day`` runs on: one of each weekday, then a month end (also a year
# end, the working day before the New Year bank holiday), a leap day and a bank holiday (Easter
# Monday, with Good Friday three days before).
EVERY_DAY = (
    *(date(2027, 3, day) for day in range(1, 8)),  # Monday 1 to Sunday 7 March 2027
    date(2027, 12, 31),
    date(2028, 2, 29),
    date(2027, 3, 29),
)


def default_now() -> datetime:
    """``OFFENDERHUB_TEST_NOW`` (a date, at 10:00, or a date and time; London time unless it says
    otherwise), else ``DEFAULT_TEST_NOW``."""
    value = os.environ.get("OFFENDERHUB_TEST_NOW")
    if not value:
        return DEFAULT_TEST_NOW
    moment = datetime.fromisoformat(value)
    if "T" not in value and " " not in value:
        moment = datetime.combine(moment.date(), TIME_OF_DAY)
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def morning_of(day: date) -> datetime:
    """10:00 London time on ``day``: the instant an ``every_day`` test runs at."""
    return datetime.combine(day, TIME_OF_DAY, tzinfo=LONDON)


def day_id(day: date) -> str:
    """``mon-2027-03-01``: the id of an ``every_day`` run."""
    return f"{day:%a}-{day.isoformat()}".lower()

"""The retention periods are checked when the app starts (``manage.py check``, ``migrate``): a misspelt
status would otherwise be ignored and its cases never reviewed."""

from retention.checks import retention_periods_known


def test_the_default_periods_pass():
    assert retention_periods_known(None) == []


def test_a_misspelt_status_fails_the_check(settings):
    settings.RETENTION_REVIEW_YEARS = {**settings.RETENTION_REVIEW_YEARS, "withdrawm": 3}
    assert [e.id for e in retention_periods_known(None)] == ["retention.E001"]


def test_a_negative_period_fails_the_check(settings):
    settings.RETENTION_REVIEW_YEARS = {**settings.RETENTION_REVIEW_YEARS, "declined": -1}
    assert [e.id for e in retention_periods_known(None)] == ["retention.E002"]


def test_a_negative_period_for_people_without_a_case_fails_the_check(settings):
    settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE = -2
    assert [e.id for e in retention_periods_known(None)] == ["retention.E003"]

from django.conf import settings
from django.core.checks import Error, register

from .workflow import ENDED_STATUSES


@register()
def retention_periods_known(app_configs, **kwargs):
    """RETENTION_REVIEW_YEARS names only statuses a case ends in, each with a whole number of years:
    a misspelt status would otherwise be ignored and its cases never reviewed."""
    periods = settings.RETENTION_REVIEW_YEARS
    errors = []
    unknown = sorted(set(periods) - set(ENDED_STATUSES))
    if unknown:
        errors.append(
            Error(
                f"RETENTION_REVIEW_YEARS names statuses a case does not end in: {', '.join(unknown)}.",
                hint=f"Use only {', '.join(sorted(ENDED_STATUSES))}.",
                id="retention.E001",
            )
        )
    negative = sorted(status for status, years in periods.items() if years < 0)
    if negative:
        errors.append(
            Error(
                f"RETENTION_REVIEW_YEARS gives a negative number of years for {', '.join(negative)}.",
                id="retention.E002",
            )
        )
    if settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE < 0:
        errors.append(
            Error("RETENTION_REVIEW_YEARS_WITHOUT_CASE is a negative number of years.", id="retention.E003")
        )
    return errors

from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=58,
)
def refresh_summaries():
    """Every minute: summarise again the cases changed since the last refresh (reporting/summaries.py),
    so the dashboard seldom has any to do itself, then make each force's unfiltered dashboard figures
    again if its summaries changed, so that no analyst's request waits for them. The summaries stop
    after about 35 seconds; the next run carries on."""
    from .selectors import dashboard_figures_made_in_job
    from .summaries import refresh_all_stale

    summarised = refresh_all_stale(seconds=35)
    return {"summarised": summarised, "dashboards_made": dashboard_figures_made_in_job()}

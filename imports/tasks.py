"""The caseload import's jobs: each takes the import's id and calls its service, which claims the
import, so a job queued twice (or by the sweep beside it) works on it once."""

from celery import shared_task

TIME_LIMIT = 30 * 60  # seconds: 50,000 rows take about a minute


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=TIME_LIMIT - 60, time_limit=TIME_LIMIT)
def caseload_import_check_task(import_id: int):
    """Check an uploaded caseload file (a dry run) and keep the report."""
    from .services import caseload_import_check

    caseload_import_check(import_id=import_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=TIME_LIMIT - 60, time_limit=TIME_LIMIT)
def caseload_import_run_task(import_id: int):
    """Import a confirmed caseload file, all or nothing."""
    from .services import caseload_import_run

    caseload_import_run(import_id=import_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=58)
def caseload_imports_sweep():
    """Every minute: the imports whose job was never queued, stopped, or left unconfirmed."""
    from .services import caseload_imports_sweep as sweep

    return sweep()

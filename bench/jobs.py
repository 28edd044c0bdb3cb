"""Run the daily jobs for DAY in this process, in order, as ``manage.py run_daily_jobs --today DAY``
does, and print as one line of JSON how long they took, how many queries they sent (in all and for
each job) and the process's peak memory. bench/run.py calls it twice: the first run does the day's
work, the second must find nothing to do."""

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, beside bench/


def main(day: str) -> None:
    import django

    django.setup()
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    from offenderhub.core.jobs import DAILY_JOBS, job_run

    sql = sql_beside(connection, date.fromisoformat(day))
    counts, jobs, failed = {}, {}, ""
    started = time.monotonic()
    with connection.execute_wrapper(count):
        for name in DAILY_JOBS:  # as run_daily_jobs does, in order, each job timed on its own
            before, job_started = queries, time.monotonic()
            try:
                counts[name] = job_run(name, today=date.fromisoformat(day), trigger="command")
            except Exception as exc:  # a failed job is reported, and the others still run
                counts[name] = {"error": f"{type(exc).__name__}: {exc}"}
                failed = failed or f"{name}: {type(exc).__name__}: {exc}"
            jobs[name] = {"seconds": round(time.monotonic() - job_started, 2), "queries": queries - before}
    seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "queries": queries,
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "counts": counts,
                "jobs": jobs,
                "error": failed,
                # The same work in hand-written SQL (bench/jobs_sql.py), run before the jobs in a
                # transaction rolled back: its time, what it found, and the job's time over it.
                "sql": {
                    name: {**found, "ratio": round(jobs[name]["seconds"] / found["seconds"], 2)}
                    for name, found in sql.items()
                },
            }
        )
    )


def sql_beside(connection, today) -> dict:
    """Each job of bench/jobs_sql.py run twice in a transaction rolled back (the first warms the
    cache as the jobs will find it): ``{job: {"seconds", "counts"}}`` of the second run."""
    import jobs_sql  # beside this script
    from django.db import transaction
    from django.utils import timezone

    class RolledBack(Exception):
        pass

    results = {}
    for name, function in jobs_sql.JOBS.items():
        for _ in range(2):
            started = time.monotonic()
            try:
                with transaction.atomic():
                    found = function(connection, today=today, now=timezone.now())
                    seconds = time.monotonic() - started
                    raise RolledBack
            except RolledBack:
                pass
        results[name] = {"seconds": round(seconds, 2), "counts": found}
    return results


if __name__ == "__main__":
    main(sys.argv[1])

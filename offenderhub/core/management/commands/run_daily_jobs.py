"""Run every daily job now, in order, for today or a chosen day, and print what each did as JSON."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from offenderhub.core.jobs import DAILY_JOBS, job_run


class Command(BaseCommand):
    help = "Run the daily jobs at once (reminders, overdue conditions, breach reviews, chases...)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if on this day (YYYY-MM-DD). Default: today.")
        parser.add_argument("--job", action="append", choices=sorted(DAILY_JOBS), help="Run only this job.")

    def handle(self, *args, today=None, job=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError("--today must be a date like 2026-11-23.") from exc
        results, failed = {}, []
        for name in DAILY_JOBS:
            if job and name not in job:
                continue
            try:
                results[name] = job_run(name, today=day, trigger="command")
            except Exception as exc:  # recorded on the JobRun; the other jobs still run
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
                failed.append(name)
        self.stdout.write(json.dumps(results, indent=2, sort_keys=False, default=str))
        if failed:
            raise CommandError(f"These jobs failed (see /jobs/): {', '.join(failed)}")

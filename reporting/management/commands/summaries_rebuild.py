"""Make the dashboard's summaries again for every case (reporting/summaries.py)."""

import resource

from django.core.management.base import BaseCommand

from reporting.summaries import BATCH, rebuild


class Command(BaseCommand):
    help = (
        "Summarise every case again for the dashboard, a batch at a time (each batch its own "
        "transaction, so the service carries on meanwhile). Needed after a load that set the "
        "database's triggers aside; otherwise the summaries follow every change by themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="Cases per batch.")

    def handle(self, *args, batch, **options):
        result = rebuild(batch=batch, out=lambda line: self.stdout.write(f"  {line}"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['cases']:,} cases summarised in {result['seconds']} s (peak memory {peak} MB)."
            )
        )

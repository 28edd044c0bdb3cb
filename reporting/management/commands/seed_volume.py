"""Add a large force's volume of records to the demo force, for the benchmark (issue 12)."""

import time
from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from offenderhub.accounts.models import Organisation
from offenderhub.core.demo import FORCE
from reporting.summaries import rebuild
from reporting.volume import volume_seed


class Command(BaseCommand):
    help = (
        "Add N cases, with their people, decisions, assessments, conditions, cautions, referrals, "
        "sessions, timelines, audit rows and notifications, to the demo force (loads the demo first "
        "if it is missing). Each run adds N more. For a benchmark or training database, never production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed, the same data.")
        parser.add_argument("--today", help="Generate as if on this day (YYYY-MM-DD). Default: today.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Generate even with DEBUG off (a benchmark run with production settings).",
        )

    def handle(self, *args, cases, seed, today=None, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to generate volume data with DEBUG off. Use --allow-production for a "
                "benchmark or training database."
            )
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError("--today must be a date like 2026-11-23.") from exc
        if not Organisation.objects.filter(name=FORCE).exists():
            self.stdout.write("The demo force is missing: loading the demo first.")
            call_command("seed_demo", allow_production=allow_production, stdout=self.stdout)
        started = time.monotonic()
        counts = volume_seed(
            cases=cases, seed=seed, today=day, out=lambda line: self.stdout.write(f"  {line}")
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            "  rows added: " + ", ".join(f"{name} {count:,}" for name, count in counts.items() if count)
        )
        self.stdout.write(self.style.SUCCESS(f"{cases:,} cases added in {elapsed:.1f} s."))
        # The load may set the database's triggers aside (as a superuser): summarise every case again.
        self.stdout.write("Summarising every case for the dashboard:")
        summarised = rebuild(out=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(f"  {summarised['cases']:,} cases summarised in {summarised['seconds']} s.")

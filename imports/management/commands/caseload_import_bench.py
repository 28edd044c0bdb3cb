"""``manage.py caseload_import_bench``: time the caseload import on a large generated file (issue 14,
part 5: 50,000 rows in under two minutes). Needs the demo data; for a benchmark database only."""

import contextlib
import os
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from imports.bench import caseload_file
from imports.services import caseload_check, caseload_import_file
from offenderhub.accounts.models import Organisation, User
from offenderhub.core.demo import FORCE


class _Rollback(Exception):
    pass


def _peak_reset():
    """Start measuring the process's peak memory afresh (Linux: /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _memory() -> tuple[int, int]:
    """(resident, peak resident) in MB, from /proc/self/status."""
    values = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) // 1024
    except OSError:
        return 0, 0
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


class Command(BaseCommand):
    help = (
        "Generate a caseload file of N rows (the same file for the same N, seed and day) and time the "
        "import: the dry run, the import and the same import again (which adds nothing), with the "
        "process's peak memory in each. For a benchmark or training database, never production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=1, help="Another seed gives other cases.")
        parser.add_argument("--today", help="Generate as if on this day (YYYY-MM-DD). Default: today.")
        parser.add_argument("--file", help="Also write the generated file here.")
        parser.add_argument(
            "--rollback",
            action="store_true",
            help="Roll the import back at the end: the database keeps nothing.",
        )
        parser.add_argument("--allow-production", action="store_true", help="Run even with DEBUG off.")

    def handle(
        self, *args, rows, seed, today=None, file=None, rollback=False, allow_production=False, **options
    ):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to run with DEBUG off. Use --allow-production for a benchmark database."
            )
        force = Organisation.objects.filter(name=FORCE).first()
        if force is None:
            self.stdout.write("The demo force is missing: loading the demo first.")
            call_command("seed_demo", allow_production=allow_production, stdout=self.stdout)
            force = Organisation.objects.get(name=FORCE)
        actor = User.objects.get(email="admin@fenshire-police.example")
        day = date.fromisoformat(today) if today else date.today()
        started = time.monotonic()
        content = caseload_file(rows=rows, seed=seed, today=day)
        self.stdout.write(
            f"Generated {rows:,} rows ({len(content) / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s "
            f"on {connection.vendor}, {os.cpu_count()} CPUs."
        )
        if file:
            Path(file).write_bytes(content)
        name = f"caseload-bench-{rows}-{seed}.csv"
        results = []

        def measure(label, run):
            _peak_reset()
            before, _ = _memory()
            began = time.monotonic()
            plan = run()
            seconds = time.monotonic() - began
            _, peak = _memory()
            if not plan.ok:
                for item in plan.errors[:20]:
                    self.stdout.write(f"  {item}")
                raise CommandError(f"{label}: the file was refused ({plan.errors_total} problems).")
            counts = plan.counts
            results.append((label, seconds, before, peak, counts))
            self.stdout.write(
                f"{label:<22} {seconds:7.1f} s  {rows / seconds:8,.0f} rows/s  memory {before:,} MB, peak "
                f"{peak:,} MB  "
                f"cases {counts.get('cases', 0):,}  people {counts.get('people_new', 0):,}  "
                f"held {counts.get('cases_held', 0):,}"
            )
            return plan

        measure(
            "Dry run (check)",
            lambda: caseload_check(force=force, actor=actor, content=content, filename=name),
        )
        try:
            with transaction.atomic():
                result = {}

                def run_import():
                    result["r"] = caseload_import_file(
                        force=force, actor=actor, content=content, filename=name
                    )
                    return result["r"].plan

                plan = measure("Import", run_import)
                for step, spent in sorted(plan.timings.items(), key=lambda item: -item[1]):
                    self.stdout.write(f"  {step:<40} {spent:6.1f} s")
                written = plan.counts.get("written", {})
                self.stdout.write("  rows written: " + ", ".join(f"{k} {v:,}" for k, v in written.items()))
                if rollback:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("Rolled back: the database keeps nothing of the import.")
            return
        measure(
            "The same file again",
            lambda: caseload_import_file(force=force, actor=actor, content=content, filename=name).plan,
        )

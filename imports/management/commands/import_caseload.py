"""``manage.py import_caseload FILE [--dry-run] [--force NAME] [--user EMAIL]``: bring a force's existing
caseload in from a CSV or Excel file, all or nothing (README, "Importing an existing caseload")."""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.checking import problem_text
from imports.services import caseload_check, caseload_import_file
from offenderhub.accounts.models import Organisation, OrganisationKind, Role, User

SHOWN = 50  # problems, warnings and likely matches printed (the rest are counted)


class ProgressBar:
    """``Checking the rows  [########------------]  40%  20,000 / 50,000`` on one line of a terminal
    (redrawn at most ten times a second), or a line at each tenth when the output is not a terminal."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.phase, self.shown, self.last = None, -1, 0.0

    def __call__(self, phase, done, total):
        total = max(total, 1)
        share = min(done / total, 1.0)
        if phase != self.phase:
            if self.phase is not None and self.tty:
                self.stream.write("\n")
            self.phase, self.shown = phase, -1
        if self.tty:
            now = time.monotonic()
            if now - self.last < 0.1 and share < 1.0:
                return
            self.last = now
            filled = round(self.WIDTH * share)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r{phase:<20} [{bar}] {share:4.0%}  {done:,} / {total:,}")
        else:
            tenth = int(share * 10)
            if tenth == self.shown:
                return
            self.shown = tenth
            self.stream.write(f"{phase}: {share:.0%} ({done:,} / {total:,})\n")
        self.stream.flush()

    def end(self):
        if self.phase is not None and self.tty:
            self.stream.write("\n")
            self.stream.flush()
        self.phase = None


class Command(BaseCommand):
    help = (
        "Import a force's existing caseload (people, cases at any status with their dates, offences, "
        "conditions and referrals) from a CSV or Excel (.xlsx) file: every row is checked first, and "
        "nothing is saved unless every row is right. Importing the same file again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The caseload: a .csv (UTF-8) or .xlsx file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would be added; save nothing."
        )
        parser.add_argument(
            "--force",
            dest="police_force",
            metavar="NAME",
            help="The police force to import into, by name (needed when there is more than one).",
        )
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="The force's administrator the import is recorded as done by (needed when the force has "
            "more than one active administrator).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Print no progress bar.")

    def handle(self, *args, file, dry_run=False, police_force=None, user=None, no_progress=False, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        force = self._force(police_force)
        actor = self._user(force, user)
        bar = ProgressBar(sys.stderr) if not no_progress else None
        started = time.monotonic()
        if dry_run:
            plan = caseload_check(force=force, actor=actor, content=content, filename=path.name, progress=bar)
            batch = None
        else:
            result = caseload_import_file(
                force=force, actor=actor, content=content, filename=path.name, progress=bar
            )
            plan, batch = result.plan, result.batch
        if bar:
            bar.end()
        seconds = time.monotonic() - started
        self._report(plan)
        if not plan.ok:
            raise CommandError(
                f"Nothing was imported: {plan.errors_total} problem{'s' if plan.errors_total != 1 else ''} "
                "to correct (listed above). Correct the file and run the command again."
            )
        counts = plan.counts
        what = self._what(counts)
        if not counts.get("cases"):
            self.stdout.write(
                self.style.SUCCESS(
                    "Nothing to import: every case in the file is already held "
                    f"({counts.get('cases_held', 0):,} "
                    f"cases). Nothing was saved ({seconds:.1f} s)."
                )
            )
        elif dry_run:
            self.stdout.write(
                self.style.SUCCESS(f"Dry run: would add {what}. Nothing was saved ({seconds:.1f} s).")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {what} (caseload import #{batch.pk}, {seconds:.1f} s).")
            )

    def _force(self, name):
        forces = Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE, is_active=True)
        if name:
            force = forces.filter(name__iexact=name).first()
            if force is None:
                raise CommandError(f"No active police force is called “{name}”.")
            return force
        found = list(forces[:2])
        if len(found) != 1:
            raise CommandError("Say which police force to import into: --force NAME.")
        return found[0]

    def _user(self, force, email):
        administrators = User.objects.filter(
            organisation=force, is_active=True, role_assignments__role=Role.ADMINISTRATOR
        ).distinct()
        if email:
            user = administrators.filter(email__iexact=email).first()
            if user is None:
                raise CommandError(f"{email} is not an active administrator of {force}.")
            return user
        found = list(administrators[:2])
        if len(found) != 1:
            raise CommandError(f"Say which of {force}'s administrators is importing: --user EMAIL.")
        return found[0]

    def _what(self, counts) -> str:
        held = counts.get("cases_held", 0)
        return (
            f"{counts.get('cases', 0):,} cases, {counts.get('people_new', 0):,} people "
            f"({counts.get('people_existing', 0):,} already recorded), {counts.get('offences', 0):,} "
            f"offences, {counts.get('conditions', 0):,} conditions and {counts.get('referrals', 0):,} "
            "referrals" + (f"; {held:,} cases of the file already held were skipped" if held else "")
        )

    def _report(self, plan):
        out, word = self.stdout, plan.line_word
        if plan.errors_total:
            out.write(self.style.ERROR(f"{plan.errors_total:,} problems to correct:"))
            for item in plan.errors[:SHOWN]:
                out.write(f"  {problem_text(word, item)}")
            self._more(plan.errors_total)
        if plan.ok and plan.counts.get("by_status"):
            out.write(
                "Cases by status: "
                + ", ".join(f"{s} {n:,}" for s, n in sorted(plan.counts["by_status"].items()))
            )
        if plan.likely_total:
            out.write(
                self.style.WARNING(
                    f"{plan.likely_total:,} people may already be recorded (imported as new people, never "
                    "merged; a supervisor can merge them):"
                )
            )
            for item in plan.likely[:SHOWN]:
                other = (
                    f"person #{item['person']}"
                    if item["person"]
                    else f"the person on {word.lower()} {item['other_line']}"
                )
                out.write(f"  {word} {item['line']} ({item['case_reference']}) may be {other}: {item['why']}")
            self._more(plan.likely_total)
        if plan.warnings_total:
            out.write(self.style.WARNING(f"{plan.warnings_total:,} warnings:"))
            for item in plan.warnings[:SHOWN]:
                out.write(f"  {problem_text(word, item)}")
            self._more(plan.warnings_total)

    def _more(self, total):
        if total > SHOWN:
            self.stdout.write(f"  ... and {total - SHOWN:,} more")

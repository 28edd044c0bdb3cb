"""Remove signed caution documents that no caution points at: files written for a caution whose
transaction was then rolled back (conditions/document_store.py)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from conditions.document_store import caution_documents_cleanup


class Command(BaseCommand):
    help = "Remove files in the private storage's cautions folder that no caution points at."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=24,
            help="Only files written this long ago (a younger one may belong to a caution being saved).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List the files, remove nothing.")

    def handle(self, *args, older_than_hours, dry_run, **options):
        removed = caution_documents_cleanup(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in removed:
            self.stdout.write(name)
        verb = "would be removed" if dry_run else "removed"
        self.stdout.write(f"{len(removed)} file{'s' if len(removed) != 1 else ''} without a caution {verb}.")

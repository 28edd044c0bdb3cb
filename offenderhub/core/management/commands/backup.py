"""Back up the database and the uploaded documents into one archive, and print its path."""

from pathlib import Path

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from offenderhub.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write one archive (tar) of the database (pg_dump or the SQLite file) and MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=None, help="Folder for the archive. Default: BACKUP_DIR (var/backups)."
        )
        parser.add_argument("--database-url", default=None, help="Back up this database, not DATABASE_URL.")
        parser.add_argument("--media-root", default=None, help="Back up this folder instead of MEDIA_ROOT.")

    def handle(self, *args, output_dir=None, database_url=None, media_root=None, **options):
        try:
            archive = backup_create(
                output_dir=Path(output_dir or settings.BACKUP_DIR),
                database=environ.Env.db_url_config(database_url) if database_url else None,
                media_root=Path(media_root) if media_root else None,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(archive))

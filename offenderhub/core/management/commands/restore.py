"""Put a backup archive's database and uploaded documents back (into an empty database, unless --force)."""

from pathlib import Path

import environ
from django.core.management.base import BaseCommand, CommandError

from offenderhub.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup`. Stop the web app and the workers first. Refuses a "
        "database that has tables or a MEDIA_ROOT that has files, unless --force (which replaces them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar file written by `manage.py backup`.")
        parser.add_argument(
            "--force", action="store_true", help="Empty the database first and write over the documents."
        )
        parser.add_argument(
            "--database-url", default=None, help="Restore into this database (e.g. a scratch copy to check)."
        )
        parser.add_argument("--media-root", default=None, help="Restore the documents into this folder.")

    def handle(self, *args, archive, force=False, database_url=None, media_root=None, **options):
        if not Path(archive).is_file():
            raise CommandError(f"No such file: {archive}")
        try:
            manifest = backup_restore(
                archive=Path(archive),
                database=environ.Env.db_url_config(database_url) if database_url else None,
                media_root=Path(media_root) if media_root else None,
                force=force,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the {manifest['database']} database and {manifest['media_files']} documents "
            f"backed up at {manifest['created_at']}. Now run `python manage.py migrate`."
        )

"""Backups: the database and the documents together in one archive, and putting them back.

An archive is a tar file holding ``manifest.json`` (when, from which kind of database, how many
documents), the database (``database.dump``, PostgreSQL's custom format from ``pg_dump``, or
``database.sqlite3``, a consistent copy of the SQLite file) and ``media/``, everything under
MEDIA_ROOT: the uploaded evidence and the signed caution documents (``cautions/``), which are files,
not rows. It holds personal data: it is written readable by its owner only, and should be
encrypted before it leaves the server (README.md, "Operating Offender Hub").

A restore goes into an empty database and an empty documents folder, unless told to replace what is
there (``force``): restoring over live data by mistake would lose everything since the backup.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.utils import timezone

ARCHIVE_FORMAT = 1
POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
_DUMP_NAMES = {POSTGRESQL: "database.dump", SQLITE: "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message saying why and what to do."""


# --- Back up ---------------------------------------------------------------------------------------------
def backup_create(*, output_dir: Path, database: dict | None = None, media_root: Path | None = None) -> Path:
    """Write one archive of the database and the uploaded documents into ``output_dir``; returns its
    path. Nothing is left behind if it fails."""
    database = database or settings.DATABASES["default"]
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = _engine(database)
    created_at = timezone.now().astimezone(UTC)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    archive = output_dir / f"offenderhub-backup-{created_at:%Y%m%dT%H%M%SZ}.tar"
    partial = archive.with_name(archive.name + ".partial")
    try:
        with tempfile.TemporaryDirectory() as work:
            dump = Path(work) / _DUMP_NAMES[engine]
            if engine == POSTGRESQL:
                _pg_dump(database, dump)
            else:
                _sqlite_copy(Path(database["NAME"]), dump)
            # The files are listed after the database is copied: a file is written before the row
            # that points at it is saved (the signed caution documents, uploaded evidence), so every
            # row in the copy has its file in the archive. A file whose row came later is kept too,
            # without a row; caution_documents_cleanup removes such files after a restore.
            media_files = _files_under(media_root)
            manifest = {
                "format": ARCHIVE_FORMAT,
                "created_at": created_at.isoformat(),
                "database": "postgresql" if engine == POSTGRESQL else "sqlite",
                "media_files": len(media_files),
            }
            (Path(work) / "manifest.json").write_text(json.dumps(manifest, indent=2))
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file, tarfile.open(fileobj=file, mode="w") as tar:
                tar.add(Path(work) / "manifest.json", arcname="manifest.json")
                tar.add(dump, arcname=dump.name)
                folder = tarfile.TarInfo("media")
                folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o700, int(created_at.timestamp())
                tar.addfile(folder)
                for path in media_files:
                    tar.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}")
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive


def _files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


def _engine(database: dict) -> str:
    engine = database["ENGINE"]
    if engine not in _DUMP_NAMES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")
    return engine


def _pg_environment(database: dict) -> dict:
    """pg_dump and pg_restore read the connection from PG* variables: no password on a command line."""
    values = {
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
        "PGSSLMODE": (database.get("OPTIONS") or {}).get("sslmode"),
    }
    return {**os.environ, **{key: str(value) for key, value in values.items() if value}}


def _run(command: list[str], database: dict) -> None:
    try:
        subprocess.run(  # noqa: S603 - fixed programs, arguments from our own settings
            command, env=_pg_environment(database), check=True, capture_output=True, text=True
        )
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client tools.") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()}") from exc


def _pg_dump(database: dict, path: Path) -> None:
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"], database)


def _sqlite_copy(source: Path, destination: Path) -> None:
    """A consistent copy even while the app is writing (SQLite's online backup)."""
    if not source.exists():
        raise BackupError(f"There is no SQLite database at {source}.")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(destination)) as dst:
        src.backup(dst)


# --- Restore ---------------------------------------------------------------------------------------------
def backup_restore(
    *, archive: Path, database: dict | None = None, media_root: Path | None = None, force: bool = False
) -> dict:
    """Put an archive's database and documents back. Refuses a database that already has tables, or a
    documents folder that already has files, unless ``force`` (then the database is emptied first and
    the documents are written over the folder's). Returns the archive's manifest."""
    database = database or settings.DATABASES["default"]
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = _engine(database)
    with tarfile.open(archive, mode="r") as tar, tempfile.TemporaryDirectory() as work:
        manifest = _read_manifest(tar)
        expected = "postgresql" if engine == POSTGRESQL else "sqlite"
        if manifest.get("database") != expected:
            raise BackupError(
                f"This archive holds a {manifest.get('database')} database; the target is {expected}."
            )
        if not force:
            if _database_has_tables(engine, database):
                raise BackupError("The database is not empty. Restore into an empty one, or use --force.")
            if _files_under(media_root):
                raise BackupError(f"{media_root} already has documents. Use an empty folder, or --force.")
        staging = Path(work)
        try:
            tar.extractall(staging, members=_safe_members(tar), filter="data")
        except tarfile.FilterError as exc:
            raise BackupError(f"The archive has an unsafe entry: {exc}") from exc
        dump = staging / _DUMP_NAMES[engine]
        if not dump.is_file():
            raise BackupError(f"The archive has no {dump.name}.")
        if engine == POSTGRESQL:
            _pg_restore(database, dump, replace=force)
        else:
            _sqlite_restore(dump, Path(database["NAME"]))
        if (staging / "media").is_dir():
            media_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staging / "media", media_root, dirs_exist_ok=True)
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember("manifest.json")
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, AttributeError, ValueError) as exc:
        raise BackupError("This is not an Offender Hub backup (no readable manifest.json).") from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def _safe_members(tar: tarfile.TarFile):
    """Only the files a backup holds; tarfile's "data" filter then refuses links and paths outside."""
    for member in tar.getmembers():
        name = member.name
        if name in ("manifest.json", *_DUMP_NAMES.values()) or name == "media" or name.startswith("media/"):
            yield member
        else:
            raise BackupError(f"The archive has an unexpected entry: {name!r}.")


def _database_has_tables(engine: str, database: dict) -> bool:
    if engine == SQLITE:
        path = Path(database["NAME"])
        if not path.exists():
            return False
        with closing(sqlite3.connect(path)) as connection:
            tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return tables[0] > 0
    with _pg_connect(database) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return row[0] > 0


def _pg_connect(database: dict):
    import psycopg

    try:
        return psycopg.connect(
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            dbname=database["NAME"],
            sslmode=(database.get("OPTIONS") or {}).get("sslmode"),
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        raise BackupError(f"Cannot connect to the database {database['NAME']!r}: {exc}") from exc


def _pg_restore(database: dict, dump: Path, *, replace: bool) -> None:
    """Restore in one transaction: it either all arrives or nothing changes. Replacing first empties
    the public schema, so tables a later migration added do not linger beside the restored ones."""
    if replace:
        import psycopg

        _close_django_connection_to(database)
        try:
            with _pg_connect(database) as connection:
                connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
                connection.execute("CREATE SCHEMA public")
        except psycopg.Error as exc:
            raise BackupError(f"Could not empty the database before restoring: {exc}") from exc
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database['NAME']}",
            str(dump),
        ],
        database,
    )


def _sqlite_restore(dump: Path, target: Path) -> None:
    _close_django_connection_to({"ENGINE": SQLITE, "NAME": str(target)})
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(dump)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _close_django_connection_to(database: dict) -> None:
    """Restoring over the app's own database: close the app's connection to it first."""
    from django.db import connection

    default = settings.DATABASES["default"]
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    if all(str(default.get(key) or "") == str(database.get(key) or "") for key in keys):
        connection.close()

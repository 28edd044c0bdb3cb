"""Backups: one archive of the database and the uploaded documents, restored for real."""

import io
import json
import sqlite3
import stat
import tarfile
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from db_roles_support import owner_settings
from django.core.management import CommandError, call_command
from factories import OrganisationFactory

from offenderhub.accounts.models import Organisation
from offenderhub.core.backup import BackupError, backup_create, backup_restore


def _command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def _members(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        return set(tar.getnames())


# --- PostgreSQL, through the commands ---------------------------------------------------------------------
@pytest.fixture
def scratch_database():
    """An empty PostgreSQL database beside the test database, dropped afterwards: made, restored and
    read by the owner (the app's own role may create no database)."""
    source = owner_settings()
    name = f"oh_restore_{uuid.uuid4().hex[:12]}"
    server = {
        "host": source["HOST"] or None,
        "port": source["PORT"] or None,
        "user": source["USER"] or None,
        "password": source["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{source['PASSWORD']}" if source["PASSWORD"] else ""
    url = f"postgres://{source['USER']}{password}@{source['HOST']}:{source['PORT'] or 5432}/{name}"
    yield url, {"dbname": name, **server}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
# pg_dump, in its own process, sees only committed rows. Serialized rollback, like the other
# transactional tests: the database is left empty for the next one to restore, not half-refilled.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_brings_back_a_record_and_a_document(tmp_path, settings, scratch_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    organisation = OrganisationFactory(name="Backup Test Constabulary")
    document = settings.MEDIA_ROOT / "evidence" / "2027" / "a1b2c3.pdf"
    document.parent.mkdir(parents=True)
    document.write_bytes(b"%PDF-1.7 attendance letter")

    archive = Path(_command("backup", "--output-dir", str(tmp_path / "backups")))

    assert archive.parent == tmp_path / "backups" and archive.suffix == ".tar"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data: owner only
    assert {"manifest.json", "database.dump", "media/evidence/2027/a1b2c3.pdf"} <= _members(archive)

    pk = organisation.pk
    organisation.delete()
    document.unlink()
    assert not Organisation.objects.filter(pk=pk).exists()

    url, scratch = scratch_database
    restored_media = tmp_path / "restored-media"
    output = _command("restore", str(archive), "--database-url", url, "--media-root", str(restored_media))

    assert "Restored the postgresql database and 1 documents" in output
    assert _organisation_names(scratch) == ["Backup Test Constabulary"]
    assert (restored_media / "evidence" / "2027" / "a1b2c3.pdf").read_bytes() == b"%PDF-1.7 attendance letter"

    # Restoring again: refused now the database has tables, unless forced; forced, the whole schema is
    # replaced (a table a later migration added goes too), not only the tables in the dump.
    with psycopg.connect(**scratch, autocommit=True) as restored:
        restored.execute("CREATE TABLE added_by_a_later_migration (id int)")
        restored.execute("DELETE FROM accounts_organisation")
    again = ("restore", str(archive), "--database-url", url, "--media-root", str(tmp_path / "again"))
    with pytest.raises(CommandError, match="The database is not empty"):
        _command(*again)
    _command(*again, "--force")

    assert _organisation_names(scratch) == ["Backup Test Constabulary"]
    with psycopg.connect(**scratch) as restored:
        assert restored.execute("SELECT to_regclass('added_by_a_later_migration')").fetchone() == (None,)


def _organisation_names(scratch) -> list[str]:
    with psycopg.connect(**scratch) as restored:
        return [row[0] for row in restored.execute("SELECT name FROM accounts_organisation ORDER BY name")]


# --- SQLite, through the services ---------------------------------------------------------------------------
@pytest.fixture
def sqlite_site(tmp_path):
    """A small SQLite database and a documents folder, as a laptop install has them."""
    path = tmp_path / "site.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE cases (id integer primary key, reference text)")
        db.execute("INSERT INTO cases (reference) VALUES ('FEN-2027-0001')")
        db.commit()
    media = tmp_path / "media"
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "letter.png").write_bytes(b"\x89PNG letter")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}, media


def _references(path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT reference FROM cases")]


def test_sqlite_backup_and_restore(tmp_path, sqlite_site):
    database, media = sqlite_site
    archive = backup_create(output_dir=tmp_path / "backups", database=database, media_root=media)

    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
    manifest = backup_restore(archive=archive, database=target, media_root=tmp_path / "restored-media")

    assert manifest["database"] == "sqlite" and manifest["media_files"] == 1
    assert _references(target["NAME"]) == ["FEN-2027-0001"]
    assert (tmp_path / "restored-media" / "evidence" / "letter.png").read_bytes() == b"\x89PNG letter"


def test_restore_refuses_a_folder_with_documents_unless_forced(tmp_path, sqlite_site):
    database, media = sqlite_site
    archive = backup_create(output_dir=tmp_path, database=database, media_root=media)
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new.sqlite3")}

    with pytest.raises(BackupError, match="already has documents"):
        backup_restore(archive=archive, database=target, media_root=media)
    assert not Path(target["NAME"]).exists()  # nothing was restored

    backup_restore(archive=archive, database=target, media_root=media, force=True)
    assert _references(target["NAME"]) == ["FEN-2027-0001"]


def test_restore_refuses_an_sqlite_database_with_tables_unless_forced(tmp_path, sqlite_site):
    database, media = sqlite_site
    archive = backup_create(output_dir=tmp_path, database=database, media_root=media)
    with closing(sqlite3.connect(database["NAME"])) as db:
        db.execute("INSERT INTO cases (reference) VALUES ('FEN-2027-0002')")
        db.commit()

    with pytest.raises(BackupError, match="The database is not empty"):
        backup_restore(archive=archive, database=database, media_root=tmp_path / "empty")
    backup_restore(archive=archive, database=database, media_root=tmp_path / "empty", force=True)

    assert _references(database["NAME"]) == ["FEN-2027-0001"]


def test_restore_refuses_an_archive_for_the_other_kind_of_database(tmp_path, sqlite_site):
    database, media = sqlite_site
    archive = backup_create(output_dir=tmp_path, database=database, media_root=media)
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "anything"}

    with pytest.raises(BackupError, match="holds a sqlite database; the target is postgresql"):
        backup_restore(archive=archive, database=postgres, media_root=tmp_path / "empty")


@pytest.mark.parametrize("name", ["media/../../outside.txt", "/etc/cron.d/evil", "media/link"])
def test_restore_refuses_entries_that_would_escape(tmp_path, name):
    archive = tmp_path / "crafted.tar"
    manifest = json.dumps({"format": 1, "database": "sqlite", "media_files": 1, "created_at": "x"}).encode()
    with tarfile.open(archive, "w") as tar:
        for member_name, data in (("manifest.json", manifest), ("database.sqlite3", b"")):
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo(name)
        if name.endswith("link"):
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        else:
            info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "t.sqlite3")}

    with pytest.raises(BackupError):
        backup_restore(archive=archive, database=target, media_root=tmp_path / "media")
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "media" / "link").exists()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    archive = tmp_path / "other.tar"
    with tarfile.open(archive, "w") as tar:
        tar.addfile(tarfile.TarInfo("README"), io.BytesIO(b""))

    with pytest.raises(BackupError, match="not an Offender Hub backup"):
        backup_restore(archive=archive, database={"ENGINE": "django.db.backends.sqlite3", "NAME": "x"})

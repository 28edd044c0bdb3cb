"""The signed caution document lives in the private file storage, not in the caution's row (issue 12,
"Memory that stays flat"): written before the row, served only after its checksum is checked, gone
with its row when the caution fails to save, and moved out of the rows by migration 0005."""

import hashlib
import importlib
import os
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from conditions import services
from conditions.models import Caution, private_storage
from offenderhub.audit.models import AuditAction, AuditEvent

MIGRATION = importlib.import_module("conditions.migrations.0005_caution_documents_to_files")


def _files() -> set[str]:
    folder = Path(settings.MEDIA_ROOT) / "cautions"
    return {p.relative_to(settings.MEDIA_ROOT).as_posix() for p in folder.rglob("*") if p.is_file()}


def _viewed(caution):
    return AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_id=str(caution.pk), content_type__model="caution"
    )


def test_no_caution_column_holds_the_document():
    assert all(f.get_internal_type() != "BinaryField" for f in Caution._meta.concrete_fields)


def test_the_document_is_a_private_file_and_is_served_as_signed(client_for, active_case, case_worker):
    caution = Caution.objects.get(case=active_case)
    path = Path(settings.MEDIA_ROOT) / caution.document.name
    folder = f"cautions/{caution.administered_on:%Y/%m}"
    assert caution.document.name.startswith(f"{folder}/case-{active_case.pk}-")
    assert path.read_bytes().startswith(b"%PDF")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == caution.document_sha256

    response = client_for(case_worker).get(reverse("conditions:caution_document", args=[active_case.pk]))

    assert response.status_code == 200
    assert response.content == path.read_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert _viewed(caution).count() == 1


@pytest.mark.parametrize("damage", ["altered", "missing"])
def test_a_document_altered_or_missing_is_refused_and_not_disclosed(
    client_for, active_case, case_worker, damage
):
    caution = Caution.objects.get(case=active_case)
    path = Path(settings.MEDIA_ROOT) / caution.document.name
    if damage == "altered":
        path.write_bytes(path.read_bytes() + b"\n% one line added after signing\n")
    else:
        path.unlink()
    client = client_for(case_worker)
    client.raise_request_exception = False

    response = client.get(reverse("conditions:caution_document", args=[active_case.pk]))

    assert response.status_code == 500
    assert b"%PDF" not in response.content
    assert not _viewed(caution).exists()


def test_a_caution_that_fails_to_save_leaves_no_file(
    agreed_case, decision_maker, caution_kwargs, monkeypatch
):
    def failing_audit(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    before = _files()
    monkeypatch.setattr(services.caution, "audit_record", failing_audit)

    with pytest.raises(RuntimeError):
        services.caution_administer(case_id=agreed_case.pk, actor=decision_maker, **caution_kwargs())

    assert not Caution.objects.filter(case=agreed_case).exists()
    assert _files() == before


def test_cleanup_removes_old_files_no_caution_points_at(active_case):
    storage = private_storage()
    kept = Caution.objects.get(case=active_case).document.name
    old_orphan = storage.save("cautions/2026/01/case-0-orphan.pdf", ContentFile(b"%PDF-orphan"))
    young_orphan = storage.save("cautions/2026/01/case-0-young.pdf", ContentFile(b"%PDF-young"))
    now = timezone.now().timestamp()  # the suite's clock, which the cleanup reads
    for name, written in [(old_orphan, now - 2 * 86400), (kept, now - 2 * 86400), (young_orphan, now - 3600)]:
        os.utime(storage.path(name), (written, written))
    out = StringIO()

    call_command("caution_documents_cleanup", "--dry-run", stdout=out)
    assert storage.exists(old_orphan)
    call_command("caution_documents_cleanup", stdout=out)

    assert not storage.exists(old_orphan)
    assert storage.exists(young_orphan) and storage.exists(kept)
    assert old_orphan in out.getvalue() and "without a caution removed." in out.getvalue()
    storage.delete(young_orphan)


# --- Migration 0005: the documents out of the rows ---------------------------------------------------
class _Editor:
    """What a migration's RunPython function is given as its schema editor: here, only its connection."""

    connection = connection


@pytest.fixture
def rows_before_the_move(db):
    """The caution table as it was between migrations 0004 and 0006 (the document in a column, the
    file field empty), as a temporary table the app's role may create, behind the historical model
    of migration 0004."""
    state = MigrationLoader(connection).project_state(("conditions", "0004_caution_document_file"))
    state.models["conditions", "caution"].options["db_table"] = "caution_before_the_move"
    apps = state.apps
    blob = "bytea" if connection.vendor == "postgresql" else "blob"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE caution_before_the_move (id integer PRIMARY KEY, case_id integer, "
            f"administered_on date, document {blob} NOT NULL, document_sha256 varchar(64) NOT NULL, "
            "document_file varchar(200) NOT NULL DEFAULT '')"
        )
    yield apps.get_model("conditions", "Caution")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE caution_before_the_move")


def test_migration_0005_moves_each_document_to_a_file_and_back(rows_before_the_move):
    Old = rows_before_the_move
    documents = {pk: b"%PDF-1.4 signed caution " + bytes([pk]) * (1000 * pk) for pk in range(1, 8)}
    insert = (
        "INSERT INTO caution_before_the_move (id, case_id, administered_on, document, document_sha256) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        for pk, content in documents.items():
            recorded = "" if pk == 3 else hashlib.sha256(content).hexdigest()  # one never recorded
            cursor.execute(insert, [pk, 100 + pk, date(2026, 10, pk), content, recorded])
        cursor.execute(insert, [9, 109, date(2026, 10, 9), b"", ""])  # no document at all
    storage = private_storage()

    MIGRATION.documents_to_files(_apps_of(Old), _Editor(), chunk=3)  # three chunks and a bit

    moved = dict(Old.objects.values_list("pk", "document_file"))
    assert moved[9] == ""  # no document: nothing to write
    for pk, content in documents.items():
        assert moved[pk].startswith(f"cautions/2026/10/case-{100 + pk}-")
        with storage.open(moved[pk], "rb") as file:
            assert file.read() == content
    sums = dict(Old.objects.values_list("pk", "document_sha256"))
    assert all(sums[pk] == hashlib.sha256(content).hexdigest() for pk, content in documents.items())

    Old.objects.update(document=b"")
    MIGRATION.files_to_documents(_apps_of(Old), _Editor(), chunk=3)
    assert {pk: bytes(d) for pk, d in Old.objects.filter(pk__lt=9).values_list("pk", "document")} == documents
    for name in moved.values():
        if name:
            storage.delete(name)


def _apps_of(model):
    class Apps:
        @staticmethod
        def get_model(app_label, name):
            assert (app_label, name) == ("conditions", "Caution")
            return model

    return Apps()

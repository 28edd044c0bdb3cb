"""The signed caution documents move out of the database into the private file storage (issue 12,
"Memory that stays flat"): every query that read a caution also read its PDF (about 45 KB a row).

The rows are read a chunk at a time, in order of id, so memory stays bounded however many cautions
there are (a chunk of 200 documents is about 9 MB). Each document is written to a file first, then its
row is pointed at it. If the migration fails, the database rolls back and the files already written
are left without a row: ``manage.py caution_documents_cleanup`` removes them. The old column is
dropped by the next migration.
"""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import migrations

CHUNK = 200


def _name(case_id, administered_on):
    return f"cautions/{administered_on:%Y/%m}/case-{case_id}-{uuid.uuid4().hex[:12]}.pdf"


def documents_to_files(apps, schema_editor, *, chunk=CHUNK):
    """Write each caution's document to the private storage and point the row at it. A checksum
    that was never recorded is computed; one that was recorded is kept as it is (a document that no
    longer matches it is still refused when served, as before)."""
    from conditions.models import private_storage

    Caution = apps.get_model("conditions", "Caution")
    storage = private_storage()
    rows = Caution.objects.using(schema_editor.connection.alias).filter(document_file="")
    last = 0
    while True:
        batch = list(
            rows.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "case_id", "administered_on", "document", "document_sha256")[:chunk]
        )
        if not batch:
            return
        updates = []
        for pk, case_id, administered_on, document, sha256 in batch:
            content = bytes(document or b"")
            if content:
                name = storage.save(_name(case_id, administered_on), ContentFile(content))
                updates.append(
                    Caution(
                        pk=pk,
                        document_file=name,
                        document_sha256=sha256 or hashlib.sha256(content).hexdigest(),
                    )
                )
        if updates:
            Caution.objects.using(schema_editor.connection.alias).bulk_update(
                updates, ["document_file", "document_sha256"]
            )
        last = batch[-1][0]
        del batch, updates


def files_to_documents(apps, schema_editor, *, chunk=CHUNK):
    """Back again: each file's bytes into the row (the files are left where they are)."""
    from conditions.models import private_storage

    Caution = apps.get_model("conditions", "Caution")
    storage = private_storage()
    rows = Caution.objects.using(schema_editor.connection.alias).exclude(document_file="")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", "document_file")[:chunk])
        if not batch:
            return
        updates = []
        for pk, name in batch:
            with storage.open(name, "rb") as file:
                updates.append(Caution(pk=pk, document=file.read()))
        Caution.objects.using(schema_editor.connection.alias).bulk_update(updates, ["document"])
        last = batch[-1][0]
        del batch, updates


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0004_caution_document_file"),
    ]

    operations = [migrations.RunPython(documents_to_files, files_to_documents, elidable=False)]

"""The machine-readable response: a zip archive with ``data.json`` (the same sections and items as the
PDF, each field under its name), the documents held (uploaded evidence and the signed caution
documents, each checked against the checksum recorded when it was stored) and a ``README.txt``.

Written to a temporary file a document at a time, copying each in chunks, so a person with many large
documents never has them all in memory."""

import hashlib
import json
import logging
import tempfile
import zipfile

from django.core.files.storage import storages

from .export import Export

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024

README = """Subject access response {reference}: {force}

data.json     Everything in the response, for a computer: "sections" hold "items", each with
              its "data" (fields by name) and, for a case or a referral, its own "sections".
              A withheld item or field says "withheld" with the ground (Data Protection Act
              2018, section 45(4)); "withheld" at the end lists them all.
documents/    The documents we hold, listed in data.json under "documents" with their SHA-256.
response.pdf  is not in this archive: it comes with it, and says the same in plain English.

Produced on {produced}.
"""


class DocumentUnreadable(Exception):
    """A stored document is missing or no longer matches its checksum."""


def subject_access_archive(export: Export, target) -> list[str]:
    """Write the archive to ``target`` (a binary file). Returns the items whose document could not be
    read (missing, or changed since it was stored), which are listed in the archive as such."""
    storage = storages["private"]
    unreadable = []
    data = export.as_json()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in data["documents"]:
            stored = next(d for d in export.documents if d.archive_name == document["file"])
            try:
                _copy(storage, stored, archive)
            except DocumentUnreadable as exc:
                logger.error("Subject access export: %s", exc)
                unreadable.append(stored.item)
                document["file"] = None
                document["unreadable"] = "The stored file is missing or has changed since it was stored."
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr(
            "README.txt",
            README.format(
                reference=export.request.get("reference", ""),
                force=export.force_name,
                produced=data["produced_at"],
            ),
        )
    return unreadable


def _copy(storage, stored, archive):
    digest = hashlib.sha256()
    try:
        with tempfile.TemporaryFile() as spool:
            with storage.open(stored.storage_name, "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    spool.write(chunk)
            if stored.sha256 and digest.hexdigest() != stored.sha256:
                raise DocumentUnreadable(f"{stored.item} does not match its recorded checksum")
            spool.seek(0)
            with archive.open(stored.archive_name, "w") as entry:
                while chunk := spool.read(CHUNK):
                    entry.write(chunk)
    except FileNotFoundError as exc:
        raise DocumentUnreadable(f"{stored.item} is missing from the file storage") from exc

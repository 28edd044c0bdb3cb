"""The signed caution documents in file storage (issue 12): written before their row is saved, checked
against their recorded SHA-256 whenever they are read, and files left without a row removed.

A document and its caution row are saved or lost together as far as files allow: the file is written
first, so a saved row always has its file; if the transaction then fails, the file is removed at once
(``removed_on_error``) or, where the failure came later than this code can see (an outer transaction
rolled back), by ``manage.py caution_documents_cleanup``, which removes files no row points at once
they are a day old. Backups (offenderhub/core/backup.py) hold the database and every file together.
"""

import contextlib
import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from .models import Caution, private_storage

logger = logging.getLogger(__name__)

FOLDER = "cautions"


class CautionDocumentError(Exception):
    """A signed document that cannot be served: its file is missing or no longer matches its checksum."""


def caution_document_attach(caution: Caution, content: bytes) -> str:
    """Write the signed document to the private storage and point the (unsaved) caution at it, with
    its checksum. Returns the file's name. Save the caution inside ``removed_on_error``."""
    caution.document_sha256 = Caution.digest(content)
    caution.document.save("caution.pdf", ContentFile(content), save=False)
    return caution.document.name


@contextlib.contextmanager
def removed_on_error(caution: Caution):
    """The caution's file is removed if anything in the block fails (its row is then rolled back)."""
    try:
        yield
    except BaseException:
        if caution.document.name:
            caution.document.storage.delete(caution.document.name)
        raise


def caution_document_read(caution: Caution) -> bytes:
    """The document's bytes, after checking them against the checksum recorded when it was signed.
    Raises CautionDocumentError (and logs it) when the file is missing or does not match."""
    if not caution.document.name:
        raise CautionDocumentError(f"Caution {caution.pk} has no signed document.")
    try:
        with caution.document.storage.open(caution.document.name, "rb") as file:
            content = file.read()
    except FileNotFoundError as exc:
        logger.error("The signed document of caution %s is missing from the file storage.", caution.pk)
        raise CautionDocumentError(f"The signed document of caution {caution.pk} is missing.") from exc
    if Caution.digest(content) != caution.document_sha256:
        logger.error("The signed document of caution %s does not match its recorded checksum.", caution.pk)
        raise CautionDocumentError(
            f"The signed document of caution {caution.pk} does not match its recorded checksum."
        )
    return content


def orphaned_documents(*, older_than=timedelta(days=1), storage=None):
    """Files in the cautions folder that no caution points at, written more than ``older_than`` ago
    (younger ones may belong to a transaction still running). One folder (a month) at a time, so the
    memory used stays that of one month's names."""
    storage = storage or private_storage()
    cutoff = timezone.now() - older_than
    for folder in _folders(storage, FOLDER):
        _, files = storage.listdir(folder)
        names = [f"{folder}/{name}" for name in files]
        known = set(Caution.objects.filter(document__in=names).values_list("document", flat=True))
        for name in names:
            if name not in known and storage.get_modified_time(name) < cutoff:
                yield name


def _folders(storage, top):
    """``top`` and every folder under it, depth first."""
    if not storage.exists(top):
        return
    yield top
    folders, _ = storage.listdir(top)
    for folder in sorted(folders):
        yield from _folders(storage, f"{top}/{folder}")


def caution_documents_cleanup(*, older_than=timedelta(days=1), dry_run=False) -> list[str]:
    """Remove the files no caution points at (``orphaned_documents``). Returns their names."""
    storage = private_storage()
    removed = []
    for name in orphaned_documents(older_than=older_than, storage=storage):
        if not dry_run:
            storage.delete(name)
        removed.append(name)
    return removed

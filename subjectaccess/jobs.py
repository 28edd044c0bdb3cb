"""The daily job ``subject_access_files`` (offenderhub/core/jobs.py): the export files nothing needs any
more deleted from the private storage (subjectaccess/files.py says how they are written).

- Expired exports: the files of a request released or withdrawn more than
  ``SUBJECT_ACCESS_EXPORT_KEEP_DAYS`` ago, claimed with a conditional update (``export_deleted_at``) so
  two runs never both act; the request keeps what the export held and the files' checksums.
- Orphans: every file under ``subject-access/`` that no request points to (a job killed while writing
  its partial files, after moving them into place and before its transaction committed, or before
  deleting the export it replaced; a request deleted), but for those of a request whose export a job
  is producing now (its claim is live), whose files are not saved on it yet.

Idempotent: deleting a file already gone is no error, and a run after a crash finds what is left.
"""

import logging

from django.core.files.storage import storages
from django.db.models import Q
from django.utils import timezone

from .files import keep_days, request_of, stored_files
from .models import RequestStatus, SubjectAccessRequest
from .services import CLAIM_EXPIRES

logger = logging.getLogger(__name__)


def subject_access_files_sweep(*, today=None) -> dict:
    now = timezone.now()
    storage = storages["private"]
    expired = _exports_expire(storage, now)
    orphans = _orphans_remove(storage, now)
    if expired or orphans:
        logger.info("Subject access files: %s exports expired, %s orphaned files deleted.", expired, orphans)
    return {"subject_access_exports_expired": expired, "subject_access_orphan_files_removed": orphans}


def _exports_expire(storage, now) -> int:
    before = now - keep_days()
    closed = (
        SubjectAccessRequest.objects.filter(export_deleted_at=None)
        .exclude(export_pdf="", export_archive="")
        .filter(
            Q(status=RequestStatus.RELEASED, released_at__lt=before)
            | Q(status=RequestStatus.WITHDRAWN, withdrawn_at__lt=before)
        )
    )
    expired = 0
    for pk, pdf, archive in closed.values_list("pk", "export_pdf", "export_archive"):
        claimed = SubjectAccessRequest.objects.filter(pk=pk, export_deleted_at=None).update(
            export_deleted_at=now, export_pdf="", export_archive=""
        )
        if not claimed:
            continue  # another run took it
        for name in (pdf, archive):
            if name:
                storage.delete(name)
        expired += 1
    return expired


def _orphans_remove(storage, now) -> int:
    # In this order: the files first, then which requests a job is producing, then what the requests
    # point to. A file listed existed before the claims were read, so it is either a live job's (left),
    # or a finished job's, which the requests read last point to if it is their export (left), or
    # nobody's (deleted): a job committing between two of these reads loses nothing.
    names = list(stored_files(storage))
    being_produced = set(
        SubjectAccessRequest.objects.filter(export_claimed_at__gte=now - CLAIM_EXPIRES).values_list(
            "pk", flat=True
        )
    )
    pointed_to = set()
    for pdf, archive in SubjectAccessRequest.objects.exclude(export_pdf="", export_archive="").values_list(
        "export_pdf", "export_archive"
    ):
        pointed_to.update(name for name in (pdf, archive) if name)
    removed = 0
    for name in names:
        if name in pointed_to or request_of(name) in being_produced:
            continue
        storage.delete(name)
        removed += 1
    return removed

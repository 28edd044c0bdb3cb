"""What subject access does when a person's records are merged, unmerged or erased: the handlers of the
domain events of ``cases.events``, registered in ``SubjectAccessConfig.ready``. Each runs inside the
transaction that announced it.

- A request follows the person: a merge moves the merged record's requests to the kept record (its
  deadline and export unchanged), and an undo moves them back.
- A merge is not undone while it would leave a request unanswerable or misattributed: a request
  recorded for the kept record since the merge (nothing says which record's person made it), or an
  open request on the kept record whose export was produced since the merge (it holds both records:
  moved back, it would be released to one person with the other's data in it).
- A person is not erased while a request of theirs is open (received, or its export in review): the
  law gives them a copy of what is held, which the erasure would remove before the response is sent.
- The erasure reaches every request of the person and of the records merged into theirs: who made it
  (``received_from``) and the reasons for what was withheld are erased, the export's files are deleted
  (returned to retention, which deletes them once the erasure commits). The request stays, by its
  reference, dates and status: the record that a request was answered, and when.
"""

from django.db.models import Q

from cases.events import (
    PersonErasing,
    PersonErasureAsked,
    PersonMerged,
    PersonMergeUndoAsked,
    PersonMergeUndone,
)

from .models import OPEN_REQUEST_STATUSES, Redaction, SubjectAccessRequest

ERASED = "(erased)"


def requests_merge(event: PersonMerged) -> dict:
    """Move the merged record's requests to the kept record; returns their ids, for the undoing."""
    ids = list(
        SubjectAccessRequest.objects.select_for_update()
        .filter(person_id=event.merged_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        SubjectAccessRequest.objects.filter(pk__in=ids).update(person_id=event.kept_id)
    return {"subject_access_requests": ids} if ids else {}  # only what there was (the audit row lists it)


def requests_merge_undo_refusal(event: PersonMergeUndoAsked) -> str | None:
    on_kept = SubjectAccessRequest.objects.filter(person_id=event.kept_id)
    if on_kept.filter(created_at__gt=event.merged_at).exists():
        return (
            "A subject access request has been recorded for the kept record since the merge, and nothing "
            "says which record's person made it: the merge can no longer be undone."
        )
    if on_kept.filter(status__in=OPEN_REQUEST_STATUSES, export_produced_at__gt=event.merged_at).exists():
        return (
            "A subject access request of the kept record has an export produced since the merge, holding "
            "both records: undo the merge once the request is released or withdrawn."
        )
    return None


def requests_merge_undo(event: PersonMergeUndone) -> None:
    """Move back the requests the merge moved."""
    ids = event.moved.get("subject_access_requests", [])
    if ids:
        SubjectAccessRequest.objects.filter(pk__in=ids, person_id=event.kept_id).update(
            person_id=event.merged_id
        )


def requests_erasure_refusal(event: PersonErasureAsked) -> str | None:
    open_requests = list(
        SubjectAccessRequest.objects.filter(
            Q(person_id=event.person_id) | Q(person__merged_into_id=event.person_id),
            status__in=OPEN_REQUEST_STATUSES,
        )
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    if open_requests:
        return (
            f"their subject access request {', '.join(open_requests)} is still open. Release or withdraw it "
            "first: the response must be sent before what it holds is erased."
        )
    return None


def requests_erase(event: PersonErasing) -> dict:
    """Erase who made each request of the people, the reasons for what was withheld, and the export's
    files (returned, for retention to delete once the erasure commits)."""
    requests = SubjectAccessRequest.objects.select_for_update().filter(person_id__in=event.person_ids)
    rows = list(requests.order_by("pk").only("pk", "export_pdf", "export_archive"))
    files = [name for sar in rows for name in (sar.export_pdf.name, sar.export_archive.name) if name]
    ids = [sar.pk for sar in rows]
    SubjectAccessRequest.objects.filter(pk__in=ids).update(
        received_from=ERASED,
        export_pdf="",
        export_archive="",
        export_pdf_sha256="",
        export_archive_sha256="",
    )
    reasons = Redaction.objects.filter(request__in=ids).exclude(reasons="").update(reasons=ERASED)
    return {
        "removed": {
            "Subject access requests": len(ids),
            "Reasons for withholding": reasons,
            "Subject access export files": len(files),
        },
        "files": files,
    }

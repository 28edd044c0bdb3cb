"""Subject access requests: every write, each in a transaction, the request's row locked, each one
harmless when repeated.

Who: supervisors of the person's force (``SUBJECT_ACCESS_ROLES``). The export is every record the
force holds on the person, which by design only the force's police roles see: administrators never
see case data, so they may not produce it; of the police roles, supervisors have oversight of every
case of the force, and answering a request (deciding what the law lets the force withhold, releasing
it) is oversight, not case work. A force whose data-protection office answers requests gives its
staff the supervisor role here.

Producing the export is a job (``tasks.subject_access_export``), not a request: a person with many
cases and documents takes longer than a page may. Producing it and each download are disclosures of
the person's data, audited against the person (so they show in "Who accessed this record") with the
requester as the recipient. Releasing the response is the disclosure to the requester, audited too.
"""

import hashlib
import logging
import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from cases.models import ReferenceCounter
from cases.workflow import SYSTEM, TransitionNotAllowed, check_table_transition
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.queueing import enqueue_on_commit

from .archive import subject_access_archive
from .export import subject_access_export_build
from .files import MovedFile, partial_files
from .models import (
    ExemptionGround,
    Redaction,
    ReleaseMethod,
    RequesterKind,
    RequestStatus,
    SubjectAccessRequest,
    response_due_on,
)
from .pdf import subject_access_pdf

logger = logging.getLogger(__name__)

SUBJECT_ACCESS_ROLES = frozenset({Role.SUPERVISOR})

S = RequestStatus
# The request's status machine: the one declared table of moves and who may make each.
TRANSITIONS = {
    (S.RECEIVED, S.IN_REVIEW): frozenset({SYSTEM}),  # the export produced
    (S.IN_REVIEW, S.RELEASED): SUBJECT_ACCESS_ROLES,
    (S.RECEIVED, S.WITHDRAWN): SUBJECT_ACCESS_ROLES,
    (S.IN_REVIEW, S.WITHDRAWN): SUBJECT_ACCESS_ROLES,
}

# A job that claimed an export and has not produced it in this long is taken to have died.
CLAIM_EXPIRES = timedelta(minutes=15)

ITEM_KEY = re.compile(r"^(?P<kind>[a-z]+(?:-[a-z]+)*)-(?P<pk>\d+)(?:\.(?P<field>[a-z_]+))?$")


class SubjectAccessError(Exception):
    """A request the rules refuse. The message tells the person what to do."""


def _check(before, after, *, actor=None, system=False):
    try:
        check_table_transition(TRANSITIONS, S, before, after, actor=actor, system=system, what="request")
    except TransitionNotAllowed as exc:
        raise SubjectAccessError(str(exc)) from exc


def _locked(request_id) -> SubjectAccessRequest:
    return (
        SubjectAccessRequest.objects.select_for_update().select_related("person", "force").get(pk=request_id)
    )


def _recipient(sar) -> str:
    """Who receives the response, without their name (an audit row is never erased)."""
    who = "The person" if sar.requester_kind == RequesterKind.DATA_SUBJECT else "The person's representative"
    return f"{who}, through subject access request {sar.reference}"


def _next_reference(year: int) -> str:
    counter, _ = ReferenceCounter.objects.get_or_create(prefix="SAR", year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"SAR-{year}-{counter.last_number:06d}"


@transaction.atomic
def subject_access_request_create(
    *,
    actor,
    person,
    received_on,
    requester_kind,
    received_from,
    identity_confirmed_on=None,
    submission_token=None,
) -> SubjectAccessRequest:
    """Record a request received for ``person`` (of the actor's force: the caller's selector checked
    it). A repeated submission (same ``submission_token``) returns the request already recorded."""
    if not actor.has_role(*SUBJECT_ACCESS_ROLES):
        raise SubjectAccessError("Only supervisors record subject access requests.")
    if person.force_id != actor.organisation_id:
        raise SubjectAccessError("This person is not one of your force's records.")
    if submission_token and (
        done := SubjectAccessRequest.objects.filter(submission_token=submission_token).first()
    ):
        return done
    today = timezone.localdate()
    errors = {}
    if received_on > today:
        errors["received_on"] = "The date the request was received must be today or in the past."
    if identity_confirmed_on is not None:
        if identity_confirmed_on > today:
            errors["identity_confirmed_on"] = (
                "The date the identity was confirmed must be today or in the past."
            )
        elif identity_confirmed_on < received_on:
            errors["identity_confirmed_on"] = (
                "The date the identity was confirmed must be on or after the date the request was received."
            )
    if requester_kind not in RequesterKind.values:
        errors["requester_kind"] = "Select who made the request."
    if not (received_from or "").strip():
        errors["received_from"] = "Enter who the request was received from."
    if errors:
        raise ValidationError(errors)
    sar = SubjectAccessRequest(
        reference=_next_reference(today.year),
        force_id=person.force_id,
        person=person,
        received_on=received_on,
        requester_kind=requester_kind,
        received_from=received_from.strip(),
        identity_confirmed_on=identity_confirmed_on,
        due_on=response_due_on(received_on, identity_confirmed_on),
        created_by=actor,
        submission_token=submission_token,
    )
    try:
        with transaction.atomic():
            sar.save()
    except IntegrityError:  # a simultaneous submission of the same form won the race
        if submission_token and (
            done := SubjectAccessRequest.objects.filter(submission_token=submission_token).first()
        ):
            return done
        raise
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=sar,
        reason=f"Subject access request recorded for person #{person.pk}, due by {sar.due_on:%Y-%m-%d}",
    )
    return sar


@transaction.atomic
def subject_access_export_request(*, request_id, actor) -> bool:
    """Ask for the export to be produced (again): a job does it. False when it is already waiting."""
    sar = _locked(request_id)
    if not actor.has_role(*SUBJECT_ACCESS_ROLES):
        raise SubjectAccessError("Only supervisors produce a subject access export.")
    if not sar.is_open:
        raise SubjectAccessError(
            f"The request is “{sar.get_status_display()}”: its export cannot be produced again."
        )
    if sar.export_pending:
        return False
    sar.export_requested_at = timezone.now()
    sar.export_requested_by = actor
    sar.export_claimed_at = None
    sar.save(update_fields=["export_requested_at", "export_requested_by", "export_claimed_at"])
    enqueue_on_commit("subjectaccess.tasks.subject_access_export", sar.pk)
    return True


def _export_claim(request_id):
    """The request, claimed for this job, or None when there is nothing to do or another job holds it."""
    sar = SubjectAccessRequest.objects.select_related("person", "person__ethnicity", "person__force").get(
        pk=request_id
    )
    if not sar.export_pending or not sar.is_open:
        return None
    now = timezone.now()
    claimed = (
        SubjectAccessRequest.objects.filter(pk=sar.pk, export_requested_at=sar.export_requested_at)
        .filter(Q(export_claimed_at__isnull=True) | Q(export_claimed_at__lt=now - CLAIM_EXPIRES))
        .update(export_claimed_at=now)
    )
    return sar if claimed else None


EXPORT_FIELDS = [
    "export_pdf",
    "export_archive",
    "export_pdf_sha256",
    "export_archive_sha256",
    "export_produced_at",
    "export_claimed_at",
    "export_deleted_at",
    "export_summary",
]


def _export_record(sar, export, *, pdf: bytes, archive_sha: str, unreadable, redactions, produced_at) -> None:
    """The export's checksums and summary saved on the request (already holding its files), moved on to
    review if it was only received, and the disclosure audited."""
    sar.export_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    sar.export_archive_sha256 = archive_sha
    sar.export_produced_at = produced_at
    sar.export_claimed_at = None
    sar.export_deleted_at = None
    sar.export_summary = {
        "counts": export.counts(),
        "documents": len(export.documents),
        "unreadable_documents": unreadable,
        "items": [item.key for item in export.items()],
        "kinds": export.kinds,
        "pdf_bytes": len(pdf),
        "archive_bytes": sar.export_archive.size,
    }
    fields = list(EXPORT_FIELDS)
    if sar.status == S.RECEIVED:
        _check(sar.status, S.IN_REVIEW, system=True)
        sar.status = S.IN_REVIEW
        fields.append("status")
    sar.save(update_fields=fields)
    records = sum(export.counts().values())
    audit_record(
        actor=sar.export_requested_by,
        action=AuditAction.DISCLOSED,
        obj=sar.person,
        recipient=_recipient(sar),
        reason=f"Subject access export produced for {sar.reference}: {records} records, "
        f"{len(export.documents)} documents, {len(redactions)} withheld",
    )


def subject_access_export_produce(*, request_id) -> bool:
    """Produce the export asked for (the job's work): claim it, build the PDF and the archive outside
    any transaction, then save them on the request unless it was asked for again meanwhile. True if
    this call produced it; False when there was nothing to do or another job holds it."""
    sar = _export_claim(request_id)
    if sar is None:
        return False
    asked_at, now = sar.export_requested_at, timezone.now()
    redactions = list(sar.redactions.all())
    export = subject_access_export_build(
        person=sar.person,
        request={
            "reference": sar.reference,
            "received_on": sar.received_on,
            "received_from": sar.received_from,
            "identity_confirmed_on": sar.identity_confirmed_on,
            "due_on": sar.due_on,
        },
        redactions=redactions,
        produced_at=now,
    )
    pdf = subject_access_pdf(export)
    storage = SubjectAccessRequest._meta.get_field("export_pdf").storage
    written = []
    # Built whole in partial files, then moved into place in the transaction that saves them on the
    # request (subjectaccess/files.py): a job killed at any point leaves only files the daily sweep
    # finds (nothing points to them, and the claim lapses).
    try:
        with partial_files(storage, sar.pk) as new_partial:
            with new_partial(".pdf") as file:
                file.write(pdf)
                pdf_path = file.name
            with new_partial(".zip") as spool:
                unreadable = subject_access_archive(export, spool)
                spool.seek(0)
                archive_sha = _sha256(spool)
                archive_path = spool.name
            with transaction.atomic():
                sar = _locked(request_id)
                if sar.export_requested_at != asked_at or not sar.is_open:
                    return False  # asked for again (a redaction since): the next job produces it
                old = [name for name in (sar.export_pdf.name, sar.export_archive.name) if name]
                for field, name, path in (
                    (sar.export_pdf, "response.pdf", pdf_path),
                    (sar.export_archive, "response.zip", archive_path),
                ):
                    with MovedFile(path) as moved:
                        field.save(name, moved, save=False)
                    written.append(field.name)
                _export_record(
                    sar,
                    export,
                    pdf=pdf,
                    archive_sha=archive_sha,
                    unreadable=unreadable,
                    redactions=redactions,
                    produced_at=now,
                )
                transaction.on_commit(lambda: [storage.delete(name) for name in old])
                written = []
    finally:
        for name in written:  # saved files whose row was not: never left behind
            storage.delete(name)
    return True


def subject_access_exports_produce() -> int:
    """Every export asked for and not produced, whose job was lost (the broker was down) or died:
    the minute sweep's work. Returns how many were produced."""
    waiting = SubjectAccessRequest.objects.filter(
        status__in=[S.RECEIVED, S.IN_REVIEW], export_requested_at__isnull=False
    ).filter(Q(export_produced_at__isnull=True) | Q(export_produced_at__lt=F("export_requested_at")))
    produced = 0
    for pk in waiting.values_list("pk", flat=True)[:20]:
        try:
            produced += subject_access_export_produce(request_id=pk)
        except Exception:  # one failing export must not stop the others
            logger.exception("Subject access export %s could not be produced.", pk)
    return produced


def _sha256(file) -> str:
    digest = hashlib.sha256()
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def subject_access_redaction_add(*, request_id, actor, item, ground, reasons) -> Redaction:
    """Record something withheld: ``item`` as the export names it (``case-12``, ``case-12.victim_views``)
    or empty for the response as a whole, the s.45(4) ground and the reasons (kept, never in the
    response nor the audit log). Recording the same item on the same ground again changes nothing.
    The export must then be produced again before it is released."""
    sar = _locked(request_id)
    if not actor.has_role(*SUBJECT_ACCESS_ROLES):
        raise SubjectAccessError("Only supervisors record what is withheld.")
    if not sar.is_open:
        raise SubjectAccessError(
            f"The request is “{sar.get_status_display()}”: nothing more can be withheld."
        )
    item = (item or "").strip().lower()
    errors = {}
    if ground not in ExemptionGround.values:
        errors["ground"] = "Select the ground the information is withheld on."
    if not (reasons or "").strip():
        errors["reasons"] = "Enter why withholding it is necessary and proportionate."
    if item:
        if sar.export_produced_at is None:
            errors["item"] = "Produce the export first: an item is named as the export names it."
        else:
            error = _item_error(sar.export_summary, item)
            if error:
                errors["item"] = error
    if errors:
        raise ValidationError(errors)
    existing = sar.redactions.filter(item=item, ground=ground).first()
    if existing:
        return existing
    redaction = Redaction.objects.create(
        request=sar, item=item, ground=ground, reasons=reasons.strip(), recorded_by=actor
    )
    sar.redactions_changed_at = timezone.now()
    sar.save(update_fields=["redactions_changed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=sar,
        reason=f"Withheld from the response: {item or 'part of the response'}, "
        f"under section {redaction.paragraph}",
    )
    return redaction


def _item_error(summary: dict, item: str) -> str:
    match = ITEM_KEY.match(item)
    if not match:
        return "Enter the item as the export names it, for example case-12 or case-12.victim_views."
    key = f"{match['kind']}-{match['pk']}"
    if key not in set(summary.get("items", [])):
        return f"The export has no item {key}."
    field = match["field"]
    if field and field not in summary.get("kinds", {}).get(match["kind"], []):
        return f"Item {key} has no field {field}."
    return ""


@transaction.atomic
def subject_access_release(*, request_id, actor, release_method) -> SubjectAccessRequest:
    """Record that the response was sent or handed to the requester. Releasing it again changes nothing."""
    sar = _locked(request_id)
    if sar.status == S.RELEASED:
        return sar
    _check(sar.status, S.RELEASED, actor=actor)
    if release_method not in ReleaseMethod.values:
        raise ValidationError({"release_method": "Select how the response was sent."})
    if sar.export_pending:
        raise SubjectAccessError("The export is still being produced: release it once it is ready.")
    if sar.export_out_of_date:
        raise SubjectAccessError(
            "Something was withheld after the export was produced: produce it again, check it, then "
            "release it."
        )
    sar.status = S.RELEASED
    sar.released_at = timezone.now()
    sar.released_by = actor
    sar.release_method = release_method
    sar.save(update_fields=["status", "released_at", "released_by", "release_method"])
    method = ReleaseMethod(release_method).label.lower()
    audit_record(actor=actor, action=AuditAction.CHANGED, obj=sar, reason=f"Response released {method}")
    audit_record(
        actor=actor,
        action=AuditAction.DISCLOSED,
        obj=sar.person,
        recipient=_recipient(sar),
        reason=f"Subject access response {sar.reference} released {method}",
    )
    return sar


@transaction.atomic
def subject_access_withdraw(*, request_id, actor) -> SubjectAccessRequest:
    """The requester withdrew the request. Withdrawing it again changes nothing."""
    sar = _locked(request_id)
    if sar.status == S.WITHDRAWN:
        return sar
    _check(sar.status, S.WITHDRAWN, actor=actor)
    sar.status = S.WITHDRAWN
    sar.withdrawn_at = timezone.now()
    sar.withdrawn_by = actor
    sar.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=actor, action=AuditAction.CHANGED, obj=sar, reason="Request withdrawn by the requester"
    )
    return sar


class ExportUnavailable(Exception):
    """The export's file is missing, or no longer matches its recorded checksum."""


EXPORT_FILES = {
    "pdf": ("export_pdf", "export_pdf_sha256", "application/pdf", "PDF"),
    "archive": ("export_archive", "export_archive_sha256", "application/zip", "archive"),
}


def subject_access_download(*, sar, kind, actor, request=None):
    """Open the export's PDF or archive for download, after checking it against its checksum, and
    audit the download as a disclosure of the person's data. Returns an open file."""
    field, checksum, _, label = EXPORT_FILES[kind]
    stored = getattr(sar, field)
    if sar.export_deleted_at is not None:
        raise SubjectAccessError(
            f"The export's files were deleted on {sar.export_deleted_at:%-d %B %Y}, after the request was "
            "closed: only what it held and their checksums are kept."
        )
    if not stored.name or sar.export_pending:
        raise SubjectAccessError("The export is not ready: produce it, then download it.")
    # The file sent is the one checked: opened once, hashed, then read again from its start.
    try:
        file = stored.storage.open(stored.name, "rb")
    except FileNotFoundError as exc:
        logger.error("The %s of subject access request %s is missing.", label, sar.pk)
        raise ExportUnavailable("The file is missing: produce the export again.") from exc
    if _sha256(file) != getattr(sar, checksum):
        file.close()
        logger.error("The %s of subject access request %s does not match its checksum.", label, sar.pk)
        raise ExportUnavailable("The file has changed since it was produced: produce the export again.")
    file.seek(0)
    try:
        audit_record(
            actor=actor,
            action=AuditAction.DISCLOSED,
            obj=sar.person,
            request=request,
            recipient=_recipient(sar),
            reason=f"Subject access export downloaded ({label}) for {sar.reference}",
        )
    except BaseException:
        file.close()
        raise
    return file

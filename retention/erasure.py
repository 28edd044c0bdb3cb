"""Erasing a person's record after a retention review (issue 15, part 2; DOMAIN.md, Data protection).

What goes, in one transaction, with the person's row and their cases' rows locked:
- the person's names, PNC ID, address, postcode, phone, email, vulnerability and interpreter notes;
- their aliases and the history of corrections to their details (``PersonChange``: old and new values);
- every piece of free text written on their records (``ERASED_TEXT``: notes, circumstances, the
  victim's views, reasons, wording, the caution's admission, session notes, reports...), replaced by
  "(erased)" where there was any; the timeline's summaries become their event's name (a summary may
  quote a condition's wording or a name), its notes go;
- their uploaded documents (the ``Evidence`` rows) and the signed caution documents (the file name and
  checksum on the ``Caution``), whose files are deleted from the storage once the transaction commits
  (``erasure_files_remove``; the daily retention job removes any a crash left behind).

What stays, under the record numbers (Person #N, the case references): the person's sex, date of birth
and ethnic group, and the facts of each case (scheme, area, dates, statuses, offences, decisions'
outcomes, conditions' kinds and dates, referrals' agencies and dates, the recorded later offences).
The commissioner's dashboard is made from exactly these (``reporting/summaries.py``), and the analysts'
extract shows the person only as a keyed pseudonym of their record number (``reporting/pseudonyms.py``),
so neither changes. The date of birth stays whole because the dashboard's age bands are worked out on
the day it is read.

The audit log is append-only and hash-chained, so nothing in it can be erased: by design it holds no
content an erasure must remove (records named by number, reasons in the service's own words, free text
recorded only as changed: ``offenderhub/audit/services.py``). The erasure adds ``ERASED`` rows naming
the records by number, without the erased content, so ``audit_verify`` still passes.
"""

import logging

from django.apps import apps
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Case as When_
from django.db.models import Q, Value, When
from django.utils import timezone

from cases.events import EventCode, PersonErasing, PersonErasureAsked, announce
from cases.models import Case, CaseEvent, Person, PersonAlias, PersonChange, PersonMerge, SuspectedDuplicate
from conditions.models import Caution, Variation
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from referrals.models import Evidence

from .models import ErasureRecord, LegalHold, RecordKind
from .workflow import ENDED_STATUSES

logger = logging.getLogger(__name__)

ERASED = "(erased)"

# The free text on a person's records, erased: each model, how its rows lead to the person's cases
# ("case" lookups, given the case ids) or to the person ("person"), and the fields.
ERASED_TEXT = (
    ("cases.Case", "pk", ("circumstances", "victim_views")),
    ("cases.CaseOffence", "case", ("details",)),
    ("cases.EligibilityDecision", "case", ("rationale", "prosecutor_reference")),
    ("cases.CaseEvent", "case", ("notes",)),
    ("assessments.Assessment", "case", ("goals", "risk_notes")),
    ("assessments.PathwayNeed", "assessment__case", ("notes",)),
    ("assessments.Contribution", "assessment__case", ("contributor_name", "text")),
    ("conditions.Condition", "case", ("wording", "outcome_notes")),
    ("conditions.ConditionRecord", "condition__case", ("text", "reference")),
    ("conditions.PeriodExtension", "case", ("reason",)),
    ("conditions.Variation", "case", ("reason", "decision_notes")),
    ("conditions.Caution", "case", ("place", "admission_words", "interpreter", "appropriate_adult")),
    (
        "conditions.BreachReview",
        "case",
        ("opened_reason", "person_account", "alternatives_tried", "rationale", "countersignature_notes"),
    ),
    ("conditions.Prosecution", "case", ("outcome_notes",)),
    (
        "referrals.Referral",
        "case",
        (
            "reason",
            "needs_summary",
            "risk_summary",
            "interpreter_language",
            "availability",
            "access_needs",
            "closing_notes",
        ),
    ),
    ("referrals.DesiredOutcome", "referral__case", ("text", "comment")),
    ("referrals.Assignment", "referral__case", ("reason",)),
    (
        "referrals.Appointment",
        "referral__case",
        (
            "location",
            "late_reason",
            "non_attendance_notes",
            "summary",
            "behaviour",
            "concerns",
            "reschedule_reason",
        ),
    ),
    ("referrals.ReferralNote", "referral__case", ("text",)),
    ("referrals.EndReport", "referral__case", ("summary",)),
    ("reporting.ScrutinyItem", "case", ("observations",)),
    ("retention.LegalHold", "case", ("reason", "clear_reason")),
    ("retention.LegalHold", "person", ("reason", "clear_reason")),
    ("retention.RetentionReview", "person", ("reason", "refusal_reason")),
)

# The person's own fields that go, and what each becomes.
PERSON_ERASED = {
    "given_names": "",
    "family_name": "",
    "pnc_id": "",
    "address": "",
    "postcode": "",
    "phone": "",
    "email": "",
    "vulnerable": False,
    "vulnerability_notes": "",
    "interpreter_needed": False,
    "interpreter_language": "",
    "submission_token": None,
    "family_name_key": "",  # the names' phonetic codes (cases.matching)
    "given_name_key": "",
}

# Rows removed whole: what they hold is the person's (other names, old values of their details) or
# their upload. (Evidence's files go with them.)
DELETED = ("cases.PersonAlias", "cases.PersonChange", "cases.SuspectedDuplicate", "referrals.Evidence")

# The text columns of the person's records that stay, and why: codes and choices, numbers, references
# and what the service wrote itself (never what someone typed about the person).
KEPT_TEXT = {
    "cases.Person": {"sex": "statistics (the dashboard's fairness figures)"},
    "cases.Case": {
        "reference": "the case's number, by which every other record names it",
        "status": "a choice",
        "victim_type": "a choice",
        "victim_rj_consent": "a choice",
        "flags": "codes",
        "external_reference": "the force's own reference of the case (caseload import), a number",
    },
    "cases.EligibilityDecision": {
        "outcome": "a choice",
        "authority": "a choice",
        "admission": "a choice",
        "criteria": "each rule's result, in the service's own words",
        "reasons": "codes",
    },
    "cases.CaseEvent": {
        "code": "a code",
        "status_before": "a status",
        "status_after": "a status",
        "summary": "replaced by the event's name",
        "details": "record numbers, and corrected dates and choices as shown",
    },
    "assessments.Assessment": {"kind": "a choice", "status": "a choice", "risk_flags": "codes"},
    "assessments.PathwayNeed": {"pathway": "a choice"},
    "assessments.Contribution": {"pathway": "a choice"},
    "conditions.Condition": {"kind": "a choice", "amount_kind": "a choice", "status": "a choice"},
    "conditions.ConditionRecord": {"kind": "a choice"},
    "conditions.Variation": {"kind": "a choice", "status": "a choice", "proposed": "emptied"},
    "conditions.Caution": {
        "document": "emptied, its file deleted",
        "document_sha256": "emptied",
        "ceased_reason": "the service's own words",
    },
    "conditions.BreachReview": {"status": "a choice", "outcome": "a choice"},
    "conditions.Prosecution": {
        "method": "a choice",
        "court": "the court's name, not about the person",
        "outcome": "a choice",
    },
    "referrals.Referral": {
        "status": "a choice",
        "needs": "codes",
        "decline_reason": "a choice",
        "withdraw_reason": "a choice",
    },
    "referrals.DesiredOutcome": {"result": "a choice"},
    "referrals.Appointment": {
        "format": "a choice",
        "setting": "a choice",
        "attendance": "a choice",
        "non_attendance": "a choice",
        "engagement": "a choice",
        "reschedule_requested_by": "a choice",
    },
    "referrals.EndReport": {"result": "a choice"},
    "reporting.ReferralFact": {"status": "statistics"},
    "reporting.CaseFact": {"status": "statistics", "sex": "statistics", "offence_groups": "statistics"},
    "reporting.ScrutinyItem": {"finding": "a choice"},
    "reporting.SubsequentOffence": {"outcome_type": "a choice"},
    "retention.RetentionReview": {"status": "a choice"},
    "cases.PersonMerge": {
        "from_merged": "the details' names",
        "moved": "record numbers",
        "aliases_added": "record numbers",
    },
    "subjectaccess.SubjectAccessRequest": {
        "reference": "the request's number",
        "requester_kind": "a choice",
        "status": "a choice",
        "export_pdf_sha256": "emptied",
        "export_archive_sha256": "emptied",
        "export_summary": "counts and items by record number",
        "release_method": "a choice",
    },
    "subjectaccess.Redaction": {"item": "an item by record number", "ground": "a choice"},
    "retention.ErasureRecord": {
        "kind": "a choice",
        "case_references": "the cases' numbers",
        "removed": "counts",
        "files_pending": "random file names",
    },
}


# Erased elsewhere: the merges' snapshots and reasons (``person_erase`` itself), and what the apps
# at the top hold, erased by their own ``PersonErasing`` handlers.
ERASED_ELSEWHERE = {
    "cases.PersonMerge": ("before", "after", "reason", "undo_reason"),
    "subjectaccess.SubjectAccessRequest": ("received_from", "export_pdf", "export_archive"),
    "subjectaccess.Redaction": ("reasons",),
}


class ErasureRefused(Exception):
    """The record cannot be erased now. The message says why, for a person."""


def erasure_refusal(person, cases, holds) -> str:
    """Why ``person`` cannot be erased now ('' when they can): a case not ended, or a legal hold on the
    person or on one of their cases (``holds``: the active ones, or anything with ``person_id`` and
    ``case_id``)."""
    label = f"Person #{person.pk}'s record"
    if person.is_erased:
        return f"{label} has already been erased."
    still_open = [c for c in cases if c.status not in ENDED_STATUSES]
    if still_open:
        listed = ", ".join(f"{c.reference} ({c.get_status_display()})" for c in still_open)
        return (
            f"{label} cannot be erased while a case is open: {listed}. Review it again once the case has "
            "ended."
        )
    held_cases = {h.case_id for h in holds if h.case_id}
    held_people = {h.person_id for h in holds if h.person_id}
    held = (["the person"] if person.pk in held_people else []) + [
        c.reference for c in cases if c.pk in held_cases
    ]
    merged_ids = merged_records(person.pk)
    if merged_ids and (
        held_people & set(merged_ids)
        or LegalHold.objects.filter(person__in=merged_ids, cleared_at__isnull=True).exists()
    ):
        held.append("a record merged into theirs")
    if held:
        return (
            f"{label} cannot be erased while a legal hold is set on {', '.join(held)}. Clear the hold first."
        )
    for refusal in announce(PersonErasureAsked(person_id=person.pk)):
        if refusal:
            return f"{label} cannot be erased now: {refusal}"
    return ""


def merged_records(person_id) -> list[int]:
    """The records merged into the person's, and into those, however deep (the same human): an erasure
    reaches them too. One query per level (a merged record is rarely itself a kept one)."""
    found, level = [], [person_id]
    while level:
        level = list(Person.objects.filter(merged_into__in=level).order_by("pk").values_list("pk", flat=True))
        found += level
    return found


def erasure_lock(person_id, *, force_id):
    """Lock the person's row, the records merged into it and their cases' rows (in id order), and read
    their active holds."""
    person = Person.objects.select_for_update().get(pk=person_id, force_id=force_id)
    merged_ids = merged_records(person.pk)
    if merged_ids:
        list(Person.objects.select_for_update().filter(pk__in=merged_ids).order_by("pk").values_list("pk"))
    people = [person.pk, *merged_ids]
    cases = list(Case.objects.select_for_update().filter(person__in=people).order_by("pk"))
    holds = list(
        LegalHold.objects.filter(
            Q(person__in=people) | Q(case__in=[c.pk for c in cases]), cleared_at__isnull=True
        ).order_by("pk")
    )
    return person, cases, holds


def _text_erased(model, rows, fields) -> int:
    """Replace the non-empty values of ``fields`` in ``rows`` by ERASED: one UPDATE. Returns the rows."""
    written = Q()
    for field in fields:
        written |= ~Q(**{field: ""})
    return rows.filter(written).update(
        **{field: When_(When(**{field: ""}, then=Value("")), default=Value(ERASED)) for field in fields}
    )


def _event_names():
    return When_(
        *(When(code=code, then=Value(label)) for code, label in EventCode.choices), default=Value("Event")
    )


def person_erase(*, review, requested_by, requested_at, authorised_by, request=None) -> ErasureRecord:
    """Erase the person of ``review`` (an open review, locked by the caller, inside its transaction).
    Raises ErasureRefused while a case of theirs is open or a legal hold is set. Writes the register
    entry and the audit rows; the stored files are deleted once the transaction commits."""
    person, cases, holds = erasure_lock(review.person_id, force_id=review.force_id)
    refusal = erasure_refusal(person, cases, holds)
    if refusal:
        raise ErasureRefused(refusal)
    now = timezone.now()
    case_ids = [c.pk for c in cases]
    people = [person.pk, *merged_records(person.pk)]
    removed = {}

    # What the apps above hold about them (subject access requests, caseload imports...), each app
    # erasing its own, while the names are still on the rows.
    app_files = []
    for result in announce(
        PersonErasing(person_id=person.pk, force_id=review.force_id, person_ids=tuple(people))
    ):
        for label, count in (result or {}).get("removed", {}).items():
            removed[label] = removed.get(label, 0) + count
        app_files += (result or {}).get("files", [])

    # Documents: the uploads go whole; the signed caution documents leave their caution row.
    evidence = list(Evidence.objects.filter(referral__case__in=case_ids).order_by("pk"))
    cautions = list(Caution.objects.filter(case__in=case_ids).exclude(document="").order_by("pk"))
    files = [e.file.name for e in evidence if e.file.name] + [c.document.name for c in cautions]
    for item in evidence:
        audit_record(
            actor=authorised_by,
            action=AuditAction.ERASED,
            obj=item,
            request=request,
            owner_organisation=review.force,
            reason="Uploaded document erased with its person's record",
        )
    Evidence.objects.filter(pk__in=[e.pk for e in evidence]).delete()
    Caution.objects.filter(pk__in=[c.pk for c in cautions]).update(document="", document_sha256="")
    removed["Uploaded documents"] = len(evidence)
    removed["Signed caution documents"] = len(cautions)

    # The person's other names and the old values of their details.
    removed["Aliases"] = PersonAlias.objects.filter(person__in=people).delete()[0]
    removed["History of changes"] = PersonChange.objects.filter(person__in=people).delete()[0]
    # The pairs the duplicate matching suspected: their reasons name both people's details.
    if pairs := SuspectedDuplicate.objects.filter(Q(person__in=people) | Q(other__in=people)).delete()[0]:
        removed["Suspected duplicates"] = pairs
    # The merges of their records: the snapshots hold both records' old names and details, the reasons
    # may name them. The merge stays (by record number), never to be undone.
    merges = PersonMerge.objects.filter(Q(kept__in=people) | Q(merged__in=people))
    removed["Merges of their records"] = merges.update(before={}, after={}, reason=ERASED)
    merges.exclude(undo_reason="").update(undo_reason=ERASED)

    # Free text, then the timeline's summaries (an event's name instead).
    written = 0
    for label, lookup, fields in ERASED_TEXT:
        model = apps.get_model(label)
        if lookup == "person":
            rows = model.objects.filter(person__in=people)
        else:
            rows = model.objects.filter(**{f"{lookup}__in": case_ids})
        written += _text_erased(model, rows, fields)
    written += Variation.objects.filter(case__in=case_ids).exclude(proposed={}).update(proposed={})
    removed["Records with free text"] = written
    removed["Timeline entries"] = CaseEvent.objects.filter(case__in=case_ids).update(summary=_event_names())

    # The person: only what the statistics need stays.
    Person.objects.filter(pk__in=people).update(**PERSON_ERASED, erased_at=now)
    person.erased_at = now
    removed["Names and contact details"] = 1
    if len(people) > 1:
        removed["Records merged into theirs"] = len(people) - 1

    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            code=EventCode.PERSON_ERASED,
            occurred_at=now,
            actor=authorised_by,
            actor_organisation_id=authorised_by.organisation_id,
            summary=EventCode.PERSON_ERASED.label,
        )
        for case in cases
    )
    record = ErasureRecord.objects.create(
        force=review.force,
        kind=RecordKind.PERSON,
        person=person,
        case_references=[c.reference for c in cases],
        review=review,
        requested_by=requested_by,
        requested_at=requested_at,
        authorised_by=authorised_by,
        erased_at=now,
        removed=removed,
        files_pending=files + app_files,
    )
    for case in cases:
        audit_record(
            actor=authorised_by,
            action=AuditAction.ERASED,
            obj=case,
            request=request,
            owner_organisation=review.force,
            reason="Free text and documents of the case erased with its person's record",
        )
    audit_record(
        actor=authorised_by,
        action=AuditAction.ERASED,
        obj=person,
        request=request,
        owner_organisation=review.force,
        reason=(
            f"Person's record erased after retention review {review.pk}, asked for by another supervisor "
            f"(erasure register entry {record.pk}): names, contact details, aliases, history of changes, "
            "free text and documents removed"
        ),
    )
    for merged in Person.objects.filter(pk__in=people[1:]).order_by("pk"):
        audit_record(
            actor=authorised_by,
            action=AuditAction.ERASED,
            obj=merged,
            request=request,
            owner_organisation=review.force,
            reason=f"Record merged into person #{person.pk}'s, erased with it (erasure register entry "
            f"{record.pk})",
        )
    transaction.on_commit(lambda: erasure_files_remove(record_id=record.pk), robust=True)
    return record


def erasure_files_remove(*, record_id=None) -> int:
    """Delete the stored files of erasures (one, or every one still waiting) and mark them done.
    Deleting a file already gone is no error, so a re-run after a crash is harmless. Returns how many
    files were deleted."""
    storage = storages["private"]
    deleted = 0
    with transaction.atomic():
        waiting = ErasureRecord.objects.select_for_update(skip_locked=True).filter(files_removed_at=None)
        if record_id is not None:
            waiting = waiting.filter(pk=record_id)
        for record in waiting.order_by("pk"):
            for name in record.files_pending:
                storage.delete(name)
                deleted += 1
            record.files_pending, record.files_removed_at = [], timezone.now()
            record.save(update_fields=["files_pending", "files_removed_at"])
    if deleted:
        logger.info("Erasure: %s stored files deleted.", deleted)
    return deleted

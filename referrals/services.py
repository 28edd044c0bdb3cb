"""Every write to referrals: sending, accepting, declining, assigning, withdrawing, appointments and
their outcomes, notes, evidence and the end-of-intervention report.

Each service locks the referral's case and then the referral, checks the declared status table and
the actor (police of the case's force, or the agency the referral was sent to), writes the case
timeline attributed to the actor's organisation, the audit row, and queues notifications on commit.
"""

import hashlib
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.events import EventCode
from cases.models import Case, CaseStatus
from cases.services import CaseError, case_event_record
from cases.workflow import TransitionNotAllowed
from conditions.models import LIVE_CONDITION_STATUSES, Condition, ConditionStatus
from offenderhub.accounts.models import POLICE_ROLES, OrganisationKind, Role, User
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.notifications.models import NotificationKind
from offenderhub.notifications.services import notify

from .models import (
    Appointment,
    Assignment,
    Attendance,
    DeclineReason,
    DesiredOutcome,
    EndReport,
    Evidence,
    Referral,
    ReferralNote,
    ReferralStatus,
    Service,
    WithdrawReason,
)
from .pdf_safety import pdf_refusal
from .workflow import check_referral_transition

REFERRABLE_CASE_STATUSES = frozenset(
    {CaseStatus.ASSESSMENT, CaseStatus.CONDITIONS_AGREED, CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW}
)
WORKING_STATUSES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})


def _url(referral):
    return reverse("referrals:detail", args=[referral.pk])


def _is_police_of(actor, case):
    return actor.organisation_id == case.force_id and actor.has_role(*POLICE_ROLES)


def _is_partner_of(actor, referral):
    if actor.organisation_id != referral.organisation_id:
        return False
    if actor.has_role(Role.PARTNER_MANAGER):
        return True
    return actor.has_role(Role.PARTNER_PRACTITIONER) and referral.practitioner_id == actor.pk


def _lock(referral_id, actor, *, police=True, partner=True):
    """Lock the referral's case, then the referral. Anyone who may not see it is told it does not exist."""
    row = Referral.objects.filter(pk=referral_id).values_list("case_id", flat=True).first()
    if row is None:
        raise CaseError("That referral does not exist.")
    case = Case.objects.select_for_update().select_related("scheme", "person", "owner").get(pk=row)
    referral = (
        Referral.objects.select_for_update().select_related("service", "organisation").get(pk=referral_id)
    )
    allowed = (police and _is_police_of(actor, case)) or (partner and _is_partner_of(actor, referral))
    if not allowed:
        if _is_police_of(actor, case) or _is_partner_of(actor, referral):
            raise CaseError("Your role cannot do that on this referral.")
        raise CaseError("That referral does not exist.")
    return case, referral


def _move(referral, case, *, to, actor=None, system=False, code, summary, notes="", fields=()):
    before = referral.status
    if before == to:
        return False
    try:
        check_referral_transition(before, to, actor=actor, system=system)
    except TransitionNotAllowed as exc:
        raise CaseError(str(exc)) from exc
    referral.status = to
    referral.save(update_fields=["status", *fields])
    _event(case, referral, actor=actor, code=code, summary=summary, notes=notes, before=before, after=to)
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=referral,
        changes={"status": [before, to]},
        reason=summary[:200],
        owner_organisation=case.force,
    )
    return True


def _event(case, referral, *, actor, code, summary, notes="", before="", after="", **details):
    case_event_record(
        case,
        code=code,
        actor=actor,
        summary=f"{summary} ({referral.service.name})",
        notes=notes,
        details={"referral": referral.pk, **details},
        before=before,
        after=after,
    )


def _notify_case_worker(case, referral, kind, **context):
    notify(
        kind=kind,
        users=[case.owner],
        url=_url(referral),
        case_reference=case.reference,
        context={"service": referral.service.name, "agency": referral.organisation.name, **context},
    )


# --- Sending -------------------------------------------------------------------------------------------


@transaction.atomic
def referral_send(
    *,
    case_id,
    actor,
    service: Service,
    reason: str,
    desired_outcomes: list[str],
    due_date: date,
    condition: Condition | None = None,
    needs=(),
    needs_summary: str = "",
    risk_summary: str = "",
    interpreter_language: str = "",
    availability: str = "",
    access_needs: str = "",
) -> Referral:
    """Refer the person to a partner's service, usually to deliver a condition. The agency's inbox
    is told; the referral discloses the minimum the agency needs, and the disclosure is audited."""
    if not actor.has_role(*POLICE_ROLES):
        raise CaseError("Only police staff make referrals.")
    case = (
        Case.objects.select_for_update()
        .select_related("person")
        .filter(pk=case_id, force_id=actor.organisation_id)
        .first()
    )
    if case is None:
        raise CaseError("That case does not exist.")
    errors = {}
    if case.status not in REFERRABLE_CASE_STATUSES:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot make referrals.")
    if not service.is_active or service.organisation.kind != OrganisationKind.PARTNER_AGENCY:
        errors["service"] = "Choose an active service from the directory."
    if condition is not None:
        if condition.case_id != case.pk or condition.status not in LIVE_CONDITION_STATUSES:
            errors["condition"] = "Choose a condition on this case that is still to be met."
        elif (
            condition.responsible_organisation.kind == OrganisationKind.PARTNER_AGENCY
            and condition.responsible_organisation_id != service.organisation_id
        ):
            errors["service"] = (
                f"This condition is delivered by {condition.responsible_organisation}: "
                "choose one of its services."
            )
        elif due_date and due_date > condition.due_date:
            errors["due_date"] = (
                f"The referral must be completed by the condition's due date, {condition.due_date:%-d %B %Y}."
            )
    if not reason.strip():
        errors["reason"] = "Say why the person is referred."
    outcomes = [o.strip() for o in desired_outcomes if o.strip()]
    if not outcomes:
        errors["desired_outcomes"] = "Give at least one outcome the referral should achieve."
    if due_date is None:
        errors["due_date"] = "Enter the date the work should be finished by."
    elif due_date < timezone.localdate():
        errors["due_date"] = "The due date must be today or later."
    from assessments.models import Pathway

    if set(needs) - set(Pathway.values):
        errors["needs"] = "Choose needs from the list."
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        case=case,
        condition=condition,
        service=service,
        organisation=service.organisation,
        reason=reason.strip(),
        needs=list(needs),
        needs_summary=needs_summary.strip(),
        risk_summary=risk_summary.strip(),
        due_date=due_date,
        interpreter_language=interpreter_language.strip(),
        availability=availability.strip(),
        access_needs=access_needs.strip(),
        sent_by=actor,
    )
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        raise ValidationError({"condition": "This condition already has an open referral."}) from exc
    DesiredOutcome.objects.bulk_create(
        DesiredOutcome(referral=referral, text=text[:300]) for text in outcomes
    )
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.REFERRAL_SENT,
        summary=f"Referral sent to {service.organisation}",
    )
    audit_record(
        actor=actor,
        action=AuditAction.DISCLOSED,
        obj=referral,
        recipient=str(service.organisation),
        reason="Referral: the person's details, the condition and the relevant needs and risks",
        owner_organisation=case.force,
    )
    notify(
        kind=NotificationKind.REFERRAL_SENT,
        organisations=[service.organisation],
        url=_url(referral),
        case_reference=case.reference,
        context={"service": service.name},
        dedupe_key=f"referral-sent:{referral.pk}",
    )
    return referral


# --- The agency's decision and assignment ----------------------------------------------------------------


def _check_practitioner(referral, practitioner):
    if (
        practitioner is None
        or practitioner.organisation_id != referral.organisation_id
        or not practitioner.is_active
        or not practitioner.has_role(Role.PARTNER_PRACTITIONER, Role.PARTNER_MANAGER)
    ):
        raise ValidationError({"practitioner": "Choose an active practitioner in your agency."})


def _assign(referral, case, *, actor, practitioner, reason=""):
    previous = referral.practitioner
    referral.practitioner = practitioner
    referral.save(update_fields=["practitioner"])
    Assignment.objects.create(referral=referral, practitioner=practitioner, assigned_by=actor, reason=reason)
    summary = f"Assigned to {practitioner}" + (f" (was {previous})" if previous else "")
    _event(case, referral, actor=actor, code=EventCode.REFERRAL_ASSIGNED, summary=summary, notes=reason)
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=referral,
        changes={"practitioner": [previous.email if previous else None, practitioner.email]},
        reason=summary,
        owner_organisation=case.force,
    )
    notify(
        kind=NotificationKind.REFERRAL_ASSIGNED,
        users=[practitioner],
        url=_url(referral),
        case_reference=case.reference,
        context={"service": referral.service.name},
    )


@transaction.atomic
def referral_accept(*, referral_id, actor, practitioner: User) -> Referral:
    case, referral = _lock(referral_id, actor, police=False)
    if referral.status == ReferralStatus.ACCEPTED and referral.practitioner_id == getattr(
        practitioner, "pk", None
    ):
        return referral
    _check_practitioner(referral, practitioner)
    referral.accepted_by, referral.accepted_at = actor, timezone.now()
    _move(
        referral,
        case,
        to=ReferralStatus.ACCEPTED,
        actor=actor,
        code=EventCode.REFERRAL_ACCEPTED,
        summary=f"Referral accepted by {referral.organisation}",
        fields=["accepted_by", "accepted_at"],
    )
    _assign(referral, case, actor=actor, practitioner=practitioner)
    return referral


@transaction.atomic
def referral_decline(*, referral_id, actor, reason: str, notes: str) -> Referral:
    case, referral = _lock(referral_id, actor, police=False)
    if referral.status == ReferralStatus.DECLINED:
        return referral
    errors = {}
    if reason not in DeclineReason.values:
        errors["reason"] = "Choose the reason for declining."
    if not notes.strip():
        errors["notes"] = "Explain the decision so the case worker can find another service."
    if errors:
        raise ValidationError(errors)
    referral.decline_reason, referral.closing_notes, referral.closed_at = (
        reason,
        notes.strip(),
        timezone.now(),
    )
    _move(
        referral,
        case,
        to=ReferralStatus.DECLINED,
        actor=actor,
        code=EventCode.REFERRAL_DECLINED,
        summary=f"Referral declined by {referral.organisation}: {DeclineReason(reason).label.lower()}",
        notes=notes,
        fields=["decline_reason", "closing_notes", "closed_at"],
    )
    _notify_case_worker(case, referral, NotificationKind.REFERRAL_DECLINED)
    return referral


@transaction.atomic
def referral_assign(*, referral_id, actor, practitioner: User, reason: str = "") -> Referral:
    case, referral = _lock(referral_id, actor, police=False)
    if not actor.has_role(Role.PARTNER_MANAGER):
        raise CaseError("Only the agency's managers assign referrals.")
    if referral.practitioner_id == getattr(practitioner, "pk", None):
        return referral
    if referral.status not in WORKING_STATUSES:
        raise CaseError("Only an accepted referral still being worked can be reassigned.")
    _check_practitioner(referral, practitioner)
    _assign(referral, case, actor=actor, practitioner=practitioner, reason=reason.strip())
    return referral


@transaction.atomic
def referral_withdraw(*, referral_id, actor, reason: str, notes: str = "") -> Referral:
    case, referral = _lock(referral_id, actor, partner=False)
    if referral.status == ReferralStatus.WITHDRAWN:
        return referral
    if reason not in WithdrawReason.values:
        raise ValidationError({"reason": "Choose the reason for withdrawing the referral."})
    referral.withdraw_reason, referral.closing_notes, referral.closed_at = (
        reason,
        notes.strip(),
        timezone.now(),
    )
    _move(
        referral,
        case,
        to=ReferralStatus.WITHDRAWN,
        actor=actor,
        code=EventCode.REFERRAL_WITHDRAWN,
        summary=f"Referral withdrawn: {WithdrawReason(reason).label.lower()}",
        notes=notes,
        fields=["withdraw_reason", "closing_notes", "closed_at"],
    )
    notify(
        kind=NotificationKind.REFERRAL_WITHDRAWN,
        organisations=[referral.organisation],
        url=_url(referral),
        case_reference=case.reference,
        context={"service": referral.service.name},
    )
    return referral


# --- Appointments ------------------------------------------------------------------------------------


def _working(referral):
    if referral.status not in WORKING_STATUSES:
        raise CaseError("Appointments are recorded on accepted referrals still being worked.")


def _check_slot(starts_at: datetime, duration: int):
    errors = {}
    if starts_at is None:
        errors["starts_at"] = "Enter the date and time."
    if not 5 <= (duration or 0) <= 480:
        errors["duration_minutes"] = "Enter a length between 5 and 480 minutes."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def appointment_book(
    *,
    referral_id,
    actor,
    starts_at: datetime,
    duration_minutes: int,
    format: str,
    setting: str,
    location: str = "",
) -> Appointment:
    case, referral = _lock(referral_id, actor, police=False)
    _working(referral)
    _check_slot(starts_at, duration_minutes)
    appointment = Appointment.objects.create(
        referral=referral,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        format=format,
        setting=setting,
        location=location.strip(),
        created_by=actor,
    )
    local = timezone.localtime(starts_at)
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.APPOINTMENT_BOOKED,
        summary=(
            f"Appointment booked for {local:%-d %B %Y at %H:%M}, {appointment.get_format_display().lower()}"
        ),
        appointment=appointment.pk,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=referral,
        reason=f"Appointment booked ({appointment.pk})",
        owner_organisation=case.force,
    )
    return appointment


@transaction.atomic
def session_record(
    *,
    referral_id,
    actor,
    starts_at: datetime,
    duration_minutes: int,
    format: str,
    setting: str,
    location: str = "",
    **outcome,
) -> Appointment:
    """A session that has already happened, entered in one go: the appointment and its outcome, in
    one transaction (either both are saved or neither). Sent again (a double click, a retry), it finds
    the appointment it made at that time instead of making a second one."""
    if starts_at > timezone.now():
        raise ValidationError({"on": "A session that has not happened yet is booked, not recorded."})
    _lock(referral_id, actor, police=False)  # held until the outcome is recorded
    earlier = (
        Appointment.objects.filter(referral_id=referral_id, starts_at=starts_at, rescheduled_to__isnull=True)
        .order_by("id")
        .first()
    )
    if earlier is None:
        earlier = appointment_book(
            referral_id=referral_id,
            actor=actor,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            format=format,
            setting=setting,
            location=location,
        )
    # Already recorded the same way: returned as it is; another way: refused ("already recorded").
    return appointment_record_outcome(appointment_id=earlier.pk, actor=actor, **outcome)


def _lock_appointment(appointment_id, actor):
    referral_id = Appointment.objects.filter(pk=appointment_id).values_list("referral_id", flat=True).first()
    if referral_id is None:
        raise CaseError("That appointment does not exist.")
    case, referral = _lock(referral_id, actor, police=False)
    return case, referral, Appointment.objects.select_for_update().get(pk=appointment_id)


@transaction.atomic
def appointment_reschedule(
    *, appointment_id, actor, starts_at: datetime, requested_by: str, reason: str
) -> Appointment:
    """Move an appointment: the old one is kept, marked with who asked and why, and a new one made."""
    case, referral, old = _lock_appointment(appointment_id, actor)
    _working(referral)
    if old.rescheduled_to_id:
        return old.rescheduled_to
    if old.attendance:
        raise CaseError("An appointment with an outcome cannot be rescheduled; book a new one.")
    errors = {}
    if not requested_by:
        errors["requested_by"] = "Say who asked for the change."
    if not reason.strip():
        errors["reason"] = "Say why the appointment is moved."
    if errors:
        raise ValidationError(errors)
    _check_slot(starts_at, old.duration_minutes)
    new = Appointment.objects.create(
        referral=referral,
        starts_at=starts_at,
        duration_minutes=old.duration_minutes,
        format=old.format,
        setting=old.setting,
        location=old.location,
        created_by=actor,
    )
    old.rescheduled_to, old.reschedule_requested_by, old.reschedule_reason = new, requested_by, reason.strip()
    old.save(update_fields=["rescheduled_to", "reschedule_requested_by", "reschedule_reason"])
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.APPOINTMENT_RESCHEDULED,
        summary=(
            f"Appointment of {timezone.localtime(old.starts_at):%-d %B} moved to "
            f"{timezone.localtime(starts_at):%-d %B %Y at %H:%M} "
            f"at the request of {old.get_reschedule_requested_by_display().lower()}"
        ),
        notes=reason,
        appointment=new.pk,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=referral,
        changes={"appointment": [old.starts_at.isoformat(), starts_at.isoformat()]},
        reason=(
            f"Appointment rescheduled at the request of {old.get_reschedule_requested_by_display().lower()}"
        ),
        owner_organisation=case.force,
    )
    return new


@transaction.atomic
def appointment_record_outcome(
    *,
    appointment_id,
    actor,
    attendance: str,
    late_reason: str = "",
    non_attendance: str = "",
    non_attendance_notes: str = "",
    summary: str = "",
    engagement: str = "",
    behaviour: str = "",
    concerns: str = "",
    alert_case_worker: bool = False,
) -> Appointment:
    """Record what happened. A first attended session starts the work; a missed session and any
    concern flagged for the case worker notify them."""
    case, referral, appointment = _lock_appointment(appointment_id, actor)
    _working(referral)
    if attendance and appointment.attendance == attendance:
        return appointment
    if appointment.is_rescheduled:
        raise CaseError("This appointment was rescheduled; record the outcome on the new one.")
    if appointment.starts_at > timezone.now():
        raise CaseError("An outcome is recorded once the appointment has happened.")
    if appointment.attendance:
        raise CaseError("The outcome of this appointment is already recorded.")
    attended = attendance in {Attendance.ATTENDED, Attendance.LATE}
    errors = {}
    if attendance not in Attendance.values:
        errors["attendance"] = "Choose whether the person attended."
    if attendance == Attendance.LATE and not late_reason.strip():
        errors["late_reason"] = "Give the reason the person was late."
    if not attended and not non_attendance:
        errors["non_attendance"] = (
            "Say whether the reason it did not happen was acceptable, unacceptable or logistical."
        )
    if attended and not summary.strip():
        errors["summary"] = "Summarise the session."
    if alert_case_worker and not concerns.strip():
        errors["concerns"] = "Describe the concern the case worker should know about."
    if errors:
        raise ValidationError(errors)
    appointment.attendance = attendance
    appointment.late_reason = late_reason.strip() if attendance == Attendance.LATE else ""
    appointment.non_attendance = "" if attended else non_attendance
    appointment.non_attendance_notes = "" if attended else non_attendance_notes.strip()
    appointment.summary, appointment.engagement = summary.strip(), engagement if attended else ""
    appointment.behaviour, appointment.concerns = behaviour.strip(), concerns.strip()
    appointment.alert_case_worker = alert_case_worker
    appointment.outcome_recorded_by, appointment.outcome_recorded_at = actor, timezone.now()
    appointment.save()
    when = f"{timezone.localtime(appointment.starts_at):%-d %B %Y}"
    label = Attendance(attendance).label
    if not attended:
        label += f": {appointment.get_non_attendance_display().lower()}"
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.APPOINTMENT_OUTCOME,
        summary=f"Appointment of {when}: {label}",
        notes=appointment.summary or appointment.non_attendance_notes,
        appointment=appointment.pk,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=referral,
        changes={"attendance": ["", attendance]},
        reason=f"Appointment outcome recorded ({appointment.pk})",
        owner_organisation=case.force,
    )
    if attended and referral.status == ReferralStatus.ACCEPTED:
        referral.first_contact_at = appointment.starts_at
        _move(
            referral,
            case,
            to=ReferralStatus.IN_PROGRESS,
            actor=actor,
            code=EventCode.REFERRAL_STARTED,
            summary="Work started: first session attended",
            fields=["first_contact_at"],
        )
    if attendance == Attendance.DID_NOT_ATTEND:
        _notify_case_worker(
            case, referral, NotificationKind.DID_NOT_ATTEND, reason=appointment.get_non_attendance_display()
        )
    if alert_case_worker:
        _notify_case_worker(case, referral, NotificationKind.CONCERN_RAISED)
    return appointment


# --- Notes, evidence and the end-of-intervention report -----------------------------------------------


@transaction.atomic
def referral_note_add(*, referral_id, actor, text: str) -> ReferralNote:
    case, referral = _lock(referral_id, actor)
    if not text.strip():
        raise ValidationError({"text": "Write the note."})
    note = ReferralNote.objects.create(
        referral=referral, author=actor, organisation_id=actor.organisation_id, text=text.strip()
    )
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.REFERRAL_NOTE,
        summary="Note on the referral",
        notes=note.text,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=referral,
        reason="Note added",
        owner_organisation=case.force,
    )
    return note


SIGNATURES = {
    b"%PDF-": ("application/pdf", {".pdf"}),
    b"\x89PNG\r\n\x1a\n": ("image/png", {".png"}),
    b"\xff\xd8\xff": ("image/jpeg", {".jpg", ".jpeg"}),
}


def sniff_evidence(upload) -> str:
    """The content type of an allowed document, judged by its first bytes and its name, never by what
    the browser claims; a PDF with active content (JavaScript, launch actions, attached files) is
    refused (``pdf_safety``). Raises ValidationError with a message for the person."""
    import os

    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": (
                    f"The file is {upload.size / 1048576:.1f} MB: "
                    f"the largest allowed is {limit // 1048576} MB."
                )
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    extension = os.path.splitext(upload.name or "")[1].lower()
    for magic, (content_type, extensions) in SIGNATURES.items():
        if head.startswith(magic):
            if extension not in extensions:
                raise ValidationError(
                    {"file": "The file's name does not match what it contains. Upload a PDF, PNG or JPEG."}
                )
            if content_type == "application/pdf" and (refusal := pdf_refusal(upload)):
                raise ValidationError({"file": refusal})
            return content_type
    raise ValidationError({"file": "The file must be a PDF, PNG or JPEG."})


@transaction.atomic
def evidence_upload(*, referral_id, actor, upload, kind: str, description: str = "") -> Evidence:
    case, referral = _lock(referral_id, actor)
    content_type = sniff_evidence(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    evidence = Evidence(
        referral=referral,
        kind=kind,
        original_name=(upload.name or "document")[-200:],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        description=description.strip(),
        uploaded_by=actor,
    )
    evidence.file.save("upload", upload, save=False)
    name = evidence.file.name
    storage = evidence.file.storage
    try:
        evidence.save()
    except Exception:
        storage.delete(name)
        raise
    _event(
        case,
        referral,
        actor=actor,
        code=EventCode.EVIDENCE_UPLOADED,
        summary=f"{evidence.get_kind_display()} uploaded",
        notes=evidence.description,
        evidence=evidence.pk,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=evidence,
        reason="Evidence uploaded",
        owner_organisation=case.force,
    )
    return evidence


@transaction.atomic
def referral_report_submit(*, referral_id, actor, result: str, summary: str, outcomes: dict) -> EndReport:
    """The end-of-intervention report: each desired outcome rated, and the overall result, which moves
    the linked condition to complete or failed through the conditions service (a failure then
    follows the breach path)."""
    from conditions.services import condition_progress

    case, referral = _lock(referral_id, actor, police=False)
    existing = EndReport.objects.filter(referral=referral).first()
    if existing is not None:
        if existing.result == result:
            return existing
        raise CaseError("The end-of-intervention report was already submitted.")
    _working(referral)
    if referral.condition_id and case.status not in {CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW}:
        raise CaseError(
            "The caution has not been given (or is no longer in force), so the condition this referral "
            "delivers cannot be completed or failed yet. Add a note instead, and report once it is."
        )
    rows = {o.pk: o for o in referral.outcomes.select_for_update()}
    errors = {}
    if result not in EndReport.Result.values:
        errors["result"] = "Choose the overall result."
    if not summary.strip():
        errors["summary"] = "Summarise the intervention."
    if set(rows) - set(outcomes) or any(r not in DesiredOutcome.Result.values for r, _ in outcomes.values()):
        errors["__all__"] = "Rate every desired outcome."
    if errors:
        raise ValidationError(errors)
    for pk, outcome in rows.items():
        outcome.result, outcome.comment = outcomes[pk][0], outcomes[pk][1].strip()
    DesiredOutcome.objects.bulk_update(rows.values(), ["result", "comment"])
    report = EndReport.objects.create(
        referral=referral, result=result, summary=summary.strip(), submitted_by=actor
    )
    referral.closed_at = timezone.now()
    completed = result == EndReport.Result.COMPLETED
    _move(
        referral,
        case,
        to=ReferralStatus.COMPLETED if completed else ReferralStatus.NOT_COMPLETED,
        actor=actor,
        code=EventCode.REFERRAL_REPORT,
        summary=f"End-of-intervention report: {EndReport.Result(result).label.split(':')[0].lower()}",
        notes=report.summary,
        fields=["closed_at"],
    )
    _notify_case_worker(case, referral, NotificationKind.REPORT_SUBMITTED, result=report.get_result_display())
    condition = referral.condition
    if (
        condition is not None
        and condition.status in LIVE_CONDITION_STATUSES
        and case.status in {CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW}
    ):
        condition_progress(
            condition_id=condition.pk,
            actor=actor,
            to=ConditionStatus.COMPLETE if completed else ConditionStatus.FAILED,
            notes=f"End-of-intervention report from {referral.organisation}: {report.summary}",
        )
    return report


# --- Following the conditions --------------------------------------------------------------------------


def referrals_follow_variation(case, *, old, new, actor) -> int:
    """A condition varied to a new due date: its open referrals now deliver the new condition, due
    by the new date, so the partner's report completes the condition in force. The case is locked."""
    moved = 0
    for referral in (
        Referral.objects.select_for_update()
        .filter(
            condition=old,
            status__in=[ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS],
        )
        .select_related("service", "organisation")
    ):
        referral.condition, referral.due_date = new, new.due_date
        referral.save(update_fields=["condition", "due_date"])
        _event(
            case,
            referral,
            actor=actor,
            code=EventCode.REFERRAL_CHANGED,
            summary=f"Referral now due by {new.due_date:%-d %B %Y}, following the varied condition",
        )
        notify(
            kind=NotificationKind.REFERRAL_SENT,
            organisations=[referral.organisation],
            url=_url(referral),
            case_reference=case.reference,
            context={"service": referral.service.name},
            dedupe_key=f"referral-varied:{referral.pk}:{new.pk}",
        )
        moved += 1
    return moved


def referrals_withdraw_for(case, *, reason: str, notes: str = "", conditions=None) -> int:
    """Withdraw, on the system's authority, the open referrals of a case (or of some of its
    conditions) that no longer have anything to deliver; each agency is told. The case is locked."""
    referrals = Referral.objects.select_for_update().filter(
        case=case, status__in=[ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS]
    )
    if conditions is not None:
        referrals = referrals.filter(condition__in=conditions)
    count = 0
    for referral in referrals.select_related("service", "organisation"):
        referral.withdraw_reason, referral.closing_notes, referral.closed_at = reason, notes, timezone.now()
        _move(
            referral,
            case,
            to=ReferralStatus.WITHDRAWN,
            system=True,
            code=EventCode.REFERRAL_WITHDRAWN,
            summary=f"Referral withdrawn: {WithdrawReason(reason).label.lower()}",
            notes=notes,
            fields=["withdraw_reason", "closing_notes", "closed_at"],
        )
        notify(
            kind=NotificationKind.REFERRAL_WITHDRAWN,
            organisations=[referral.organisation],
            url=_url(referral),
            case_reference=case.reference,
            context={"service": referral.service.name},
        )
        count += 1
    return count

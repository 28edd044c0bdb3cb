"""Every write to conditions, the caution, variations, breach reviews and the prosecution.

Each service opens a transaction, locks the case row first (then the row it changes), checks the
declared status tables and the actor's role, writes the timeline event and the audit row, and is a
no-op when asked for the state the record is already in, so double submits and retried jobs are harmless.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus, DecisionOutcome
from cases.rules import case_time_limit
from cases.services import CaseError, case_event_record, case_lock, case_transition
from cases.workflow import TransitionNotAllowed
from offenderhub.accounts.models import Organisation, OrganisationKind, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record, field_changes

from .document_store import caution_document_attach, removed_on_error
from .documents import caution_document_pdf
from .models import (
    BINDING_CONDITION_STATUSES,
    LIVE_CONDITION_STATUSES,
    OPEN_BREACH_STATUSES,
    AmountKind,
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionRecord,
    ConditionStatus,
    PeriodExtension,
    Prosecution,
    ProsecutionOutcome,
    Variation,
    VariationKind,
    VariationStatus,
)
from .rules import case_caps, case_period, condition_terms_errors
from .workflow import check_breach_transition, check_condition_transition

TERMS = ["kind", "wording", "due_date", "responsible_organisation", "owner", "hours", "amount_kind", "amount"]
BEFORE_CAUTION = frozenset({CaseStatus.ASSESSMENT})
UNDER_CAUTION = frozenset({CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW})
# A supervisor may approve a longer completion period from assessment until the caution ends.
EXTENDABLE = BEFORE_CAUTION | {CaseStatus.CONDITIONS_AGREED} | UNDER_CAUTION
FINAL_PROSECUTION_OUTCOMES = frozenset(
    {
        ProsecutionOutcome.CONVICTED,
        ProsecutionOutcome.ACQUITTED,
        ProsecutionOutcome.DISCONTINUED,
        ProsecutionOutcome.OUT_OF_TIME,
    }
)


def _require(actor, *roles, message):
    if actor is None or not actor.has_role(*roles):
        raise CaseError(message)


def _police(actor):
    _require(
        actor, Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR, message="Only police staff do that."
    )


def _lock_condition(condition_id, case) -> Condition:
    try:
        return Condition.objects.select_for_update().get(pk=condition_id, case=case)
    except Condition.DoesNotExist as exc:
        raise CaseError("That condition does not exist.") from exc


def _case_of(model, pk, actor):
    """Lock the case a record belongs to, scoped to the actor's force (another force: not found)."""
    case_id = model.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise CaseError("That record does not exist.")
    return case_lock(case_id, force_id=actor.organisation_id)


def _terms_check(case, *, terms: dict, excluding=(), period=None):
    offences = list(case.offences.select_related("offence"))
    others = [c for c in case.conditions.all() if c.pk not in excluding]
    caution = Caution.objects.filter(case=case).first()
    period = period or case_period(case, caution=caution, extension=_extension(case))
    errors = condition_terms_errors(
        caps=case_caps(case, offences),
        period=period,
        others=others,
        kind=terms["kind"],
        due_date=terms["due_date"],
        hours=terms.get("hours"),
        amount_kind=terms.get("amount_kind", ""),
        amount=terms.get("amount"),
    )
    organisation = terms["responsible_organisation"]
    if (
        organisation.kind == OrganisationKind.POLICE_FORCE
        and organisation.pk != case.force_id
        or organisation.kind == OrganisationKind.COMMISSIONER_OFFICE
    ):
        errors["responsible_organisation"] = "Choose your force or a partner agency."
    owner = terms.get("owner")
    if owner is not None and owner.organisation_id != organisation.pk:
        errors["owner"] = f"The owner must work for {organisation}."
    if not terms["wording"].strip():
        errors["wording"] = "Write the condition so the person knows exactly what to do and by when."
    if errors:
        raise ValidationError(errors)


def _extension(case):
    return PeriodExtension.objects.filter(case=case).first()


def _clean_terms(terms: dict) -> dict:
    terms = {key: terms.get(key) for key in TERMS}
    terms["wording"] = (terms["wording"] or "").strip()
    terms["amount_kind"] = terms["amount_kind"] or AmountKind.NONE
    if not terms["amount_kind"]:
        terms["amount"] = terms["amount"] or None
    return terms


# --- Conditions before the caution ------------------------------------------------------------------


@transaction.atomic
def condition_add(*, case_id, actor, template=None, needs_referral=False, **terms) -> Condition:
    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status not in BEFORE_CAUTION:
        raise CaseError(
            "Conditions are set while the case is at assessment. After the caution, propose a variation."
        )
    terms = _clean_terms(terms)
    _terms_check(case, terms=terms)
    condition = Condition.objects.create(
        case=case, template=template, needs_referral=needs_referral, created_by=actor, **terms
    )
    case_event_record(
        case,
        code=EventCode.CONDITION_ADDED,
        actor=actor,
        summary=(
            f"Condition added: {condition.get_kind_display().lower()}, due {condition.due_date:%-d %B %Y}"
        ),
        notes=condition.wording,
        details={"condition": condition.pk},
    )
    audit_record(actor=actor, action=AuditAction.CREATED, obj=condition, reason="Condition added")
    return condition


@transaction.atomic
def condition_update(*, condition_id, actor, needs_referral=False, **terms) -> Condition:
    _police(actor)
    case = _case_of(Condition, condition_id, actor)
    if case.status not in BEFORE_CAUTION:
        raise CaseError("Conditions can be changed only while the case is at assessment.")
    condition = _lock_condition(condition_id, case)
    terms = _clean_terms(terms)
    _terms_check(case, terms=terms, excluding={condition.pk})
    before = {key: getattr(condition, key) for key in TERMS}
    for key, value in terms.items():
        setattr(condition, key, value)
    condition.needs_referral = needs_referral
    changes = field_changes(before, terms, free_text={"wording"})
    if not changes:
        return condition
    condition.save()
    case_event_record(
        case,
        code=EventCode.CONDITION_CHANGED,
        actor=actor,
        notes=condition.wording,
        details={"condition": condition.pk, "fields": sorted(changes)},
    )
    audit_record(
        actor=actor, action=AuditAction.CHANGED, obj=condition, changes=changes, reason="Condition changed"
    )
    return condition


@transaction.atomic
def condition_remove(*, condition_id, actor) -> None:
    """A draft condition removed before the conditions are agreed. The timeline keeps its wording."""
    _police(actor)
    case = _case_of(Condition, condition_id, actor)
    if case.status not in BEFORE_CAUTION:
        raise CaseError("Conditions can be removed only while the case is at assessment.")
    condition = _lock_condition(condition_id, case)
    case_event_record(
        case,
        code=EventCode.CONDITION_REMOVED,
        actor=actor,
        notes=condition.wording,
        details={"condition": condition.pk},
    )
    audit_record(actor=actor, action=AuditAction.DELETED, obj=condition, reason="Draft condition removed")
    condition.delete()


@transaction.atomic
def conditions_agree(*, case_id, actor, notes="") -> None:
    """The conditions are agreed with the person: ready for the caution. Needs a completed assessment,
    at least one condition, and every condition within the limits."""
    from assessments.models import AssessmentKind, AssessmentStatus

    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status == CaseStatus.CONDITIONS_AGREED:
        return
    if case.status != CaseStatus.ASSESSMENT:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot have its conditions agreed.")
    if not case.assessments.filter(kind=AssessmentKind.INITIAL, status=AssessmentStatus.COMPLETED).exists():
        raise CaseError("Complete the needs assessment before agreeing the conditions.")
    conditions = list(case.conditions.filter(status__in=BINDING_CONDITION_STATUSES))
    if not conditions:
        raise CaseError("Add at least one condition before agreeing them.")
    problems = []
    for condition in conditions:
        terms = {key: getattr(condition, key) for key in TERMS}
        try:
            _terms_check(case, terms=terms, excluding={condition.pk})
        except ValidationError as exc:
            problems += [f"{condition.wording[:50]}: {m}" for ms in exc.message_dict.values() for m in ms]
    if problems:
        raise CaseError("Some conditions are outside the limits. " + " ".join(problems))
    case_transition(
        case,
        to=CaseStatus.CONDITIONS_AGREED,
        actor=actor,
        code=EventCode.CONDITIONS_AGREED,
        summary=f"{len(conditions)} condition{'s' if len(conditions) != 1 else ''} agreed",
        notes=notes,
    )


@transaction.atomic
def conditions_reopen(*, case_id, actor, reason: str) -> None:
    _police(actor)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the conditions need changing."})
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status == CaseStatus.ASSESSMENT:
        return
    case_transition(
        case, to=CaseStatus.ASSESSMENT, actor=actor, code=EventCode.CONDITIONS_REOPENED, notes=reason
    )


@transaction.atomic
def period_extend(*, case_id, actor, days: int, reason: str) -> PeriodExtension:
    """A supervisor approves a completion period longer than the scheme's default, never past its maximum."""
    _require(actor, Role.SUPERVISOR, message="Only a supervisor can approve a longer completion period.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    scheme = case.scheme
    errors = {}
    if not reason.strip():
        errors["reason"] = "Give the exceptional reason for a longer period."
    if not scheme.compliance_period_default_days < days <= scheme.compliance_period_max_days:
        errors["days"] = (
            "Choose a period longer than the scheme's default of "
            f"{scheme.compliance_period_default_days} days "
            f"and no longer than its maximum of {scheme.compliance_period_max_days} days."
        )
    if case.status not in EXTENDABLE:
        errors["__all__"] = f"A case that is “{case.get_status_display()}” has no period to extend."
    if errors:
        raise ValidationError(errors)
    extension = _extension(case)
    if extension is not None:
        before = {"days": extension.days, "reason": extension.reason}
        if extension.days > days:
            caution = Caution.objects.filter(case=case).first()
            period = case_period(case, caution=caution)
            latest = period.start + timedelta(days=days)
            late = case.conditions.filter(status__in=BINDING_CONDITION_STATUSES, due_date__gt=latest)
            if late.exists():
                raise ValidationError(
                    {"days": "Some conditions are due after that shorter period. Change them first."}
                )
        extension.days, extension.reason, extension.approved_by = days, reason, actor
        extension.approved_at = timezone.now()
        extension.save()
        changes = field_changes(before, {"days": days, "reason": reason}, free_text={"reason"})
    else:
        extension = PeriodExtension.objects.create(case=case, days=days, reason=reason, approved_by=actor)
        changes = {"days": [None, days]}
    caution = Caution.objects.filter(case=case).first()
    if caution is not None and caution.ceased_on is None:
        Caution.objects.filter(pk=caution.pk).update(
            period_ends_on=caution.administered_on + timedelta(days=days)
        )
    case_event_record(
        case,
        code=EventCode.PERIOD_EXTENDED,
        actor=actor,
        summary=f"Completion period of {days} days approved",
        notes=reason,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=case,
        changes=changes,
        reason="Completion period extended",
    )
    return extension


# --- The caution --------------------------------------------------------------------------------------


STATUTORY_REQUIREMENTS = {
    "effect_explained": "The caution cannot be given until its effect has been explained.",
    "warning_given": (
        "The caution cannot be given without the warning that failing a condition may lead to prosecution."
    ),
    "consented": "The caution cannot be given without the person's consent to it and its conditions.",
    "signed": "The caution cannot be given until the person has signed the document.",
}


@transaction.atomic
def caution_administer(
    *,
    case_id,
    actor,
    administered_on: date,
    place: str,
    admission_words: str,
    effect_explained: bool,
    warning_given: bool,
    consented: bool,
    signed: bool,
    interpreter: str = "",
    appropriate_adult: str = "",
    submission_token=None,
) -> Caution:
    """Give the caution: record the five statutory requirements, generate the signed document, start
    the clock and make the case active."""
    _require(actor, Role.DECISION_MAKER, message="Only decision-makers administer the caution.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    existing = Caution.objects.filter(case=case).first()
    if existing is not None:
        if submission_token is not None and existing.submission_token == submission_token:
            return existing
        raise CaseError("The caution on this case has already been administered.")
    if case.status != CaseStatus.CONDITIONS_AGREED:
        raise CaseError(
            f"A case that is “{case.get_status_display()}” cannot be cautioned: agree the conditions first."
        )
    decision = case.decisions.filter(superseded_by__isnull=True).order_by("-decided_at", "-id").first()
    if decision is None or decision.outcome != DecisionOutcome.ELIGIBLE:
        raise CaseError("The current eligibility decision is not “eligible”: the caution cannot be given.")
    today = timezone.localdate()
    errors = {
        field: message
        for field, message in STATUTORY_REQUIREMENTS.items()
        if not {
            "effect_explained": effect_explained,
            "warning_given": warning_given,
            "consented": consented,
            "signed": signed,
        }[field]
    }
    if not admission_words.strip():
        errors["admission_words"] = "Record the person's admission of the offence."
    if not place.strip():
        errors["place"] = "Enter where the caution was given."
    if administered_on > today:
        errors["administered_on"] = "The caution date cannot be in the future."
    elif administered_on < decision.decision_date:
        errors["administered_on"] = (
            "The caution date cannot be before the eligibility decision "
            f"({decision.decision_date:%-d %B %Y})."
        )
    offences = list(case.offences.select_related("offence"))
    time_limit = case_time_limit(case, offences, start=administered_on)
    if time_limit and administered_on >= time_limit.latest_proceedings_date:
        errors["administered_on"] = (
            f"Proceedings for {time_limit.offence_name.lower()} had to start by "
            f"{time_limit.latest_proceedings_date:%-d %B %Y}: a breach could no longer be prosecuted, so the "
            "caution cannot be given."
        )
    if errors:
        raise ValidationError(errors)

    period = case_period(case, extension=_extension(case), today=administered_on)
    conditions = list(
        case.conditions.filter(status__in=BINDING_CONDITION_STATUSES).select_related(
            "responsible_organisation"
        )
    )
    late = [c for c in conditions if period.due_date_error(c.due_date)]
    if late:
        raise ValidationError(
            {
                "administered_on": (
                    f"From this caution date, {len(late)} condition{'s are' if len(late) > 1 else ' is'} "
                    f"outside the completion period: {period.due_date_error(late[0].due_date)} "
                    "Reopen the conditions to change them."
                )
            }
        )
    caution = Caution(
        case=case,
        administered_on=administered_on,
        administered_by=actor,
        place=place.strip(),
        admission_words=admission_words.strip(),
        effect_explained=True,
        warning_given=True,
        consented=True,
        signed=True,
        interpreter=interpreter.strip(),
        appropriate_adult=appropriate_adult.strip(),
        period_ends_on=period.allowed_end,
        submission_token=submission_token,
    )
    document = caution_document_pdf(case=case, caution=caution, offences=offences, conditions=conditions)
    # The file first, then the row: a saved caution always has its document. If anything below fails
    # the row is rolled back and the file removed (conditions/document_store.py).
    caution_document_attach(caution, document)
    with removed_on_error(caution):
        try:
            with transaction.atomic():
                caution.save()
        except IntegrityError as exc:
            raise CaseError("The caution on this case has already been administered.") from exc
        case_transition(
            case,
            to=CaseStatus.ACTIVE,
            actor=actor,
            code=EventCode.CAUTION_ADMINISTERED,
            summary=(
                f"Caution administered on {administered_on:%-d %B %Y}; "
                f"the period ends {period.allowed_end:%-d %B %Y}"
            ),
            details={"caution": caution.pk, "document_sha256": caution.document_sha256},
        )
        audit_record(
            actor=actor, action=AuditAction.CREATED, obj=caution, reason="Caution administered and signed"
        )
    return caution


# --- Compliance ---------------------------------------------------------------------------------------


def _condition_check_actor(condition, case, actor):
    """Police of the case's force, or a partner agency responsible for the condition or holding a
    referral to deliver it."""
    from referrals.models import Referral

    if actor.organisation_id == case.force_id and actor.has_role(
        Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR
    ):
        return
    if actor.has_role(Role.PARTNER_MANAGER, Role.PARTNER_PRACTITIONER) and (
        actor.organisation_id == condition.responsible_organisation_id
        or Referral.objects.filter(condition=condition, organisation_id=actor.organisation_id).exists()
    ):
        return
    raise CaseError("That condition does not exist.")


def _condition_move(condition, case, *, to, actor=None, system=False, code, notes="", on=None):
    before = condition.status
    try:
        check_condition_transition(before, to, actor=actor, system=system)
    except TransitionNotAllowed as exc:
        raise CaseError(str(exc)) from exc
    condition.status = to
    fields = ["status", "updated_at"]
    if to in {ConditionStatus.COMPLETE, ConditionStatus.FAILED, ConditionStatus.WITHDRAWN}:
        condition.outcome_on = on or timezone.localdate()
        condition.outcome_notes = notes
        fields += ["outcome_on", "outcome_notes"]
    condition.save(update_fields=fields)
    case_event_record(
        case,
        code=code,
        actor=actor,
        summary=f"{EventCode(code).label}: {condition.wording[:120]}",
        notes=notes,
        details={"condition": condition.pk},
        before=before,
        after=to,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=condition,
        changes={"status": [before, to]},
        reason=EventCode(code).label,
        owner_organisation=case.force,
    )


PROGRESS_CODES = {
    ConditionStatus.IN_PROGRESS: EventCode.CONDITION_STARTED,
    ConditionStatus.COMPLETE: EventCode.CONDITION_COMPLETED,
    ConditionStatus.FAILED: EventCode.CONDITION_FAILED,
    ConditionStatus.WITHDRAWN: EventCode.STATUS_CHANGED,
}


def _lock_condition_for(condition_id, actor):
    """Lock a condition's case then the condition, for police of its force or the partner responsible
    for it; anyone else is told it does not exist."""
    from cases.models import Case

    case_id = Condition.objects.filter(pk=condition_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise CaseError("That condition does not exist.")
    case = Case.objects.select_for_update().select_related("scheme", "person").get(pk=case_id)
    condition = _lock_condition(condition_id, case)
    _condition_check_actor(condition, case, actor)
    return case, condition


@transaction.atomic
def condition_progress(*, condition_id, actor, to: str, notes: str = "", on: date | None = None) -> Condition:
    """Record a condition started, complete, failed or (police only) withdrawn. Failing one opens a
    breach review; completing the last one completes the case, diverted from prosecution."""
    case, condition = _lock_condition_for(condition_id, actor)
    if condition.status == to:
        return condition
    if case.status not in UNDER_CAUTION:
        raise CaseError("Progress is recorded once the caution has been given and while the case is open.")
    today = timezone.localdate()
    on = on or today
    errors = {}
    if on > today:
        errors["on"] = "The date cannot be in the future."
    if to in {ConditionStatus.FAILED, ConditionStatus.WITHDRAWN} and not notes.strip():
        errors["notes"] = "Say what happened."
    if errors:
        raise ValidationError(errors)
    _condition_move(condition, case, to=to, actor=actor, code=PROGRESS_CODES[to], notes=notes, on=on)
    if to == ConditionStatus.WITHDRAWN:
        from referrals.models import WithdrawReason
        from referrals.services import referrals_withdraw_for

        referrals_withdraw_for(
            case, conditions=[condition], reason=WithdrawReason.CONDITION_VARIED, notes=notes
        )
    if to == ConditionStatus.FAILED:
        # A partner's report fails a condition; the review then opens on the system's authority.
        police = actor.organisation_id == case.force_id
        _breach_review_open(
            case,
            actor=actor if police else None,
            system=not police,
            conditions=[condition],
            reason=f"Condition failed: {notes}",
        )
    elif to in {ConditionStatus.COMPLETE, ConditionStatus.WITHDRAWN}:
        _complete_case_if_done(case, actor=actor)
    return condition


def _complete_case_if_done(case, *, actor=None, system=False) -> bool:
    if case.status != CaseStatus.ACTIVE:
        return False
    statuses = set(
        case.conditions.filter(status__in=BINDING_CONDITION_STATUSES).values_list("status", flat=True)
    )
    if statuses != {ConditionStatus.COMPLETE}:
        return False
    # Partners complete conditions too: the case then completes on the system's authority.
    police = actor is not None and actor.organisation_id == case.force_id
    case_transition(
        case,
        to=CaseStatus.COMPLETED,
        actor=actor if police else None,
        system=system or not police,
        code=EventCode.CASE_COMPLETED,
        summary="Every condition complete: the case is completed and diverted from prosecution",
    )
    return True


@transaction.atomic
def condition_record_add(
    *, condition_id, actor, kind: str, text: str, reference: str = ""
) -> ConditionRecord:
    case, condition = _lock_condition_for(condition_id, actor)
    if not text.strip():
        raise ValidationError({"text": "Describe the evidence or write the note."})
    record = ConditionRecord.objects.create(
        condition=condition,
        kind=kind,
        text=text.strip(),
        reference=reference.strip(),
        author=actor,
        author_organisation_id=actor.organisation_id,
    )
    case_event_record(
        case,
        code=EventCode.CONDITION_RECORD,
        actor=actor,
        summary=f"{record.get_kind_display()}: {condition.wording[:100]}",
        notes=record.text,
        details={"condition": condition.pk, "record": record.pk},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=condition,
        reason=f"{record.get_kind_display()} recorded",
        owner_organisation=case.force,
    )
    return record


# --- Variations ---------------------------------------------------------------------------------------


def _variation_check(case, *, kind, condition, new_due_date, terms, reason, person_consented, consented_on):
    errors = {}
    if not reason.strip():
        errors["reason"] = "Give the reason for the variation."
    if not person_consented:
        errors["person_consented"] = "A variation needs the person's consent."
    elif consented_on is None:
        errors["consented_on"] = "Enter the date the person consented."
    elif consented_on > timezone.localdate():
        errors["consented_on"] = "The date of consent cannot be in the future."
    caution = Caution.objects.filter(case=case).first()
    period = case_period(case, caution=caution, extension=_extension(case))
    if kind == VariationKind.NEW_DUE_DATE:
        if condition is None or condition.status not in LIVE_CONDITION_STATUSES | {ConditionStatus.FAILED}:
            errors["__all__"] = (
                "Only a condition still to be met, or one that failed, can be given a new due date."
            )
        elif new_due_date is None:
            errors["new_due_date"] = "Enter the new due date."
        elif new_due_date == condition.due_date:
            errors["new_due_date"] = "The new due date is the same as the current one."
        else:
            message = period.due_date_error(new_due_date)
            if not message and new_due_date < timezone.localdate():
                message = "The new due date must be today or later."
            if message:
                errors["new_due_date"] = message
    else:
        try:
            _terms_check(case, terms=terms, period=period)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def variation_propose(
    *,
    case_id,
    actor,
    variation_kind: str,
    reason: str,
    person_consented: bool,
    consented_on: date | None,
    condition_id=None,
    new_due_date: date | None = None,
    template=None,
    needs_referral=False,
    **terms,
) -> Variation:
    """Propose a new due date or a new condition; a decision-maker approves it (``variation_decide``)."""
    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status not in UNDER_CAUTION:
        raise CaseError("Conditions are varied only while the caution is in force.")
    condition = _lock_condition(condition_id, case) if condition_id else None
    kind = variation_kind
    if kind == VariationKind.NEW_CONDITION:
        terms = _clean_terms(terms)
    _variation_check(
        case,
        kind=kind,
        condition=condition,
        new_due_date=new_due_date,
        terms=terms,
        reason=reason,
        person_consented=person_consented,
        consented_on=consented_on,
    )
    proposed = {}
    if kind == VariationKind.NEW_CONDITION:
        proposed = {
            **{k: v for k, v in terms.items() if k not in {"responsible_organisation", "owner", "due_date"}},
            "responsible_organisation": terms["responsible_organisation"].pk,
            "owner": terms["owner"].pk if terms.get("owner") else None,
            "due_date": terms["due_date"].isoformat(),
            "hours": str(terms["hours"]) if terms.get("hours") is not None else None,
            "amount": str(terms["amount"]) if terms.get("amount") is not None else None,
            "template": template.pk if template else None,
            "needs_referral": needs_referral,
        }
    variation = Variation.objects.create(
        case=case,
        kind=kind,
        condition=condition,
        new_due_date=new_due_date,
        proposed=proposed,
        reason=reason.strip(),
        person_consented=True,
        consented_on=consented_on,
        proposed_by=actor,
    )
    what = (
        f"new due date {new_due_date:%-d %B %Y} for “{condition.wording[:80]}”"
        if kind == VariationKind.NEW_DUE_DATE
        else f"new condition “{terms['wording'][:80]}”"
    )
    case_event_record(
        case,
        code=EventCode.VARIATION_PROPOSED,
        actor=actor,
        summary=f"Variation proposed: {what}",
        notes=variation.reason,
        details={"variation": variation.pk},
    )
    audit_record(actor=actor, action=AuditAction.CREATED, obj=variation, reason="Variation proposed")
    return variation


def _proposed_terms(p: dict) -> dict:
    """A proposed new condition's terms, as stored on the variation, back as model values."""
    from offenderhub.accounts.models import User

    return {
        "kind": p["kind"],
        "wording": p["wording"],
        "due_date": date.fromisoformat(p["due_date"]),
        "responsible_organisation": Organisation.objects.get(pk=p["responsible_organisation"]),
        "owner": User.objects.filter(pk=p["owner"]).first() if p.get("owner") else None,
        "hours": Decimal(p["hours"]) if p.get("hours") is not None else None,
        "amount_kind": p.get("amount_kind") or "",
        "amount": Decimal(p["amount"]) if p.get("amount") is not None else None,
    }


def _variation_apply(variation, case, *, actor) -> Condition:
    """Supersede the old condition with a new one (a new due date), or add the new condition."""
    if variation.kind == VariationKind.NEW_DUE_DATE:
        old = _lock_condition(variation.condition_id, case)
        status = old.status if old.status in LIVE_CONDITION_STATUSES else ConditionStatus.IN_PROGRESS
        _condition_move(
            old,
            case,
            to=ConditionStatus.SUPERSEDED,
            actor=actor,
            code=EventCode.CONDITION_CHANGED,
            notes=f"Replaced by the same condition due {variation.new_due_date:%-d %B %Y}.",
        )
        new = Condition.objects.create(
            case=case,
            template=old.template,
            kind=old.kind,
            wording=old.wording,
            due_date=variation.new_due_date,
            responsible_organisation=old.responsible_organisation,
            owner=old.owner,
            hours=old.hours,
            amount_kind=old.amount_kind,
            amount=old.amount,
            needs_referral=old.needs_referral,
            status=status,
            supersedes=old,
            created_by=actor,
        )
    else:
        p = variation.proposed
        new = Condition.objects.create(
            case=case,
            template_id=p.get("template"),
            needs_referral=p.get("needs_referral", False),
            created_by=actor,
            **_proposed_terms(p),
        )
    variation.result = new
    if variation.kind == VariationKind.NEW_DUE_DATE:
        from referrals.services import referrals_follow_variation

        referrals_follow_variation(case, old=old, new=new, actor=actor)
    audit_record(actor=actor, action=AuditAction.CREATED, obj=new, reason="Condition varied")
    return new


@transaction.atomic
def variation_decide(*, variation_id, actor, approve: bool, notes: str = "") -> Variation:
    _require(actor, Role.DECISION_MAKER, message="Only decision-makers approve variations.")
    case = _case_of(Variation, variation_id, actor)
    variation = Variation.objects.select_for_update().get(pk=variation_id)
    wanted = VariationStatus.APPROVED if approve else VariationStatus.REFUSED
    if variation.status == wanted:
        return variation
    if variation.status != VariationStatus.PROPOSED:
        raise CaseError(f"This variation was already {variation.get_status_display().lower()}.")
    if not approve and not notes.strip():
        raise ValidationError({"notes": "Give the reason for refusing the variation."})
    if case.status not in UNDER_CAUTION:
        raise CaseError("Conditions are varied only while the caution is in force.")
    if approve:
        condition = _lock_condition(variation.condition_id, case) if variation.condition_id else None
        terms = _proposed_terms(variation.proposed) if variation.kind == VariationKind.NEW_CONDITION else {}
        try:
            _variation_check(
                case,
                kind=variation.kind,
                condition=condition,
                new_due_date=variation.new_due_date,
                terms=terms,
                reason=variation.reason,
                person_consented=True,
                consented_on=variation.consented_on,
            )
        except ValidationError as exc:
            raise CaseError("The variation can no longer be approved: " + " ".join(exc.messages)) from exc
        _variation_apply(variation, case, actor=actor)
    variation.status = wanted
    variation.decided_by = actor
    variation.decided_at = timezone.now()
    variation.decision_notes = notes
    variation.save()
    code = EventCode.VARIATION_APPROVED if approve else EventCode.VARIATION_REFUSED
    case_event_record(
        case, code=code, actor=actor, notes=notes or variation.reason, details={"variation": variation.pk}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=variation,
        changes={"status": [VariationStatus.PROPOSED, wanted]},
        reason=EventCode(code).label,
    )
    return variation


# --- Breach review ------------------------------------------------------------------------------------


def _breach_review_open(
    case, *, actor=None, system=False, conditions, reason, today=None
) -> tuple[BreachReview, bool]:
    """Open a breach review on a case already locked, or add the conditions to the one already open.
    Returns the review and whether it was opened now. Overdue conditions are flagged, once."""
    today = today or timezone.localdate()
    now = timezone.now()
    for condition in conditions:
        if condition.status != ConditionStatus.FAILED and not condition.is_overdue(today):
            raise CaseError("Only a failed or overdue condition can open a breach review.")
        if condition.overdue_flagged_at is None and condition.is_overdue(today):
            condition.overdue_flagged_at = now
            condition.save(update_fields=["overdue_flagged_at", "updated_at"])
    review = BreachReview.objects.filter(case=case, status__in=OPEN_BREACH_STATUSES).first()
    if review is not None:
        review.conditions.add(*conditions)
        return review, False
    if case.status not in UNDER_CAUTION:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot have a breach review.")
    review = BreachReview.objects.create(
        case=case,
        opened_by=actor,
        opened_reason=reason,
        decision_due_on=today + timedelta(days=case.scheme.breach_decision_days),
    )
    review.conditions.add(*conditions)
    summary = f"Breach review opened; a decision is due by {review.decision_due_on:%-d %B %Y}"
    if case.status == CaseStatus.ACTIVE:
        case_transition(
            case,
            to=CaseStatus.BREACH_REVIEW,
            actor=actor,
            system=system,
            code=EventCode.BREACH_REVIEW_OPENED,
            summary=summary,
            notes=reason,
            details={"breach_review": review.pk},
        )
    else:
        case_event_record(
            case, code=EventCode.BREACH_REVIEW_OPENED, actor=actor, summary=summary, notes=reason
        )
    audit_record(actor=actor, action=AuditAction.CREATED, obj=review, reason="Breach review opened")
    return review, True


@transaction.atomic
def breach_review_open(*, case_id, actor, condition_ids, reason: str) -> BreachReview:
    """A person opens a breach review for failed or overdue conditions (the overdue sweep calls
    ``_breach_review_open`` on its own authority). Opening one twice gives the same review."""
    _police(actor)
    if not reason.strip():
        raise ValidationError({"reason": "Say why a breach review is needed."})
    if not condition_ids:
        raise ValidationError({"conditions": "Choose the failed or overdue conditions."})
    case = case_lock(case_id, force_id=actor.organisation_id)
    conditions = [_lock_condition(pk, case) for pk in condition_ids]
    try:
        review, _ = _breach_review_open(case, actor=actor, conditions=conditions, reason=reason.strip())
    except CaseError as exc:
        raise ValidationError({"conditions": str(exc)}) from exc
    return review


def _lock_review(review_id, actor):
    case = _case_of(BreachReview, review_id, actor)
    return case, BreachReview.objects.select_for_update().get(pk=review_id)


def _review_move(review, case, *, to, actor=None, system=False, code, summary="", notes=""):
    before = review.status
    try:
        check_breach_transition(before, to, actor=actor, system=system)
    except TransitionNotAllowed as exc:
        raise CaseError(str(exc)) from exc
    review.status = to
    review.save()
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=review,
        changes={"status": [before, to]},
        reason=summary or EventCode(code).label,
        owner_organisation=case.force,
    )


@transaction.atomic
def breach_review_decide(
    *,
    review_id,
    actor,
    outcome: str,
    breached_condition_ids,
    person_account: str,
    alternatives_tried: str,
    reasonable_excuse: bool,
    rationale: str,
    new_due_date: date | None = None,
    person_consented: bool = False,
    time_limit_acknowledged: bool = False,
) -> BreachReview:
    """The decision-maker's decision. Excused: the conditions continue, or are varied with a new due
    date (the person consenting). Confirmed: the prosecution resumes, or waits for a supervisor's
    countersignature where the scheme asks for one. Deciding twice the same way changes nothing."""
    _require(actor, Role.DECISION_MAKER, message="Only decision-makers decide breach reviews.")
    case, review = _lock_review(review_id, actor)
    if not review.is_open or review.status == BreachStatus.AWAITING_COUNTERSIGNATURE:
        if review.outcome == outcome:
            return review
        raise CaseError(f"This breach review was already decided: {review.get_outcome_display().lower()}.")
    confirm = outcome == BreachOutcome.BREACH_CONFIRMED
    breached = list(case.conditions.filter(pk__in=breached_condition_ids or []))
    errors = {}
    if outcome not in BreachOutcome.values:
        errors["outcome"] = "Choose the outcome."
    if confirm and reasonable_excuse:
        errors["reasonable_excuse"] = "A breach with a reasonable excuse cannot be confirmed."
    if not confirm and outcome and not reasonable_excuse:
        errors["reasonable_excuse"] = "Without a reasonable excuse the breach must be confirmed."
    if confirm and not breached:
        errors["breached_conditions"] = "Choose the conditions that were breached."
    if not person_account.strip():
        errors["person_account"] = (
            "Record the person's account, or that they gave none and how they were asked."
        )
    if confirm and not alternatives_tried.strip():
        errors["alternatives_tried"] = "Record what was tried before confirming the breach."
    if not rationale.strip():
        errors["rationale"] = "Explain the decision."
    if outcome == BreachOutcome.EXCUSED_CONTINUE:
        today = timezone.localdate()
        past_due = [c for c in review.conditions.all() if c.is_overdue(today)]
        if past_due:
            errors["outcome"] = (
                f"“{past_due[0].wording[:60]}” is past its due date: "
                "to excuse it, vary it with a new due date."
            )
    if outcome == BreachOutcome.EXCUSED_VARY:
        if not person_consented:
            errors["person_consented"] = "A variation needs the person's consent."
        caution = Caution.objects.filter(case=case).first()
        period = case_period(case, caution=caution, extension=_extension(case))
        message = "Enter the new due date." if new_due_date is None else period.due_date_error(new_due_date)
        if not message and new_due_date < timezone.localdate():
            message = "The new due date must be today or later."
        if message:
            errors["new_due_date"] = message
    if confirm and not errors:
        _time_limit_check(case, acknowledged=time_limit_acknowledged)
    if errors:
        raise ValidationError(errors)

    review.breached_conditions.set(breached)
    review.person_account = person_account.strip()
    review.alternatives_tried = alternatives_tried.strip()
    review.reasonable_excuse = reasonable_excuse
    review.outcome = outcome
    review.rationale = rationale.strip()
    review.decided_by = actor
    review.decided_at = timezone.now()
    if confirm:
        if case.scheme.breach_countersignature_required:
            _review_move(
                review,
                case,
                to=BreachStatus.AWAITING_COUNTERSIGNATURE,
                actor=actor,
                code=EventCode.BREACH_AWAITING_COUNTERSIGNATURE,
            )
            case_event_record(
                case,
                code=EventCode.BREACH_AWAITING_COUNTERSIGNATURE,
                actor=actor,
                summary="Breach confirmed by the decision-maker; a supervisor must countersign",
                notes=review.rationale,
                details={"breach_review": review.pk},
            )
            return review
        _breach_confirm(review, case, actor=actor)
        return review
    _review_move(review, case, to=BreachStatus.EXCUSED, actor=actor, code=EventCode.BREACH_EXCUSED)
    case_transition(
        case,
        to=CaseStatus.ACTIVE,
        actor=actor,
        code=EventCode.BREACH_EXCUSED,
        summary=f"Reasonable excuse accepted: {BreachOutcome(outcome).label.split(': ')[1]}",
        notes=review.rationale,
        details={"breach_review": review.pk},
    )
    reviewed = list(
        review.conditions.select_for_update().filter(
            status__in=LIVE_CONDITION_STATUSES | {ConditionStatus.FAILED}
        )
    )
    if outcome == BreachOutcome.EXCUSED_VARY:
        today = timezone.localdate()
        for condition in reviewed:
            variation = Variation.objects.create(
                case=case,
                kind=VariationKind.NEW_DUE_DATE,
                condition=condition,
                new_due_date=new_due_date,
                reason=f"Breach review: {review.rationale}",
                person_consented=True,
                consented_on=today,
                breach_review=review,
                proposed_by=actor,
                status=VariationStatus.APPROVED,
                decided_by=actor,
                decided_at=timezone.now(),
            )
            _variation_apply(variation, case, actor=actor)
            variation.save(update_fields=["result"])
            case_event_record(
                case,
                code=EventCode.VARIATION_APPROVED,
                actor=actor,
                summary=(
                    f"Variation approved: new due date {new_due_date:%-d %B %Y} "
                    f"for “{condition.wording[:80]}”"
                ),
                notes=review.rationale,
                details={"variation": variation.pk, "breach_review": review.pk},
            )
    else:
        for condition in reviewed:
            if condition.status == ConditionStatus.FAILED:
                _condition_move(
                    condition,
                    case,
                    to=ConditionStatus.IN_PROGRESS,
                    actor=actor,
                    code=EventCode.CONDITION_RESUMED,
                    notes=review.rationale,
                )
        _complete_case_if_done(case, actor=actor)
    return review


def _time_limit_check(case, *, acknowledged: bool, today=None):
    """Refuse to let a summary-only case's prosecution resume silently late."""
    offences = list(case.offences.select_related("offence"))
    limit = case_time_limit(case, offences)
    today = today or timezone.localdate()
    if limit and today > limit.latest_proceedings_date and not acknowledged:
        raise ValidationError(
            {
                "time_limit_acknowledged": (
                    f"Proceedings for {limit.offence_name.lower()} had to start by "
                    f"{limit.latest_proceedings_date:%-d %B %Y}. Confirm that you understand the prosecution "
                    "can no longer start; it will be recorded as out of time."
                )
            }
        )
    return limit


@transaction.atomic
def breach_review_countersign(*, review_id, actor, agree: bool, notes: str = "") -> BreachReview:
    _require(actor, Role.SUPERVISOR, message="Only a supervisor countersigns a breach decision.")
    case, review = _lock_review(review_id, actor)
    if review.status == BreachStatus.BREACH_CONFIRMED and agree:
        return review
    if review.status != BreachStatus.AWAITING_COUNTERSIGNATURE:
        raise CaseError("This breach decision is not awaiting a countersignature.")
    if review.decided_by_id == actor.pk:
        raise CaseError("Another supervisor must countersign a decision you made.")
    if not agree and not notes.strip():
        raise ValidationError(
            {"notes": "Say why you do not countersign, so the decision-maker can reconsider."}
        )
    review.countersignature_notes = notes.strip()
    if agree:
        review.countersigned_by = actor
        review.countersigned_at = timezone.now()
        _breach_confirm(review, case, actor=actor, countersigned=True)
    else:
        _review_move(
            review, case, to=BreachStatus.OPEN, actor=actor, code=EventCode.BREACH_COUNTERSIGNATURE_REFUSED
        )
        case_event_record(
            case,
            code=EventCode.BREACH_COUNTERSIGNATURE_REFUSED,
            actor=actor,
            notes=notes,
            details={"breach_review": review.pk},
        )
    return review


def _breach_confirm(review, case, *, actor=None, system=False, countersigned=False, today=None):
    _review_move(
        review,
        case,
        to=BreachStatus.BREACH_CONFIRMED,
        actor=actor,
        system=system,
        code=EventCode.BREACH_CONFIRMED,
    )
    breached = ", ".join(c.wording[:60] for c in review.breached_conditions.all())
    case_event_record(
        case,
        code=EventCode.BREACH_CONFIRMED,
        actor=actor,
        summary="Breach confirmed" + (" and countersigned" if countersigned else "") + f": {breached}",
        notes=review.rationale,
        details={"breach_review": review.pk},
    )
    case_resume_prosecution(case=case, review=review, actor=actor, system=system, today=today)


# --- The resumed prosecution -------------------------------------------------------------------------


def case_resume_prosecution(*, case, review, actor=None, system=False, today=None) -> Prosecution:
    """The one service that resumes a prosecution, on a case already locked by the caller: the
    prosecution record, the caution ceased, the case moved on. Doing it twice changes nothing. The
    side effects (case file team, victim) are carried out by the prosecution-resumption job."""
    existing = Prosecution.objects.filter(case=case).first()
    if existing is not None:
        return existing
    today = today or timezone.localdate()
    offences = list(case.offences.select_related("offence"))
    limit = case_time_limit(case, offences)
    out_of_time = bool(limit and today > limit.latest_proceedings_date)
    prosecution = Prosecution.objects.create(
        case=case,
        breach_review=review,
        resumed_by=actor,
        latest_proceedings_date=limit.latest_proceedings_date if limit else None,
        outcome=ProsecutionOutcome.OUT_OF_TIME if out_of_time else ProsecutionOutcome.PENDING,
        outcome_on=today if out_of_time else None,
        victim_notification_due_on=today + timedelta(days=case.scheme.victim_notification_days)
        if case.victim_type != "none"
        else None,
    )
    Caution.objects.filter(case=case, ceased_on__isnull=True).update(
        ceased_on=today, ceased_reason="Breach confirmed: the prosecution resumed"
    )
    from referrals.models import WithdrawReason
    from referrals.services import referrals_withdraw_for

    referrals_withdraw_for(case, reason=WithdrawReason.CASE_CLOSED, notes="The prosecution resumed.")
    for condition in case.conditions.select_for_update().filter(status__in=LIVE_CONDITION_STATUSES):
        _condition_move(
            condition,
            case,
            to=ConditionStatus.WITHDRAWN,
            actor=actor,
            system=True,  # a consequence of the resumed prosecution, whoever confirmed it
            code=EventCode.STATUS_CHANGED,
            notes="The caution ceased to have effect: the prosecution resumed.",
            on=today,
        )
    summary = "Prosecution resumed; the caution ceased to have effect"
    if limit:
        summary += (
            f". Out of time: proceedings had to start by {limit.latest_proceedings_date:%-d %B %Y}"
            if out_of_time
            else f". Proceedings must start by {limit.latest_proceedings_date:%-d %B %Y}"
        )
    case_transition(
        case,
        to=CaseStatus.PROSECUTION_RESUMED,
        actor=actor,
        system=system or actor is None,
        code=EventCode.PROSECUTION_RESUMED,
        summary=summary,
        details={"prosecution": prosecution.pk, "breach_review": review.pk},
    )
    audit_record(
        actor=actor, action=AuditAction.CREATED, obj=prosecution, reason="Prosecution resumed after a breach"
    )
    # The prosecution-resumption job carries out what follows, once this transaction commits.
    transaction.on_commit(partial(_queue_prosecution_resumption, prosecution.pk))
    return prosecution


def _queue_prosecution_resumption(prosecution_id):
    """Best effort: if the broker is down it is logged, and the prosecution-resumption sweep (every
    minute) carries it out instead."""
    from offenderhub.core.queueing import enqueue

    from .tasks import prosecution_resumption

    enqueue(prosecution_resumption, prosecution_id)


@transaction.atomic
def prosecution_update(
    *,
    case_id,
    actor,
    method: str,
    proceedings_started_on: date | None,
    court: str,
    first_hearing_on: date | None,
    outcome: str,
    outcome_on: date | None,
    outcome_notes: str = "",
) -> Prosecution:
    """Record the charge or requisition, the court and the outcome. A charge dated after the six-month
    limit of a summary-only offence is refused; a final outcome closes the case."""
    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    prosecution = Prosecution.objects.select_for_update().filter(case=case).first()
    if prosecution is None:
        raise CaseError("The prosecution has not resumed on this case.")
    today = timezone.localdate()
    started = timezone.localtime(prosecution.resumed_at).date()
    errors = {}
    if proceedings_started_on:
        if not method:
            errors["method"] = "Choose charge or requisition."
        if proceedings_started_on > today:
            errors["proceedings_started_on"] = "The date cannot be in the future."
        elif proceedings_started_on < started:
            errors["proceedings_started_on"] = (
                f"The date cannot be before the prosecution resumed ({started:%-d %B %Y})."
            )
        elif (
            prosecution.latest_proceedings_date
            and proceedings_started_on > prosecution.latest_proceedings_date
        ):
            errors["proceedings_started_on"] = (
                f"Proceedings for this summary-only offence had to start by "
                f"{prosecution.latest_proceedings_date:%-d %B %Y}. "
                "A later charge or requisition is out of time: "
                "record the outcome as out of time instead."
            )
    if outcome in {ProsecutionOutcome.CONVICTED, ProsecutionOutcome.ACQUITTED} and not proceedings_started_on:
        errors["proceedings_started_on"] = "Enter the charge or requisition date before a court outcome."
    if outcome in FINAL_PROSECUTION_OUTCOMES and outcome_on is None:
        errors["outcome_on"] = "Enter the date of the outcome."
    if outcome_on and outcome_on > today:
        errors["outcome_on"] = "The date cannot be in the future."
    if first_hearing_on and proceedings_started_on and first_hearing_on < proceedings_started_on:
        errors["first_hearing_on"] = "The first hearing cannot be before the charge or requisition."
    if errors:
        raise ValidationError(errors)
    fields = [
        "method",
        "proceedings_started_on",
        "court",
        "first_hearing_on",
        "outcome",
        "outcome_on",
        "outcome_notes",
    ]
    before = {f: getattr(prosecution, f) for f in fields}
    after = {
        "method": method or "",
        "proceedings_started_on": proceedings_started_on,
        "court": court.strip(),
        "first_hearing_on": first_hearing_on,
        "outcome": outcome,
        "outcome_on": outcome_on,
        "outcome_notes": outcome_notes.strip(),
    }
    changes = field_changes(before, after, free_text={"outcome_notes"})
    if changes:
        for field, value in after.items():
            setattr(prosecution, field, value)
        prosecution.save()
        summary = f"Prosecution: {prosecution.get_outcome_display().lower()}"
        if proceedings_started_on:
            summary = (
                f"{prosecution.get_method_display()} on {proceedings_started_on:%-d %B %Y}"
                + (f" at {prosecution.court}" if prosecution.court else "")
                + f"; {prosecution.get_outcome_display().lower()}"
            )
        case_event_record(
            case, code=EventCode.PROSECUTION_UPDATED, actor=actor, summary=summary, notes=outcome_notes
        )
        audit_record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=prosecution,
            changes=changes,
            reason="Prosecution record updated",
        )
    # A final outcome closes the case, even one recorded already (out of time, when it resumed).
    if outcome in FINAL_PROSECUTION_OUTCOMES:
        case_transition(
            case,
            to=CaseStatus.CLOSED,
            actor=actor,
            code=EventCode.CASE_CLOSED,
            summary=f"Case closed: {prosecution.get_outcome_display().lower()}",
        )
    return prosecution

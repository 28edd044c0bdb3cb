"""Conditions before the caution: drafted, changed, removed, agreed or reopened, and a longer completion
period approved."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus
from cases.services import CaseError, case_event_record, case_lock, case_transition
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record, field_changes

from ..models import (
    BINDING_CONDITION_STATUSES,
    Caution,
    Condition,
    PeriodExtension,
)
from ..rules import case_period
from ._shared import (
    BEFORE_CAUTION,
    EXTENDABLE,
    TERMS,
    _case_of,
    _clean_terms,
    _extension,
    _lock_condition,
    _police,
    _require,
    _terms_check,
)


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
    from assessments.selectors import initial_assessment_done

    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status == CaseStatus.CONDITIONS_AGREED:
        return
    if case.status != CaseStatus.ASSESSMENT:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot have its conditions agreed.")
    if not initial_assessment_done(case):
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

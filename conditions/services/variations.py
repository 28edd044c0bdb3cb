"""Variations: a new due date or a new condition proposed under the caution, approved or refused."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.services import CaseError, case_event_record, case_lock
from offenderhub.accounts.models import Organisation, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.events import announce

from ..events import ConditionVaried
from ..models import (
    LIVE_CONDITION_STATUSES,
    Caution,
    Condition,
    ConditionStatus,
    Variation,
    VariationKind,
    VariationStatus,
)
from ..rules import case_period
from ._shared import (
    UNDER_CAUTION,
    _case_of,
    _clean_terms,
    _condition_move,
    _extension,
    _lock_condition,
    _police,
    _require,
    _terms_check,
)


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
    checked = {"reason": reason, "person_consented": person_consented, "consented_on": consented_on}
    _variation_check(case, kind=kind, condition=condition, new_due_date=new_due_date, terms=terms, **checked)
    proposed = {}
    if kind == VariationKind.NEW_CONDITION:
        proposed = _proposed_stored(terms, template=template, needs_referral=needs_referral)
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


def _proposed_stored(terms: dict, *, template, needs_referral) -> dict:
    """A proposed new condition's terms as stored on the variation, until it is approved
    (``_proposed_terms`` reads them back)."""
    return {
        **{k: v for k, v in terms.items() if k not in {"responsible_organisation", "owner", "due_date"}},
        "responsible_organisation": terms["responsible_organisation"].pk,
        "owner": terms["owner"].pk if terms.get("owner") else None,
        "due_date": terms["due_date"].isoformat(),
        "hours": str(terms["hours"]) if terms.get("hours") is not None else None,
        "amount": str(terms["amount"]) if terms.get("amount") is not None else None,
        "template": template.pk if template else None,
        "needs_referral": needs_referral,
    }


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
        announce(ConditionVaried(case=case, old=old, new=new, actor=actor))
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

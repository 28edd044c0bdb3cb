"""Compliance under the caution: a condition started, complete, failed or withdrawn, and the evidence and
notes recorded on it."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.services import CaseError, case_event_record
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.events import announce

from ..events import ConditionDeliveryAsked, ConditionWithdrawn
from ..models import (
    Condition,
    ConditionRecord,
    ConditionStatus,
)
from ._shared import UNDER_CAUTION, _complete_case_if_done, _condition_move, _lock_condition
from .breach import _breach_review_open


def _condition_check_actor(condition, case, actor):
    """Police of the case's force, or a partner agency responsible for the condition or holding a
    referral to deliver it."""
    if actor.organisation_id == case.force_id and actor.has_role(
        Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR
    ):
        return
    if actor.has_role(Role.PARTNER_MANAGER, Role.PARTNER_PRACTITIONER) and (
        actor.organisation_id == condition.responsible_organisation_id
        or any(announce(ConditionDeliveryAsked(condition=condition, organisation_id=actor.organisation_id)))
    ):
        return
    raise CaseError("That condition does not exist.")


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
        announce(ConditionWithdrawn(case=case, condition=condition, notes=notes))
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

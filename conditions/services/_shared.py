"""What every part of the conditions' services shares: the status sets, the role checks, the row locks, a
condition's terms checked against the legal limits, a condition's transition and the case completing."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus
from cases.services import CaseError, case_event_record, case_lock, case_transition
from cases.workflow import TransitionNotAllowed
from offenderhub.accounts.models import OrganisationKind, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.text import shortened

from ..models import (
    BINDING_CONDITION_STATUSES,
    OUTCOME_CONDITION_STATUSES,
    AmountKind,
    Caution,
    Condition,
    ConditionStatus,
    PeriodExtension,
)
from ..rules import case_caps, case_period, condition_terms_errors
from ..workflow import check_condition_transition

TERMS = ["kind", "wording", "due_date", "responsible_organisation", "owner", "hours", "amount_kind", "amount"]


BEFORE_CAUTION = frozenset({CaseStatus.ASSESSMENT})


UNDER_CAUTION = frozenset({CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW})


# A supervisor may approve a longer completion period from assessment until the caution ends.
EXTENDABLE = BEFORE_CAUTION | {CaseStatus.CONDITIONS_AGREED} | UNDER_CAUTION


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


def _condition_move(condition, case, *, to, actor=None, system=False, code, notes="", on=None, at=None):
    before = condition.status
    try:
        check_condition_transition(before, to, actor=actor, system=system)
    except TransitionNotAllowed as exc:
        raise CaseError(str(exc)) from exc
    condition.status = to
    fields = ["status", "updated_at"]
    if to in OUTCOME_CONDITION_STATUSES:
        condition.outcome_on = on or timezone.localdate()
        condition.outcome_notes = notes
        fields += ["outcome_on", "outcome_notes"]
    condition.save(update_fields=fields)
    case_event_record(
        case,
        code=code,
        actor=actor,
        summary=f"{EventCode(code).label}: {shortened(condition.wording, 120)}",
        notes=notes,
        details={"condition": condition.pk},
        before=before,
        after=to,
        at=at,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=condition,
        changes={"status": [before, to]},
        reason=EventCode(code).label,
        owner_organisation=case.force,
    )


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

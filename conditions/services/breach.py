"""Breach reviews: opened for failed or overdue conditions, decided (excused, or the breach confirmed),
countersigned where the scheme asks for it."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus
from cases.rules import case_time_limit
from cases.services import CaseError, case_event_record, case_lock, case_transition
from cases.workflow import TransitionNotAllowed
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.text import shortened as _wording_shortened

from ..models import (
    LIVE_CONDITION_STATUSES,
    OPEN_BREACH_STATUSES,
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Caution,
    ConditionStatus,
    Variation,
    VariationKind,
    VariationStatus,
)
from ..rules import case_period
from ..workflow import check_breach_transition
from ._shared import (
    UNDER_CAUTION,
    _case_of,
    _complete_case_if_done,
    _condition_move,
    _extension,
    _lock_condition,
    _police,
    _require,
)
from .prosecution import case_resume_prosecution
from .variations import _variation_apply

# The outcome notes of a condition a confirmed breach decision found breached.
BREACHED_NOTE = "Breach confirmed: no reasonable excuse; the prosecution resumed."


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
    errors = _breach_decision_errors(
        case,
        review,
        outcome=outcome,
        breached=breached,
        person_account=person_account,
        alternatives_tried=alternatives_tried,
        reasonable_excuse=reasonable_excuse,
        rationale=rationale,
        new_due_date=new_due_date,
        person_consented=person_consented,
    )
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
        _breach_decided_confirmed(review, case, actor=actor)
    else:
        _breach_decided_excused(review, case, actor=actor, outcome=outcome, new_due_date=new_due_date)
    return review


def _breach_decision_errors(
    case,
    review,
    *,
    outcome,
    breached,
    person_account,
    alternatives_tried,
    reasonable_excuse,
    rationale,
    new_due_date,
    person_consented,
) -> dict:
    """What is missing or wrong in a breach decision, by form field."""
    confirm = outcome == BreachOutcome.BREACH_CONFIRMED
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
                f"“{_wording_shortened(past_due[0].wording, 60)}” is past its due date: "
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
    return errors


def _breach_decided_confirmed(review, case, *, actor):
    """A confirmed breach: the prosecution resumes, or the decision waits for a supervisor's
    countersignature where the scheme asks for one."""
    if not case.scheme.breach_countersignature_required:
        _breach_confirm(review, case, actor=actor)
        return
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


def _breach_decided_excused(review, case, *, actor, outcome, new_due_date):
    """A reasonable excuse: the case is active again, and the reviewed conditions either get the new
    due date (varied) or carry on (a failed one resumes; the case completes if nothing is left)."""
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
        for condition in reviewed:
            _breach_excused_vary(review, case, condition, actor=actor, new_due_date=new_due_date)
        return
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


def _breach_excused_vary(review, case, condition, *, actor, new_due_date):
    """A condition varied to a new due date by the breach decision itself, approved at once."""
    variation = Variation.objects.create(
        case=case,
        kind=VariationKind.NEW_DUE_DATE,
        condition=condition,
        new_due_date=new_due_date,
        reason=f"Breach review: {review.rationale}",
        person_consented=True,
        consented_on=timezone.localdate(),
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
            f"for “{_wording_shortened(condition.wording, 80)}”"
        ),
        notes=review.rationale,
        details={"variation": variation.pk, "breach_review": review.pk},
    )


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


def _breach_confirm(review, case, *, actor=None, system=False, countersigned=False, today=None, at=None):
    """The breach confirmed: the timeline says so, the conditions found breached read "Breached", and
    the prosecution resumes. ``today`` and ``at``: the day and instant a job run for a chosen day
    records (else today, now)."""
    _review_move(
        review,
        case,
        to=BreachStatus.BREACH_CONFIRMED,
        actor=actor,
        system=system,
        code=EventCode.BREACH_CONFIRMED,
    )
    breached = ", ".join(_wording_shortened(c.wording, 60) for c in review.breached_conditions.all())
    case_event_record(
        case,
        code=EventCode.BREACH_CONFIRMED,
        actor=actor,
        summary="Breach confirmed" + (" and countersigned" if countersigned else "") + f": {breached}",
        notes=review.rationale,
        details={"breach_review": review.pk},
        at=at,
    )
    _conditions_mark_breached(review, case, actor=actor, today=today, at=at)
    case_resume_prosecution(case=case, review=review, actor=actor, system=system, today=today, at=at)


def _conditions_mark_breached(review, case, *, actor=None, today=None, at=None):
    """The conditions the confirmed decision found breached read "Breached" from now on (the others
    still live are withdrawn when the prosecution resumes). A failed one keeps the day it failed as
    its outcome date; one still live (overdue) ends on the day of the decision."""
    today = today or timezone.localdate()
    breached = review.breached_conditions.select_for_update().filter(
        status__in=LIVE_CONDITION_STATUSES | {ConditionStatus.FAILED}
    )
    for condition in breached.order_by("due_date", "pk"):
        failed = condition.status == ConditionStatus.FAILED
        earlier = f"\n{condition.outcome_notes}" if failed and condition.outcome_notes else ""
        _condition_move(
            condition,
            case,
            to=ConditionStatus.BREACHED,
            actor=actor,
            system=True,  # a consequence of the confirmed breach, whoever confirmed it
            code=EventCode.CONDITION_BREACHED,
            notes=BREACHED_NOTE + earlier,
            on=condition.outcome_on if failed and condition.outcome_on else today,
            at=at,
        )

"""The resumed prosecution: the one service that resumes it after a confirmed breach, and its record
updated until a final outcome closes the case."""

from datetime import date, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus
from cases.rules import case_time_limit
from cases.services import CaseError, case_event_record, case_lock, case_transition
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record, field_changes
from offenderhub.core.events import announce

from ..events import ProsecutionResumed
from ..models import (
    LIVE_CONDITION_STATUSES,
    Caution,
    ConditionStatus,
    Prosecution,
    ProsecutionOutcome,
)
from ._shared import (
    _condition_move,
    _police,
)

FINAL_PROSECUTION_OUTCOMES = frozenset(
    {
        ProsecutionOutcome.CONVICTED,
        ProsecutionOutcome.ACQUITTED,
        ProsecutionOutcome.DISCONTINUED,
        ProsecutionOutcome.OUT_OF_TIME,
    }
)


def case_resume_prosecution(*, case, review, actor=None, system=False, today=None, at=None) -> Prosecution:
    """The one service that resumes a prosecution, on a case already locked by the caller: the
    prosecution record, the caution ceased, the case moved on. Doing it twice changes nothing. The
    side effects (case file team, victim) are carried out by the prosecution-resumption job.
    ``today`` and ``at``: the day and instant recorded (a job run for a chosen day), else today, now."""
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
        resumed_at=at or timezone.now(),
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
    announce(ProsecutionResumed(case=case, prosecution=prosecution))
    _conditions_end_with_caution(case, actor=actor, today=today, at=at)
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
        at=at,
    )
    audit_record(
        actor=actor, action=AuditAction.CREATED, obj=prosecution, reason="Prosecution resumed after a breach"
    )
    # The prosecution-resumption job carries out what follows, once this transaction commits.
    transaction.on_commit(partial(_queue_prosecution_resumption, prosecution.pk))
    return prosecution


def _conditions_end_with_caution(case, *, actor, today, at):
    """The conditions still to be met are withdrawn: the caution ceased. (Those the breach decision
    found breached were marked breached before.)"""
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
            at=at,
        )


def _queue_prosecution_resumption(prosecution_id):
    """Best effort: if the broker is down it is logged, and the prosecution-resumption sweep (every
    minute) carries it out instead."""
    from offenderhub.core.queueing import enqueue

    from ..tasks import prosecution_resumption

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
    after = {
        "method": method or "",
        "proceedings_started_on": proceedings_started_on,
        "court": court.strip(),
        "first_hearing_on": first_hearing_on,
        "outcome": outcome,
        "outcome_on": outcome_on,
        "outcome_notes": outcome_notes.strip(),
    }
    errors = _prosecution_errors(prosecution, **after)
    if errors:
        raise ValidationError(errors)
    _prosecution_record(prosecution, case, after, actor=actor, notes=outcome_notes)
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


def _prosecution_errors(
    prosecution,
    *,
    method,
    proceedings_started_on,
    court,
    first_hearing_on,
    outcome,
    outcome_on,
    outcome_notes,
) -> dict:
    """What is wrong with the dates and the outcome, by form field; a charge after the six-month limit
    of a summary-only offence is out of time."""
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
    return errors


def _prosecution_record(prosecution, case, after: dict, *, actor, notes):
    """Save what changed, with its timeline event and audit row; nothing if nothing changed."""
    before = {f: getattr(prosecution, f) for f in after}
    changes = field_changes(before, after, free_text={"outcome_notes"})
    if not changes:
        return
    for field, value in after.items():
        setattr(prosecution, field, value)
    prosecution.save()
    summary = f"Prosecution: {prosecution.get_outcome_display().lower()}"
    if after["proceedings_started_on"]:
        summary = (
            f"{prosecution.get_method_display()} on {after['proceedings_started_on']:%-d %B %Y}"
            + (f" at {prosecution.court}" if prosecution.court else "")
            + f"; {prosecution.get_outcome_display().lower()}"
        )
    case_event_record(
        case,
        code=EventCode.PROSECUTION_UPDATED,
        actor=actor,
        summary=summary,
        notes=notes,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=prosecution,
        changes=changes,
        reason="Prosecution record updated",
    )

"""Every write about retention: legal holds set and cleared, and the decisions on a review (kept until a
date, erasure asked for, refused, approved and carried out). Each runs in one transaction, locks the
row it changes, writes its audit row (in the service's own words: the reason typed stays in the
retention row, which an erasure empties), and asking for what is already so changes nothing."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Person
from cases.workflow import TransitionNotAllowed
from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.notifications.models import NotificationKind
from offenderhub.notifications.services import notify

from .erasure import ErasureRefused, erasure_lock, erasure_refusal, person_erase
from .models import ErasureRecord, LegalHold, RetentionReview, ReviewStatus
from .workflow import REVIEWERS, check_review_transition

# The longest a record may be kept before it is reviewed again.
RETAIN_AT_MOST_YEARS = 100


class RetentionError(Exception):
    """A request the rules refuse. The message tells the person what to do."""


def _require_reviewer(actor, what):
    if not actor.has_role(*REVIEWERS):
        raise RetentionError(f"Only supervisors {what}.")


def _require_text(value, field, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# --- Legal holds -------------------------------------------------------------------------------------


def _held_record(actor, *, person_id=None, case_id=None):
    """The person or case to hold, of the actor's force, locked."""
    if (person_id is None) == (case_id is None):
        raise ValueError("Hold a person or a case.")
    model, pk = (Person, person_id) if person_id is not None else (Case, case_id)
    try:
        record = model.objects.select_for_update().get(pk=pk, force_id=actor.organisation_id)
    except model.DoesNotExist as exc:
        raise RetentionError(f"That {model._meta.verbose_name} does not exist.") from exc
    person = record if model is Person else Person.objects.get(pk=record.person_id)
    if person.is_erased:
        raise RetentionError("This person's record has been erased: there is nothing left to hold.")
    return record


@transaction.atomic
def legal_hold_set(*, actor, reason: str, person_id=None, case_id=None) -> LegalHold:
    """Set a legal hold on a person's record or on one case, with the reason: while it is set the record
    is never flagged for review and cannot be erased. A hold already set is returned as it is."""
    _require_reviewer(actor, "set a legal hold")
    reason = _require_text(reason, "reason", "Give the reason for the legal hold.")
    record = _held_record(actor, person_id=person_id, case_id=case_id)
    key = {"person": record} if person_id is not None else {"case": record}
    current = LegalHold.objects.filter(cleared_at__isnull=True, **key).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(
                force_id=actor.organisation_id, reason=reason, set_by=actor, **key
            )
    except IntegrityError:  # set at the same moment by someone else
        return LegalHold.objects.get(cleared_at__isnull=True, **key)
    audit_record(actor=actor, action=AuditAction.CHANGED, obj=record, reason="Legal hold set")
    return hold


@transaction.atomic
def legal_hold_clear(*, actor, reason: str, person_id=None, case_id=None) -> LegalHold | None:
    """Clear the legal hold on a person's record or a case, with the reason (the hold is kept, cleared).
    Returns None when no hold is set."""
    _require_reviewer(actor, "clear a legal hold")
    reason = _require_text(reason, "reason", "Give the reason for clearing the legal hold.")
    record = _held_record(actor, person_id=person_id, case_id=case_id)
    key = {"person": record} if person_id is not None else {"case": record}
    hold = LegalHold.objects.select_for_update().filter(cleared_at__isnull=True, **key).first()
    if hold is None:
        return None
    hold.cleared_by, hold.cleared_at, hold.clear_reason = actor, timezone.now(), reason
    hold.save(update_fields=["cleared_by", "cleared_at", "clear_reason"])
    audit_record(actor=actor, action=AuditAction.CHANGED, obj=record, reason="Legal hold cleared")
    return hold


# --- Decisions on a review ---------------------------------------------------------------------------


def _review_lock(review_id, actor) -> RetentionReview:
    _require_reviewer(actor, "decide retention reviews")
    try:
        return (
            RetentionReview.objects.select_for_update(of=("self",))
            .select_related("person", "force")
            .get(pk=review_id, force_id=actor.organisation_id)
        )
    except RetentionReview.DoesNotExist as exc:
        raise RetentionError("That retention review does not exist.") from exc


def _move(review, to, *, actor):
    try:
        check_review_transition(review.status, to, actor=actor)
    except TransitionNotAllowed as exc:
        raise RetentionError(
            f"This review is “{review.get_status_display().lower()}”: it cannot be "
            f"{'kept' if to == ReviewStatus.RETAINED else 'changed'} now."
        ) from exc
    review.status = to


def _audit(review, actor, reason, request=None):
    audit_record(actor=actor, action=AuditAction.CHANGED, obj=review.person, request=request, reason=reason)


@transaction.atomic
def retention_review_retain(
    *, review_id, actor, retain_until: date, reason: str, request=None
) -> RetentionReview:
    """Keep the record until ``retain_until``, because ``reason``: it is reviewed again on that date.
    Recording the same decision twice changes nothing."""
    review = _review_lock(review_id, actor)
    if (review.status, review.retain_until, review.decided_by_id) == (
        ReviewStatus.RETAINED,
        retain_until,
        actor.pk,
    ):
        return review
    today = timezone.localdate()
    errors = {}
    if retain_until is None:
        errors["retain_until"] = "Enter the date to keep the record until."
    elif retain_until <= today:
        errors["retain_until"] = "The date to keep the record until must be in the future."
    elif retain_until.year > today.year + RETAIN_AT_MOST_YEARS:
        errors["retain_until"] = f"Review the record again within {RETAIN_AT_MOST_YEARS} years."
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for keeping the record."
    if errors:
        raise ValidationError(errors)
    _move(review, ReviewStatus.RETAINED, actor=actor)
    review.retain_until, review.reason = retain_until, reason.strip()
    review.decided_by, review.decided_at = actor, timezone.now()
    review.save(update_fields=["status", "retain_until", "reason", "decided_by", "decided_at"])
    _audit(review, actor, f"Retention review {review.pk}: kept until {retain_until:%-d %B %Y}", request)
    return review


@transaction.atomic
def retention_review_erasure_request(*, review_id, actor, request=None) -> RetentionReview:
    """Ask for the record to be erased: another supervisor approves it. Refused at once while a case of
    the person is open or a legal hold is set. Asking again changes nothing."""
    review = _review_lock(review_id, actor)
    if review.status == ReviewStatus.ERASURE_REQUESTED:
        return review
    person, cases, holds = erasure_lock(review.person_id, force_id=review.force_id)
    refusal = erasure_refusal(person, cases, holds)
    if refusal:
        raise RetentionError(refusal)
    _move(review, ReviewStatus.ERASURE_REQUESTED, actor=actor)
    review.decided_by, review.decided_at = actor, timezone.now()
    review.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(review, actor, f"Retention review {review.pk}: erasure asked for", request)
    others = (
        User.objects.filter(
            organisation_id=review.force_id, is_active=True, role_assignments__role=Role.SUPERVISOR
        )
        .exclude(pk=actor.pk)
        .distinct()
    )
    notify(
        kind=NotificationKind.ERASURE_AWAITING_APPROVAL,
        users=list(others),
        url=reverse("retention:review", args=[review.pk]),
        context={"record": f"person #{review.person_id}"},
        dedupe_key=f"erasure-awaiting-approval:{review.pk}:{review.decided_at:%Y%m%d%H%M%S%f}",
    )
    return review


@transaction.atomic
def retention_review_erasure_refuse(*, review_id, actor, reason: str, request=None) -> RetentionReview:
    """Refuse the erasure asked for (or withdraw one's own request), with the reason: the review is to
    be decided again. Refusing a review no longer awaiting approval changes nothing."""
    reason = _require_text(reason, "reason", "Give the reason for refusing the erasure.")
    review = _review_lock(review_id, actor)
    if review.status != ReviewStatus.ERASURE_REQUESTED:
        if review.status == ReviewStatus.DUE:
            return review
        raise RetentionError(
            f"This review is “{review.get_status_display().lower()}”: there is no erasure to refuse."
        )
    _move(review, ReviewStatus.DUE, actor=actor)
    review.refused_by, review.refused_at, review.refusal_reason = actor, timezone.now(), reason
    review.decided_by, review.decided_at = None, None
    review.save(
        update_fields=["status", "refused_by", "refused_at", "refusal_reason", "decided_by", "decided_at"]
    )
    _audit(review, actor, f"Retention review {review.pk}: erasure refused", request)
    return review


@transaction.atomic
def retention_review_erasure_approve(*, review_id, actor, request=None) -> ErasureRecord:
    """Approve the erasure another supervisor asked for, and carry it out (retention/erasure.py). The
    supervisor who asked cannot approve it (four eyes). Approving one already carried out returns its
    register entry."""
    review = _review_lock(review_id, actor)
    if review.status == ReviewStatus.ERASED:
        return review.erasure
    if review.status != ReviewStatus.ERASURE_REQUESTED:
        raise RetentionError("Nobody has asked for this record to be erased: there is nothing to approve.")
    if review.decided_by_id == actor.pk:
        raise RetentionError("You asked for this erasure: another supervisor must approve it.")
    requested_by = User.objects.get(pk=review.decided_by_id)
    _move(review, ReviewStatus.ERASED, actor=actor)
    try:
        record = person_erase(
            review=review,
            requested_by=requested_by,
            requested_at=review.decided_at,
            authorised_by=actor,
            request=request,
        )
    except ErasureRefused as exc:
        raise RetentionError(str(exc)) from exc
    review.approved_by, review.approved_at = actor, record.erased_at
    review.save(update_fields=["status", "approved_by", "approved_at"])
    return record

"""Scoped reads for retention: the review queue, one review, the erasure register and legal holds (a
force's supervisors; the queue and the register also its administrators), and which people fall due
for review on a day (the daily job's one query)."""

from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case as DbCase
from django.db.models import DateTimeField, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cases.models import Case, CaseEvent, Person, PersonChange, PersonMerge
from offenderhub.accounts.access import police_force_id_for
from reporting.models import SubsequentOffence

from .models import OPEN_REVIEW_STATUSES, ErasureRecord, LegalHold, RetentionReview, ReviewStatus
from .workflow import QUEUE_ROLES, REVIEWERS


def retention_force_id_for(user, roles=QUEUE_ROLES):
    """The police force whose retention work ``user`` may see with one of ``roles``; PermissionDenied
    (403) for anyone else, a partner agency's or commissioner's office's administrator included."""
    force_id = police_force_id_for(user, roles)
    if force_id is None:
        raise PermissionDenied
    return force_id


# --- When a case ended, and who falls due ----------------------------------------------------------


def case_ended_at():
    """When a case entered its current status (the timeline event that moved it there: index
    ``case_event_status_entry_idx``); for a record migrated without one, its latest event, or its
    opening. Over a Case queryset."""
    entered = (
        CaseEvent.objects.filter(~Q(status_after=""), case=OuterRef("pk"), status_after=OuterRef("status"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    latest = (
        CaseEvent.objects.filter(case=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )
    return Coalesce(Subquery(entered), Subquery(latest), F("created_at"))


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def review_from(today):
    """Over cases: the instant before which a case in its status must have ended to be due for review on
    ``today`` (``RETENTION_REVIEW_YEARS``: a case that ended on D with a 6-year period is due from D + 6
    years), or NULL for a status that never is (the case is still open)."""
    whens = [
        When(status=status, then=Value(_start_of(today - relativedelta(years=years) + timedelta(days=1))))
        for status, years in settings.RETENTION_REVIEW_YEARS.items()
    ]
    return DbCase(*whens, default=None, output_field=DateTimeField())


def activity_since(since):
    """Over people: whether anything was done to the record at or after ``since`` (other than through a
    case): recorded, a detail corrected or an alias added or ended (each a ``PersonChange``), a record
    merged into it or a merge of it undone, a police record imported for it."""
    person = OuterRef("pk")
    return (
        Q(created_at__gte=since)
        | Exists(PersonChange.objects.filter(person=person, changed_at__gte=since))
        | Exists(
            PersonMerge.objects.filter(Q(kept=person) | Q(merged=person)).filter(
                Q(merged_at__gte=since) | Q(undone_at__gte=since)
            )
        )
        | Exists(SubsequentOffence.objects.filter(person=person, source__imported_at__gte=since))
    )


def people_due_for_review(today):
    """The people, of every force, whose record falls due for review on ``today``: no legal hold on
    them or on a case of theirs, no review open, none kept until a later date, not erased and not merged
    into another record (which is reviewed, and erased, with it); and either they have cases, every one
    ended longer ago than its period, or they have none and nothing was done to their record for
    ``RETENTION_REVIEW_YEARS_WITHOUT_CASE`` (``activity_since``)."""
    # A case not due yet: still open, or ended too recently (when it ended is read only for an ended case).
    not_yet = (
        Case.objects.filter(person=OuterRef("pk"))
        .annotate(review_from=review_from(today))
        .filter(Q(review_from__isnull=True) | Q(review_from__lte=case_ended_at()))
    )
    has_case = Exists(Case.objects.filter(person=OuterRef("pk")))
    quiet_since = _start_of(
        today - relativedelta(years=settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE) + timedelta(days=1)
    )
    held = LegalHold.objects.filter(cleared_at__isnull=True).filter(
        Q(person=OuterRef("pk")) | Q(case__person=OuterRef("pk")) | Q(person__merged_into=OuterRef("pk"))
    )
    reviewed = RetentionReview.objects.filter(person=OuterRef("pk")).filter(
        Q(status__in=OPEN_REVIEW_STATUSES) | Q(status=ReviewStatus.RETAINED, retain_until__gt=today)
    )
    return Person.objects.filter(
        (has_case & ~Exists(not_yet)) | (~has_case & ~activity_since(quiet_since)),
        ~Exists(held),
        ~Exists(reviewed),
        erased_at=None,
        merged_into=None,
    )


# --- The queue, a review, the register -----------------------------------------------------------------


def _active_hold(**lookup):
    return Exists(LegalHold.objects.filter(cleared_at__isnull=True, **lookup))


def _cases_with_end():
    """Cases with when each ended (``ended_at``) and whether a legal hold is set on it (``on_hold``)."""
    return (
        Case.objects.annotate(ended_at=case_ended_at(), on_hold=_active_hold(case=OuterRef("pk")))
        .select_related("scheme")
        .order_by("-created_at", "-id")
    )


def review_queue_for(user):
    """The force's open reviews, oldest due first, each with its person (``person_on_hold``) and the
    person's cases (``person.case_list``: when each ended, whether it is held): two queries for a
    page, whatever its size."""
    force_id = retention_force_id_for(user)
    return (
        RetentionReview.objects.filter(force_id=force_id, status__in=OPEN_REVIEW_STATUSES)
        .annotate(person_on_hold=_active_hold(person=OuterRef("person_id")))
        .select_related("person", "decided_by")
        .prefetch_related(Prefetch("person__cases", queryset=_cases_with_end(), to_attr="case_list"))
        .order_by("due_on", "id")
    )


def review_get_for(user, pk, *, write=False):
    """One review of the reviewer's force (another force's is a 404)."""
    force_id = retention_force_id_for(user, REVIEWERS)
    reviews = RetentionReview.objects.filter(force_id=force_id)
    return get_object_or_404(
        reviews.select_related("person", "person__ethnicity", "decided_by", "approved_by", "refused_by"),
        pk=pk,
    )


def review_cases_for(review):
    """The reviewed person's cases, newest first, each with when it ended and whether it is held."""
    return list(_cases_with_end().filter(person_id=review.person_id))


def review_history_for(review):
    """The person's earlier reviews, newest first."""
    return list(
        RetentionReview.objects.filter(person_id=review.person_id)
        .exclude(pk=review.pk)
        .select_related("decided_by", "approved_by")
        .order_by("-due_on", "-id")
    )


def register_list_for(user):
    """The force's erasure register, newest first, with who asked and who authorised each."""
    force_id = retention_force_id_for(user)
    return ErasureRecord.objects.filter(force_id=force_id).select_related("requested_by", "authorised_by")


# --- Legal holds -------------------------------------------------------------------------------------


def holds_of(*, person=None, case=None):
    """Every hold on the person's record or on the case, newest first, the active one first."""
    holds = (
        LegalHold.objects.filter(person=person) if person is not None else LegalHold.objects.filter(case=case)
    )
    return list(
        holds.select_related("set_by", "cleared_by").order_by(F("cleared_at").desc(nulls_first=True), "-id")
    )

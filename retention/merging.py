"""What retention does when two records of a person are merged, or the merge undone: the handlers of
``cases.events``, registered in ``RetentionConfig.ready``, run inside the merge's transaction.

- Legal holds follow the person: the merged record's holds (set or cleared: their history) move to the
  kept record, but for a hold in force when the kept record has one in force too (one per record):
  that one stays on the merged record, and holds the kept record's erasure all the same
  (``erasure.erasure_refusal`` reads the holds of the records merged into a person's).
- Retention reviews: a review kept until a date moves with the cases it kept (the kept record is not
  flagged before that date); a review still to decide of the merged record is dropped, as it was the
  daily job's finding on cases that are now the kept record's: the job flags the kept record when every
  case of it is due. A merge is refused while an erasure of either record awaits approval.
- An undo moves back what moved. It is refused while an erasure of the kept record awaits approval,
  or when a legal hold was set on the kept record since the merge (nothing says which record's person
  it was meant for: clear it, undo, and set it on the right record).
"""

from django.db.models import Q

from cases.events import PersonMerged, PersonMergeUndoAsked, PersonMergeUndone
from cases.services import CaseError

from .models import LegalHold, RetentionReview, ReviewStatus


def retention_merge(event: PersonMerged) -> dict:
    people = [event.kept_id, event.merged_id]
    if RetentionReview.objects.filter(person__in=people, status=ReviewStatus.ERASURE_REQUESTED).exists():
        raise CaseError(
            "An erasure of one of these records awaits approval: have it refused, or approved, before "
            "merging."
        )
    holds = LegalHold.objects.select_for_update().filter(person_id=event.merged_id)
    if LegalHold.objects.filter(person_id=event.kept_id, cleared_at__isnull=True).exists():
        holds = holds.exclude(cleared_at__isnull=True)  # the kept record's own hold continues
    hold_ids = list(holds.order_by("pk").values_list("pk", flat=True))
    LegalHold.objects.filter(pk__in=hold_ids).update(person_id=event.kept_id)

    reviews = RetentionReview.objects.select_for_update().filter(person_id=event.merged_id)
    dropped = list(reviews.filter(status=ReviewStatus.DUE).order_by("pk").values_list("pk", flat=True))
    RetentionReview.objects.filter(pk__in=dropped).delete()
    review_ids = list(reviews.exclude(pk__in=dropped).order_by("pk").values_list("pk", flat=True))
    RetentionReview.objects.filter(pk__in=review_ids).update(person_id=event.kept_id)
    # Only what there was: the merge's audit row lists each by name.
    moved = {"legal_holds": hold_ids, "retention_reviews": review_ids, "retention_reviews_dropped": dropped}
    return {name: ids for name, ids in moved.items() if ids}


def retention_merge_undo_refusal(event: PersonMergeUndoAsked) -> str | None:
    if RetentionReview.objects.filter(
        person_id=event.kept_id, status=ReviewStatus.ERASURE_REQUESTED
    ).exists():
        return "An erasure of the kept record awaits approval: have it refused before undoing the merge."
    if LegalHold.objects.filter(
        person_id=event.kept_id, cleared_at__isnull=True, set_at__gt=event.merged_at
    ).exists():
        return (
            "A legal hold has been set on the kept record since the merge, and nothing says which record it "
            "is for: clear it, undo the merge, then set it on the right record."
        )
    return None


def retention_merge_undo(event: PersonMergeUndone) -> None:
    holds = event.moved.get("legal_holds", [])
    reviews = event.moved.get("retention_reviews", [])
    LegalHold.objects.filter(pk__in=holds, person_id=event.kept_id).update(person_id=event.merged_id)
    RetentionReview.objects.filter(Q(pk__in=reviews), person_id=event.kept_id).update(
        person_id=event.merged_id
    )

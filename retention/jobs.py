"""The daily retention job (offenderhub/core/jobs.py, ``retention_review``): flag the people whose record
falls due for review, and tell each force's administrators and supervisors in one notification a day
(a digest of how many, never a name).

Set-based and idempotent: one query finds who is due (``people_due_for_review``), and each force's are
claimed in a transaction of its own, their rows locked (SKIP LOCKED: a second worker takes none of
them) and checked again under the lock, so a review is opened once per person however often the job
runs; a person with a review open, or kept until a later date, is not due. A run that fails part way
keeps the forces it finished; the next run does the rest.

It also deletes the stored files an erasure left behind when its process died between committing and
deleting them (``erasure_files_remove``).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_system_record_many
from offenderhub.notifications.models import NotificationKind
from offenderhub.notifications.services import notify

from .erasure import erasure_files_remove
from .models import OPEN_REVIEW_STATUSES, RetentionReview
from .selectors import people_due_for_review

DUE_REASON = "Retention review due: every case of the person ended longer ago than its retention period"


def retention_reviews_flag(*, today) -> dict:
    files = erasure_files_remove()
    forces = people_due_for_review(today).order_by("force_id").values_list("force_id", flat=True).distinct()
    flagged = sum(_flag_force(force_id, today=today) for force_id in list(forces))
    return {"retention_reviews_flagged": flagged, "erasure_files_removed": files}


def _flag_force(force_id, *, today) -> int:
    """Open a review for each of the force's people due on ``today``, and tell its administrators and
    supervisors, in one transaction. Returns how many were flagged."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            people_due_for_review(today)
            .filter(force_id=force_id)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        reviews = RetentionReview.objects.bulk_create(
            RetentionReview(force_id=force_id, person_id=pk, due_on=today, flagged_at=now) for pk in due
        )
        content_type = ContentType.objects.get_for_model(RetentionReview)
        audit_system_record_many(
            records=[
                {
                    "action": AuditAction.CREATED,
                    "content_type": content_type,
                    "object_id": review.pk,
                    "object_label": review.audit_label(),
                    "owner_organisation_id": force_id,
                    "reason": DUE_REASON,
                }
                for review in reviews
            ],
            occurred_at=now,
        )
        waiting = RetentionReview.objects.filter(force_id=force_id, status__in=OPEN_REVIEW_STATUSES).count()
        recipients = User.objects.filter(
            organisation_id=force_id,
            is_active=True,
            role_assignments__role__in=[Role.ADMINISTRATOR, Role.SUPERVISOR],
        ).distinct()
        notify(
            kind=NotificationKind.RETENTION_REVIEW_DUE,
            users=list(recipients),
            url=reverse("retention:queue"),
            context={"flagged": len(reviews), "waiting": waiting},
            dedupe_key=f"retention-review-due:{force_id}:{today.isoformat()}",
        )
    return len(reviews)

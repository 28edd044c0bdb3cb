"""Retention review, legal holds and the erasure register (issue 15; DOMAIN.md, Data protection).

- ``LegalHold``: a supervisor's hold on a person's record or on one case: while it is set the record is
  never flagged for review and cannot be erased. Cleared, never deleted (who, when and why are kept).
- ``RetentionReview``: a person's record flagged by the daily job once every case of theirs ended longer
  ago than its retention period; a supervisor records "retain until ... because ..." or asks for
  erasure, which a second supervisor approves (four eyes).
- ``ErasureRecord``: the erasure register: what kind of record was erased, when, who asked for it and on
  whose authority, and how much was removed (counts only, never the content).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class LegalHold(models.Model):
    """A hold on a person's record (``person``) or on one case (``case``): exactly one of the two."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "cases.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField(help_text="Why the record must be kept (a claim, a complaint, an inquiry...).")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clear_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="legal_hold_person_or_case",
                condition=Q(person__isnull=False, case__isnull=True)
                | Q(person__isnull=True, case__isnull=False),
            ),
            # One hold in force per record, however many supervisors set one at once.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(cleared_at__isnull=True, person__isnull=False),
                name="one_hold_per_person",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(cleared_at__isnull=True, case__isnull=False),
                name="one_hold_per_case",
            ),
        ]

    def __str__(self):
        return f"Legal hold on {self.record_label}"

    @property
    def record_label(self):
        return f"person #{self.person_id}" if self.person_id else f"case #{self.case_id}"

    @property
    def is_active(self):
        return self.cleared_at is None

    def audit_label(self):
        return f"Legal hold {self.pk} on {self.record_label}"

    def audit_owner(self):
        return self.force


class ReviewStatus(models.TextChoices):
    DUE = "due", "To review"
    RETAINED = "retained", "Kept"
    ERASURE_REQUESTED = "erasure_requested", "Erasure awaiting approval"
    ERASED = "erased", "Erased"


OPEN_REVIEW_STATUSES = (ReviewStatus.DUE, ReviewStatus.ERASURE_REQUESTED)


class RetentionReview(models.Model):
    """One review of a person's record. A record kept until a date is flagged again (a new review) on
    that date, if it is still due then."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="retention_reviews")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DUE)
    due_on = models.DateField(help_text="The day the daily job found the record due for review.")
    flagged_at = models.DateTimeField(default=timezone.now)
    # The decision: kept until a date and why, or erasure asked for (decided_by), then approved.
    retain_until = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the record is kept.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The last refusal of an erasure asked for (the review is then to be decided again).
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # One open review per person, however often the job runs.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["due", "erasure_requested"]),
                name="one_open_retention_review_per_person",
            ),
            # Four eyes: whoever asked for the erasure never approves it.
            models.CheckConstraint(
                name="retention_erasure_approved_by_another",
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("decided_by")),
            ),
            models.CheckConstraint(
                name="retention_kept_until_a_date",
                condition=~Q(status="retained") | Q(retain_until__isnull=False),
            ),
        ]
        indexes = [
            # The queue: a force's open reviews, oldest due first.
            models.Index(
                fields=["force", "due_on", "id"],
                condition=Q(status__in=["due", "erasure_requested"]),
                name="retention_review_queue_idx",
            ),
            models.Index(fields=["person", "status"], name="retention_review_person_idx"),
        ]

    def __str__(self):
        return f"Retention review of person #{self.person_id} ({self.get_status_display()})"

    def audit_label(self):
        return f"Retention review {self.pk} of person #{self.person_id}"

    def audit_owner(self):
        return self.force

    @property
    def is_open(self):
        return self.status in OPEN_REVIEW_STATUSES


class RecordKind(models.TextChoices):
    PERSON = "person", "A person's record and their cases"


class ErasureRecord(models.Model):
    """An entry of the erasure register. Names the record by number only; ``removed`` counts what went
    (never what it said); ``files_pending`` lists the stored files still to delete (random names, no
    personal data), emptied once they are gone."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RecordKind.choices, default=RecordKind.PERSON)
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="erasures")
    case_references = models.JSONField(
        default=list, blank=True, help_text="The person's cases, by reference."
    )
    review = models.OneToOneField(RetentionReview, on_delete=models.PROTECT, related_name="erasure")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    authorised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    erased_at = models.DateTimeField(default=timezone.now)
    removed = models.JSONField(default=dict, blank=True, help_text="What was removed: counts by kind.")
    files_pending = models.JSONField(default=list, blank=True)
    files_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="erasure_authorised_by_another", condition=~Q(authorised_by=F("requested_by"))
            )
        ]

    def __str__(self):
        return f"Erasure of person #{self.person_id} on {self.erased_at:%d %b %Y}"

    def audit_label(self):
        return f"Erasure register entry {self.pk} (person #{self.person_id})"

    def audit_owner(self):
        return self.force

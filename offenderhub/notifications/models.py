"""The in-app inbox and its emails.

A notification says only what happened, the case reference and where to look: never a person's name
or anything else about the case (DOMAIN.md, Data protection), because it also travels by email.
It goes either to one user or to an organisation's shared inbox (seen by that organisation's
partner staff, and emailed to the organisation's ``email`` address). ``dedupe_key`` lets a job
notify about the same thing as often as it runs and still make one notification.

The notification is also the email's outbox: ``email_status`` says whether it is waiting to be
emailed, being emailed (claimed by a worker at ``email_claimed_at``), emailed, left for the weekly
digest, or not emailed at all. A job queued on commit sends it at once; when that job is lost (the
broker down, a process killed) the outbox sweep sends it within a minute.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    REFERRAL_SENT = "referral_sent", "Referral sent"
    REFERRAL_ASSIGNED = "referral_assigned", "Referral assigned"
    REFERRAL_DECLINED = "referral_declined", "Referral declined"
    REFERRAL_WITHDRAWN = "referral_withdrawn", "Referral withdrawn"
    CONCERN_RAISED = "concern_raised", "Concern raised"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    REPORT_SUBMITTED = "report_submitted", "End-of-intervention report submitted"
    CONDITION_DUE = "condition_due", "Condition due soon"
    CONDITION_OVERDUE = "condition_overdue", "Condition overdue"
    BREACH_REVIEW_OPENED = "breach_review_opened", "Breach review opened"
    BREACH_REVIEW_ESCALATED = "breach_review_escalated", "Breach review escalated"
    PROSECUTION_RESUMED = "prosecution_resumed", "Prosecution resumed"
    TIME_LIMIT_WARNING = "time_limit_warning", "Time limit approaching"
    TIME_LIMIT_CHANGED = "time_limit_changed", "Time limit changed"
    CASE_CORRECTED = "case_corrected", "Case corrected: review the decision"
    REFERRAL_CHASE = "referral_chase", "Referral awaiting a response"
    APPOINTMENT_OUTCOME_MISSING = "appointment_outcome_missing", "Appointment outcome missing"
    DIGEST = "digest", "Digest"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken", "Audit log tampered with"
    RETENTION_REVIEW_DUE = "retention_review_due", "Records due for retention review"
    ERASURE_AWAITING_APPROVAL = "erasure_awaiting_approval", "Erasure awaiting approval"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be emailed"
    SENDING = "sending", "Being emailed"
    SENT = "sent", "Emailed"
    DIGEST = "digest", "Left for the weekly digest"
    NOT_SENT = "not_sent", "Not emailed"


# A claim older than this is a worker that died while sending: the sweep may claim the email again.
# Far longer than one send can take (the SMTP connection times out after EMAIL_TIMEOUT) and than the
# sending task's hard time limit, so a live worker never loses its claim.
EMAIL_CLAIM_EXPIRES = timedelta(minutes=15)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    recipient_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="An agency's shared inbox, seen by all of its partner staff.",
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The plain-text message: what happened, the case reference, a link.")
    body_html = models.TextField(blank=True, help_text="The same message as HTML, for the email.")
    url = models.CharField(max_length=500, help_text="The page to open, as a path within the service.")
    case_reference = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was emailed, alone or in a digest."
    )
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker claimed the email to send it (while being emailed)."
    )
    dedupe_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Unique when set, per recipient: a job that notifies twice makes one notification.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="notification_exactly_one_recipient",
                condition=Q(recipient__isnull=False, recipient_organisation__isnull=True)
                | Q(recipient__isnull=True, recipient_organisation__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="notification_dedupe_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_user_unread_idx"),
            models.Index(fields=["recipient_organisation", "read_at"], name="notification_org_unread_idx"),
            # The inbox's pages, newest first: one index per kind of recipient, so a page reads its
            # 25 rows from each (InboxPages) instead of sorting every notification the inbox holds.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(recipient__isnull=False),
                name="notification_user_inbox_idx",
            ),
            models.Index(
                fields=["recipient_organisation", "-created_at", "-id"],
                condition=Q(recipient_organisation__isnull=False),
                name="notification_org_inbox_idx",
            ),
            # The outbox: only the few rows waiting to be emailed, however many have been.
            models.Index(
                fields=["id"],
                condition=Q(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING]),
                name="notification_outbox_idx",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_unread(self):
        return self.read_at is None

    @property
    def wants_digest(self) -> bool:
        """The recipient asked for a weekly digest instead of an email per notification."""
        if self.recipient_id:
            return self.recipient.email_digest
        return self.recipient_organisation.email_digest

    @property
    def email_address(self) -> str:
        """Where the email goes: the user's own address, or the organisation's shared inbox (may be
        blank, and then no email is sent)."""
        if self.recipient_id:
            return self.recipient.email if self.recipient.is_active else ""
        organisation = self.recipient_organisation
        return organisation.email if organisation.is_active else ""

    def email_status_due(self) -> str:
        """What the recipient's settings ask for now: an email of its own (PENDING), the weekly
        digest (DIGEST), or no email when there is no address to send it to (NOT_SENT)."""
        if not self.email_address:
            return EmailStatus.NOT_SENT
        return EmailStatus.DIGEST if self.wants_digest else EmailStatus.PENDING

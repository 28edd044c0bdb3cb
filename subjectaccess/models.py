"""Subject access requests (Data Protection Act 2018, Part 3, s.45): a person asks the force for a
copy of everything it holds about them. The request is recorded with when it was received and from
whom, and its deadline (s.54: one month from the relevant time); a supervisor has the export produced
(a readable PDF and a machine-readable archive), records what is withheld and on which ground
(s.45(4), with the reasons kept as s.45(7) requires), and records when the response was released.

The request holds personal data (who asked, and the export's files): an erasure of the person must
reach its rows and its files under ``MEDIA_ROOT/subject-access/``.
"""

import uuid

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.utils import timezone

from conditions.models import private_storage


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "Export produced: being reviewed"
    RELEASED = "released", "Released"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_REQUEST_STATUSES = frozenset({RequestStatus.RECEIVED, RequestStatus.IN_REVIEW})


class RequesterKind(models.TextChoices):
    DATA_SUBJECT = "data_subject", "The person themselves"
    REPRESENTATIVE = "representative", "Someone acting for them, with their written authority"


class ReleaseMethod(models.TextChoices):
    POST = "post", "By post"
    EMAIL = "email", "By secure email"
    IN_PERSON = "in_person", "Collected in person"


class ExemptionGround(models.TextChoices):
    """The grounds on which s.45(4) lets a controller restrict the right of access, wholly or partly,
    for as long as the restriction is necessary and proportionate."""

    INQUIRY = "inquiry", "To avoid obstructing an official or legal inquiry, investigation or procedure"
    CRIME = (
        "crime",
        (
            "To avoid prejudicing the prevention, detection, investigation or prosecution of criminal "
            "offences or the execution of criminal penalties"
        ),
    )
    PUBLIC_SECURITY = "public_security", "To protect public security"
    NATIONAL_SECURITY = "national_security", "To protect national security"
    OTHERS = "others", "To protect the rights and freedoms of others (for example a victim or a witness)"


# The paragraph of s.45(4) each ground is, as the response names it.
EXEMPTION_PARAGRAPHS = {
    ExemptionGround.INQUIRY: "45(4)(a)",
    ExemptionGround.CRIME: "45(4)(b)",
    ExemptionGround.PUBLIC_SECURITY: "45(4)(c)",
    ExemptionGround.NATIONAL_SECURITY: "45(4)(d)",
    ExemptionGround.OTHERS: "45(4)(e)",
}


def response_due_on(received_on, identity_confirmed_on=None):
    """The last day to respond: one calendar month from the relevant time (DPA 2018 s.45(3) and s.54),
    the later of the day the request was received and the day the information asked for to confirm
    the requester's identity (s.52(4)) was received. As the ICO counts it: the same date in the next
    month, or that month's last day when it has no such date (31 January: 28 or 29 February). Not moved
    to a working day: legal limits stay in calendar days and months, and the earlier date is the safe one."""
    relevant = max(filter(None, [received_on, identity_confirmed_on]))
    return relevant + relativedelta(months=1)


def export_path(instance, filename):
    return f"subject-access/{instance.pk}/{uuid.uuid4().hex}-{filename}"


class SubjectAccessRequest(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    force = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="subject_access_requests"
    )
    received_on = models.DateField("date the request was received")
    requester_kind = models.CharField("who made the request", max_length=16, choices=RequesterKind.choices)
    received_from = models.CharField(
        "received from",
        max_length=200,
        help_text="The name of whoever made the request and how it came (for example by letter or email).",
    )
    identity_confirmed_on = models.DateField(
        "date the requester's identity was confirmed",
        null=True,
        blank=True,
        help_text="When the information asked for to confirm their identity arrived, if any was asked for.",
    )
    due_on = models.DateField("respond by", editable=False)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    # The export: asked for by a person, claimed by one job at a time, then produced. A redaction
    # recorded after it was produced makes it out of date until it is produced again.
    export_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    export_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    export_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    export_produced_at = models.DateTimeField(null=True, blank=True, editable=False)
    export_pdf = models.FileField(
        upload_to=export_path, storage=private_storage, max_length=200, blank=True, editable=False
    )
    export_pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    export_archive = models.FileField(
        upload_to=export_path, storage=private_storage, max_length=200, blank=True, editable=False
    )
    export_archive_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    export_summary = models.JSONField(
        default=dict, blank=True, editable=False, help_text="What the export held: counts and its items."
    )
    redactions_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    export_deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the daily job deleted the export's files, SUBJECT_ACCESS_EXPORT_KEEP_DAYS after the "
        "request was closed (subjectaccess/files.py).",
    )

    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_method = models.CharField(max_length=10, choices=ReleaseMethod.choices, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["force", "status", "due_on", "id"], name="sar_force_status_due_idx"),
            models.Index(fields=["person", "-received_on"], name="sar_person_idx"),
        ]

    def __str__(self):
        return self.reference

    def audit_label(self):
        return f"Subject access request {self.reference}"

    def audit_owner(self):
        return self.force

    @property
    def is_open(self):
        return self.status in OPEN_REQUEST_STATUSES

    @property
    def export_pending(self) -> bool:
        """Asked for and not produced since."""
        return self.export_requested_at is not None and (
            self.export_produced_at is None or self.export_produced_at < self.export_requested_at
        )

    @property
    def export_out_of_date(self) -> bool:
        """Produced, but a redaction was recorded since: produce it again before releasing it."""
        return bool(
            self.export_produced_at
            and self.redactions_changed_at
            and self.redactions_changed_at > self.export_produced_at
        )

    def days_left(self, today=None) -> int:
        return (self.due_on - (today or timezone.localdate())).days


class Redaction(models.Model):
    """Something withheld from the response, and why: an item of the export (a record, or one field of
    it) or, with no item, the response as a whole. The ground is told to the requester (s.45(5)); the
    reasons are kept for the Information Commissioner (s.45(7)) and are not in the response."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.CASCADE, related_name="redactions")
    item = models.CharField(
        max_length=80,
        blank=True,
        help_text="The item as the export names it (case-12, or case-12.victim_views for one field).",
    )
    ground = models.CharField(max_length=20, choices=ExemptionGround.choices)
    reasons = models.TextField(help_text="Why the restriction is necessary and proportionate.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self):
        return f"{self.item or 'Whole response'}: {self.get_ground_display()}"

    @property
    def paragraph(self):
        return EXEMPTION_PARAGRAPHS[ExemptionGround(self.ground)]

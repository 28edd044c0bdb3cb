"""The partner directory: the services agencies offer, which pathways they cover and where.

The needs assessment suggests services from here; referrals to them come with the referrals issue."""

import uuid

from django.core.files.storage import storages
from django.core.validators import MaxValueValidator
from django.db import models

from offenderhub.accounts.models import Area, Organisation, OrganisationKind


def private_storage():
    """Uploaded evidence: a storage outside the static root, never served directly."""
    return storages["private"]


class Service(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="services",
        limit_choices_to={"kind": OrganisationKind.PARTNER_AGENCY},
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    pathways = models.JSONField(default=list, help_text="The assessment pathways the service answers.")
    areas = models.ManyToManyField(
        Area, blank=True, related_name="services", help_text="Areas served. None chosen: every area."
    )
    contact_email = models.EmailField("referral inbox", blank=True)
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Open referrals the service can hold. Blank: not limited."
    )
    first_contact_working_days = models.PositiveSmallIntegerField(
        "service level: working days to first contact", default=5, validators=[MaxValueValidator(60)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="service_name_unique_in_agency")
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    def clean(self):
        from django.core.exceptions import ValidationError

        from assessments.models import Pathway

        unknown = set(self.pathways or []) - set(Pathway.values)
        if unknown:
            raise ValidationError({"pathways": f"Unknown pathways: {', '.join(sorted(unknown))}."})
        if self.organisation_id and self.organisation.kind != OrganisationKind.PARTNER_AGENCY:
            raise ValidationError({"organisation": "Services belong to partner agencies."})

    @property
    def pathway_labels(self):
        from assessments.models import Pathway

        labels = dict(Pathway.choices)
        return [labels.get(p, p) for p in self.pathways]


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    NOT_COMPLETED = "not_completed", "Not completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_REFERRAL_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})

# The partner workspace's tabs by status (referrals.selectors.TABS), in a fixed order: the lists and
# their partial indexes (Referral.Meta) must name the same statuses for the database to use them.
WORKSPACE_TAB_STATUSES = {
    "unassigned": ("sent",),
    "open": ("accepted", "in_progress", "sent"),
    "completed": ("completed", "not_completed"),
    "closed": ("declined", "withdrawn"),
}


def _workspace_indexes():
    """For each tab of the workspace, the agency's referrals in it by due date and by date sent (the
    default sort and the other dated one), so a page of 25 is read in order from an index holding
    only that tab's referrals, however long the agency's history."""
    return [
        models.Index(
            fields=["organisation", column, "id"],
            condition=models.Q(status__in=statuses),
            name=f"referral_{tab}_{label}_idx",
        )
        for tab, statuses in WORKSPACE_TAB_STATUSES.items()
        for column, label in (("due_date", "due"), ("sent_at", "sent"))
    ]


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", "No capacity"
    OUT_OF_AREA = "out_of_area", "Outside the area served"
    NOT_SUITABLE = "not_suitable", "The service does not meet this need"
    RISK = "risk", "Risk too high for the service"
    ALREADY_ENGAGED = "already_engaged", "Already engaged with the service"
    OTHER = "other", "Other"


class WithdrawReason(models.TextChoices):
    CONDITION_VARIED = "condition_varied", "Condition varied or withdrawn"
    CASE_CLOSED = "case_closed", "Case ended (breach confirmed or withdrawn)"
    WRONG_SERVICE = "wrong_service", "Referred to the wrong service"
    PERSON_MOVED = "person_moved", "Person moved out of the area"
    OTHER = "other", "Other"


class Referral(models.Model):
    """A referral of a person on a case to a partner's service, usually to deliver a condition."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    condition = models.ForeignKey(
        "conditions.Condition", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_received"
    )
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    reason = models.TextField()
    needs = models.JSONField(default=list, blank=True, help_text="The assessment pathways relevant to it.")
    needs_summary = models.TextField("relevant needs", blank=True)
    risk_summary = models.TextField("relevant risks", blank=True)
    due_date = models.DateField()
    interpreter_language = models.CharField(max_length=60, blank=True)
    availability = models.CharField(max_length=300, blank=True, help_text="When the person can attend.")
    access_needs = models.TextField(blank=True)
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    practitioner = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_referrals"
    )
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    withdraw_reason = models.CharField(max_length=20, choices=WithdrawReason.choices, blank=True)
    closing_notes = models.TextField(blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    chased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            # The tab counts: every status of the agency's referrals, and whose they are, read from
            # the index alone.
            models.Index(fields=["organisation", "status", "practitioner"], name="referral_org_counts_idx"),
            models.Index(
                fields=["practitioner", "status", "due_date", "id"], name="referral_practitioner_idx"
            ),
            *_workspace_indexes(),
            # Referrals waiting for the agency, by when they were sent: the supervisor's data-quality
            # page (reporting/quality.py) reads only these.
            models.Index(
                fields=["sent_at", "id"], condition=models.Q(status="sent"), name="referral_waiting_idx"
            ),
        ]
        constraints = [
            # One live referral per condition: a second one is a mistake or a double submit.
            models.UniqueConstraint(
                fields=["condition"],
                condition=models.Q(status__in=["sent", "accepted", "in_progress"]),
                name="one_open_referral_per_condition",
            )
        ]

    def __str__(self):
        return f"Referral {self.pk} to {self.service}"

    def audit_label(self):
        return f"Referral {self.pk} on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

    @property
    def is_open(self):
        return self.status in OPEN_REFERRAL_STATUSES


class DesiredOutcome(models.Model):
    class Result(models.TextChoices):
        ACHIEVED = "achieved", "Achieved"
        PARTLY = "partly", "Partly achieved"
        NOT_ACHIEVED = "not_achieved", "Not achieved"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="outcomes")
    text = models.CharField(max_length=300)
    result = models.CharField(max_length=14, choices=Result.choices, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.text


class Assignment(models.Model):
    """Who held the referral at the agency, and who moved it: the reassignment history."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="assignments")
    practitioner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]

    def __str__(self):
        return f"{self.practitioner} from {self.assigned_at:%d %b %Y}"


class AppointmentFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


class AppointmentSetting(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One-to-one"
    GROUP = "group", "Group"


class Attendance(models.TextChoices):
    ATTENDED = "attended", "Attended"
    LATE = "late", "Attended late"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    NOT_HELD = "not_held", "Did not take place"


class NonAttendance(models.TextChoices):
    ACCEPTABLE = "acceptable", "Acceptable reason"
    UNACCEPTABLE = "unacceptable", "Unacceptable reason"
    LOGISTICAL = "logistical", "Logistical (service, transport, venue)"


class Engagement(models.TextChoices):
    GOOD = "good", "Engaged well"
    SOME = "some", "Some engagement"
    POOR = "poor", "Poor engagement"


class RescheduleRequester(models.TextChoices):
    PERSON = "person", "The person"
    AGENCY = "agency", "The agency"
    POLICE = "police", "The police"


class Appointment(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    format = models.CharField(max_length=10, choices=AppointmentFormat.choices)
    setting = models.CharField(max_length=12, choices=AppointmentSetting.choices)
    location = models.CharField(max_length=200, blank=True)
    attendance = models.CharField(max_length=16, choices=Attendance.choices, blank=True)
    late_reason = models.CharField(max_length=300, blank=True)
    non_attendance = models.CharField(max_length=14, choices=NonAttendance.choices, blank=True)
    non_attendance_notes = models.TextField(blank=True)
    summary = models.TextField("session summary", blank=True)
    engagement = models.CharField(
        "the person's response", max_length=6, choices=Engagement.choices, blank=True
    )
    behaviour = models.TextField(blank=True)
    concerns = models.TextField(blank=True)
    alert_case_worker = models.BooleanField(default=False)
    outcome_recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    rescheduled_to = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_from"
    )
    reschedule_requested_by = models.CharField(max_length=8, choices=RescheduleRequester.choices, blank=True)
    reschedule_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    outcome_chased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            # Sessions still waiting for their outcome (the workspace's "Outcome to record"): a few
            # per open referral, however many sessions have been held.
            models.Index(
                fields=["referral", "starts_at"],
                condition=models.Q(attendance="", rescheduled_to__isnull=True),
                name="appointment_awaiting_idx",
            )
        ]

    def __str__(self):
        return f"Appointment {self.starts_at:%d %b %Y %H:%M}"

    @property
    def is_rescheduled(self):
        return self.rescheduled_to_id is not None

    @property
    def awaiting_outcome(self):
        from django.utils import timezone

        return not self.attendance and not self.is_rescheduled and self.starts_at <= timezone.now()


class ReferralNote(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Note by {self.author} on referral {self.referral_id}"


class EndReport(models.Model):
    class Result(models.TextChoices):
        COMPLETED = "completed", "Completed: the condition is met"
        NOT_COMPLETED = "not_completed", "Not completed: the condition is not met"

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="end_report")
    result = models.CharField(max_length=14, choices=Result.choices)
    summary = models.TextField()
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Report on referral {self.referral_id}: {self.get_result_display()}"


class EvidenceKind(models.TextChoices):
    CERTIFICATE = "certificate", "Attendance certificate"
    LETTER = "letter", "Letter"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


EVIDENCE_TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


def evidence_path(instance, filename):
    return f"evidence/{instance.referral_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """An uploaded document, stored outside the static root under a random name and served only
    through a view that checks access and audits the download."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=12, choices=EvidenceKind.choices)
    file = models.FileField(upload_to=evidence_path, storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.original_name

    def audit_label(self):
        """By number, type and size, never the uploaded file's name (often a person's name), which
        an audit row would keep for good."""
        kind = EVIDENCE_TYPE_NAMES.get(self.content_type, "document")
        kilobytes = max(1, -(-self.size // 1024))  # rounded up
        return f"Evidence {self.pk} ({kind}, {kilobytes} KB) on referral {self.referral_id}"

    def audit_owner(self):
        return self.referral.case.force

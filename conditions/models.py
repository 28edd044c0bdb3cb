"""Conditions, the caution that makes them binding, compliance, variations, breach and the resumed
prosecution (DOMAIN.md, Law; DESIGN.md, journey steps 4-7)."""

import hashlib
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from cases.models import Case
from offenderhub.accounts.models import Organisation, OrganisationKind


class ConditionKind(models.TextChoices):
    REHABILITATIVE = "rehabilitative", "Rehabilitative"
    REPARATIVE = "reparative", "Reparative"
    PUNITIVE = "punitive", "Punitive"
    RESTRICTIVE = "restrictive", "Restrictive"


# Attendance for reparation or punishment counts toward the disposal's hours cap; rehabilitation does not.
CAPPED_KINDS = frozenset({ConditionKind.REPARATIVE, ConditionKind.PUNITIVE})


class AmountKind(models.TextChoices):
    NONE = "", "No payment"
    PENALTY = "penalty", "Financial penalty (capped by offence classification)"
    COMPENSATION = "compensation", "Compensation to the victim"


class ConditionTemplate(models.Model):
    """The catalogue: the common conditions, with wording a case worker makes specific.

    The national entries (no ``force``) are kept by superusers; each force's administrators keep
    entries of their own, which only that force's case workers are offered."""

    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
        help_text="The force whose own entry this is; empty for the national catalogue every force uses.",
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=ConditionKind.choices)
    wording = models.TextField(
        help_text="Suggested wording; the case worker makes it specific and measurable."
    )
    default_duration_days = models.PositiveSmallIntegerField(default=28)
    default_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    amount_kind = models.CharField(max_length=12, choices=AmountKind.choices, blank=True, default="")
    needs_referral = models.BooleanField(
        default=False, help_text="Delivered by a partner through a referral."
    )
    pathway = models.CharField(
        max_length=24, blank=True, help_text="The assessment pathway it answers, to suggest services."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(force=None),
                name="condition_template_national_name_unique",
            ),
            models.UniqueConstraint(fields=["force", "name"], name="condition_template_name_unique_in_force"),
        ]

    def __str__(self):
        return self.name


class ConditionStatus(models.TextChoices):
    PENDING = "pending", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Varied"
    # Found breached by a confirmed breach decision (no reasonable excuse): the prosecution resumed
    # because of it. The case's other live conditions are withdrawn when the caution ceases.
    BREACHED = "breached", "Breached"


LIVE_CONDITION_STATUSES = frozenset({ConditionStatus.PENDING, ConditionStatus.IN_PROGRESS})
# The conditions the person must meet (or had to): not withdrawn, nor replaced by a variation.
BINDING_CONDITION_STATUSES = frozenset(
    {
        ConditionStatus.PENDING,
        ConditionStatus.IN_PROGRESS,
        ConditionStatus.COMPLETE,
        ConditionStatus.FAILED,
        ConditionStatus.BREACHED,
    }
)
# The ends a condition cannot come back from on its own: each records its outcome date and notes.
OUTCOME_CONDITION_STATUSES = frozenset(
    {ConditionStatus.COMPLETE, ConditionStatus.FAILED, ConditionStatus.WITHDRAWN, ConditionStatus.BREACHED}
)


class Condition(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conditions")
    template = models.ForeignKey(ConditionTemplate, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=ConditionKind.choices)
    wording = models.TextField(help_text="Specific and measurable: what, where, how often, by when.")
    due_date = models.DateField()
    responsible_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    amount_kind = models.CharField(max_length=12, choices=AmountKind.choices, blank=True, default="")
    amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    needs_referral = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ConditionStatus.choices, default=ConditionStatus.PENDING, db_index=True
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)
    # Set once by whoever first notices the due date passed (a person or the overdue sweep).
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="condition_status_due_idx"),
            # Live conditions nobody owns: the supervisor's data-quality page (reporting/quality.py).
            models.Index(
                fields=["case", "due_date", "id"],
                condition=models.Q(
                    owner__isnull=True, status__in=sorted(s.value for s in LIVE_CONDITION_STATUSES)
                ),
                name="condition_live_no_owner_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="condition_amount_not_negative",
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
            ),
            models.CheckConstraint(
                name="condition_hours_not_negative",
                condition=models.Q(hours__isnull=True) | models.Q(hours__gte=0),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.wording[:60]}"

    def audit_label(self):
        return f"Condition on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.status in LIVE_CONDITION_STATUSES and self.due_date < today

    @property
    def counts_toward_hours_cap(self):
        return self.kind in CAPPED_KINDS


class RecordKind(models.TextChoices):
    NOTE = "note", "Note"
    ATTENDANCE = "attendance", "Attendance confirmed"
    PAYMENT = "payment", "Payment receipt seen"
    DOCUMENT = "document", "Document seen (letter, certificate)"
    PARTNER_REPORT = "partner_report", "Report from the partner"
    CONTACT = "contact", "Contact with the person"


class ConditionRecord(models.Model):
    """Evidence and notes against a condition: what was seen, by whom, when."""

    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=16, choices=RecordKind.choices, default=RecordKind.NOTE)
    text = models.TextField()
    reference = models.CharField(max_length=100, blank=True, help_text="Receipt number, certificate id...")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.condition}"


class PeriodExtension(models.Model):
    """A supervisor's approval for conditions due after the scheme's default period, up to its maximum."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="period_extension")
    days = models.PositiveSmallIntegerField()
    reason = models.TextField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"{self.days} days on {self.case}"


class VariationKind(models.TextChoices):
    NEW_DUE_DATE = "new_due_date", "New due date"
    NEW_CONDITION = "new_condition", "New condition"


class VariationStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class Variation(models.Model):
    """A change to the conditions after the caution: reason, the person's consent, a decision-maker's
    approval. Approving it supersedes the old condition with a new one, so the history stays."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="variations")
    kind = models.CharField(max_length=16, choices=VariationKind.choices)
    status = models.CharField(
        max_length=10, choices=VariationStatus.choices, default=VariationStatus.PROPOSED, db_index=True
    )
    condition = models.ForeignKey(
        Condition, on_delete=models.PROTECT, null=True, blank=True, related_name="variations"
    )
    new_due_date = models.DateField(null=True, blank=True)
    # For a new condition: its terms, applied on approval.
    proposed = models.JSONField(default=dict, blank=True)
    result = models.ForeignKey(Condition, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField()
    person_consented = models.BooleanField(default=False)
    consented_on = models.DateField(null=True, blank=True)
    breach_review = models.ForeignKey(
        "BreachReview", on_delete=models.PROTECT, null=True, blank=True, related_name="variations"
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.case}"

    def audit_label(self):
        return f"Variation on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force


def private_storage():
    """The storage for private files (settings.STORAGES["private"], under MEDIA_ROOT), which no URL
    serves: the same one as uploaded evidence. Only views that check access read from it."""
    return storages["private"]


def caution_document_name(case_id, administered_on) -> str:
    """Where a signed caution document is kept: by the month it was given, named after its case, with
    a random part so that a document is never written over."""
    return f"cautions/{administered_on:%Y/%m}/case-{case_id}-{uuid.uuid4().hex[:12]}.pdf"


def caution_document_path(instance, filename):
    return caution_document_name(instance.case_id, instance.administered_on or timezone.localdate())


class Caution(models.Model):
    """The five statutory requirements as recorded when the caution was given, and the signed document."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="caution")
    administered_on = models.DateField()
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    place = models.CharField(max_length=150)
    admission_words = models.TextField("the admission, in the person's words")
    effect_explained = models.BooleanField(default=False)
    warning_given = models.BooleanField(default=False)
    consented = models.BooleanField(default=False)
    signed = models.BooleanField(default=False)
    interpreter = models.CharField(max_length=150, blank=True)
    appropriate_adult = models.CharField(max_length=150, blank=True)
    period_ends_on = models.DateField()
    # The signed document: a file in the private storage, written before this row is saved, checked
    # against document_sha256 whenever it is served (conditions/document_store.py). Not in the row, so
    # lists, the extract and select_related never carry it.
    document = models.FileField(
        upload_to=caution_document_path, storage=private_storage, max_length=200, blank=True, editable=False
    )
    document_sha256 = models.CharField(max_length=64, blank=True)
    ceased_on = models.DateField(null=True, blank=True)
    ceased_reason = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    def __str__(self):
        return f"Caution on {self.case}"

    def audit_label(self):
        return f"Caution on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()


class BreachStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature", "Awaiting countersignature"
    EXCUSED = "excused", "Excused"
    BREACH_CONFIRMED = "breach_confirmed", "Breach confirmed"


OPEN_BREACH_STATUSES = frozenset({BreachStatus.OPEN, BreachStatus.AWAITING_COUNTERSIGNATURE})


class BreachOutcome(models.TextChoices):
    EXCUSED_CONTINUE = "excused_continue", "Reasonable excuse: the conditions continue"
    EXCUSED_VARY = "excused_vary", "Reasonable excuse: vary the conditions"
    BREACH_CONFIRMED = "breach_confirmed", "No reasonable excuse: breach confirmed, prosecution resumes"


class BreachReview(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="breach_reviews")
    status = models.CharField(
        max_length=28, choices=BreachStatus.choices, default=BreachStatus.OPEN, db_index=True
    )
    conditions = models.ManyToManyField(Condition, related_name="breach_reviews", help_text="What led to it.")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    opened_reason = models.TextField()
    decision_due_on = models.DateField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The decision.
    breached_conditions = models.ManyToManyField(Condition, related_name="+", blank=True)
    person_account = models.TextField("the person's account", blank=True)
    alternatives_tried = models.TextField(blank=True)
    reasonable_excuse = models.BooleanField(null=True)
    outcome = models.CharField(max_length=20, choices=BreachOutcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersignature_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open review per case, however many people or jobs try to open one.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["open", "awaiting_countersignature"]),
                name="one_open_breach_review_per_case",
            )
        ]
        indexes = [
            # The home page's lists of undecided reviews (newest first, and by decision date): only
            # the open ones, so a list of ten is read in order however many have been decided.
            models.Index(
                fields=["-opened_at", "-id"],
                condition=models.Q(status__in=["awaiting_countersignature", "open"]),
                name="breach_review_open_recent_idx",
            ),
            models.Index(
                fields=["decision_due_on", "id"],
                condition=models.Q(status__in=["awaiting_countersignature", "open"]),
                name="breach_review_open_due_idx",
            ),
        ]

    def __str__(self):
        return f"Breach review on {self.case}"

    def audit_label(self):
        return f"Breach review on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

    @property
    def is_open(self):
        return self.status in OPEN_BREACH_STATUSES

    def is_overdue(self, today=None):
        return self.is_open and self.decision_due_on < (today or timezone.localdate())


class ProsecutionMethod(models.TextChoices):
    CHARGE = "charge", "Charge"
    REQUISITION = "requisition", "Written charge and requisition"


class ProsecutionOutcome(models.TextChoices):
    PENDING = "pending", "Awaiting the court"
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    DISCONTINUED = "discontinued", "Discontinued"
    OUT_OF_TIME = "out_of_time", "Not started: out of time"


class Prosecution(models.Model):
    """The prosecution resumed after a confirmed breach: one per case."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="prosecution")
    breach_review = models.OneToOneField(BreachReview, on_delete=models.PROTECT, related_name="prosecution")
    resumed_at = models.DateTimeField(default=timezone.now, editable=False)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    latest_proceedings_date = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=12, choices=ProsecutionMethod.choices, blank=True)
    proceedings_started_on = models.DateField("charge or requisition date", null=True, blank=True)
    court = models.CharField(max_length=150, blank=True)
    first_hearing_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(
        max_length=14, choices=ProsecutionOutcome.choices, default=ProsecutionOutcome.PENDING
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)
    # Side effects carried out by the prosecution-resumption job (jobs issue).
    case_file_team_notified_at = models.DateTimeField(null=True, blank=True)
    victim_notification_due_on = models.DateField(null=True, blank=True)
    victim_notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Prosecution on {self.case}"

    @property
    def awaiting_start(self) -> bool:
        """Resumed, but no charge or requisition yet: the six-month limit still matters."""
        return self.proceedings_started_on is None and self.outcome == ProsecutionOutcome.PENDING

    def audit_label(self):
        return f"Prosecution on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

"""Reoffending data imported from police records, and the out-of-court disposal scrutiny panel's
samples and findings (DOMAIN.md, What is measured)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutcomeType(models.TextChoices):
    CONVICTION = "conviction", "Conviction"
    CAUTION = "caution", "Caution"


class ReoffendingImport(models.Model):
    """One uploaded file: all of its rows were valid and saved together, or nothing was."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField()
    rows_added = models.PositiveIntegerField()
    rows_already_held = models.PositiveIntegerField()
    rows_unmatched = models.PositiveIntegerField(help_text="Valid rows for PNC IDs of nobody on a case.")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.imported_at:%d %b %Y})"


class SubsequentOffence(models.Model):
    """An offence from police records, proven by a conviction or caution, matched to a person by PNC ID.
    Used both for proven reoffending (after the caution) and for the cost of crime before and after."""

    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="recorded_offences")
    offence = models.ForeignKey("cases.Offence", on_delete=models.PROTECT, related_name="+")
    offence_date = models.DateField()
    outcome_type = models.CharField(max_length=12, choices=OutcomeType.choices)
    outcome_date = models.DateField()
    source = models.ForeignKey(ReoffendingImport, on_delete=models.PROTECT, related_name="offences")

    class Meta:
        ordering = ["offence_date", "id"]
        constraints = [
            # Re-importing the same record adds nothing.
            models.UniqueConstraint(
                fields=["person", "offence", "offence_date", "outcome_type", "outcome_date"],
                name="subsequent_offence_unique",
            ),
            models.CheckConstraint(
                name="subsequent_offence_proven_after_committed",
                condition=models.Q(outcome_date__gte=models.F("offence_date")),
            ),
        ]

    def __str__(self):
        return f"{self.offence} on {self.offence_date}"


class Finding(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    OBSERVATIONS = "observations", "Appropriate with observations"
    INAPPROPRIATE = "inappropriate", "Inappropriate"


class ScrutinySample(models.Model):
    """A random sample of completed or breached cases for the scrutiny panel, reproducible from its seed."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=150)
    outcomes = models.JSONField(default=list)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    size_requested = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class ScrutinyItem(models.Model):
    sample = models.ForeignKey(ScrutinySample, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    finding = models.CharField(max_length=14, choices=Finding.choices, blank=True)
    observations = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "case"], name="scrutiny_case_once_per_sample")
        ]

    def __str__(self):
        return f"Item {self.position} of {self.sample}"


# --- The dashboard's summaries (issue 12) ---------------------------------------------------------
# One row per case holding everything the dashboard's figures need, so a request reads one narrow
# table instead of recomputing from cases, people, offences, decisions, cautions, assessments and
# police records. Nothing in a row depends on today: the cut-offs that move with the date (matured
# cohort, cost tracked, the last 12 months) are applied when the figures are read. Rows are kept
# current by ``reporting/summaries.py``; none of these tables is ever written by hand.


def _summary_key(model, **options):
    """A reference that is only a number: no constraint, no cascade, never followed on delete (a
    summary row of a deleted case is removed by the next refresh)."""
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **options
    )


class CaseFact(models.Model):
    """A case, as the dashboard counts it."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    force = _summary_key("accounts.Organisation")
    scheme = _summary_key("cases.Scheme")
    area = _summary_key("accounts.Area")
    person = _summary_key("cases.Person")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=24)
    sex = models.CharField(max_length=12)
    date_of_birth = models.DateField()
    ethnicity = _summary_key("cases.Ethnicity", null=True)
    offence_groups = models.CharField(
        max_length=300, help_text="The case's offence groups between commas: “,theft,violence,”."
    )
    cautioned_on = models.DateField(null=True)
    prosecuted = models.BooleanField(help_text="The prosecution resumed (breached).")
    first_offence_on = models.DateField(null=True)
    first_decision_on = models.DateField(null=True)
    decided = models.BooleanField(help_text="There is a current (not superseded) eligibility decision.")
    eligible = models.BooleanField(help_text="The current eligibility decision is eligible.")
    reoffences = models.PositiveIntegerField(
        help_text="Proven reoffences: committed within 12 months of the caution, proven within 18."
    )
    assessed = models.BooleanField(help_text="A completed initial assessment with needs recorded.")
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["force", "refreshed_at"], name="casefact_force_refreshed")]

    def __str__(self):
        return f"Summary of case {self.case_id}"


def need_columns(kind: str) -> dict:
    """The columns holding each pathway's level at the initial or final assessment."""
    from assessments.models import Pathway

    return {pathway: f"{kind}_{pathway}" for pathway in Pathway.values}


for _kind in ("initial", "final"):
    for _pathway, _column in need_columns(_kind).items():
        CaseFact.add_to_class(
            _column,
            models.PositiveSmallIntegerField(
                null=True, help_text=f"The level of need for {_pathway} at the completed {_kind} assessment."
            ),
        )


class CaseCostFact(models.Model):
    """For a cautioned case, its person's recorded offences of one kind: how many in the 12 months
    before the caution, in the 12 months after, and at any time. Priced when read, so an edited
    unit cost reprices at once."""

    case = _summary_key("cases.Case")
    offence = _summary_key("cases.Offence")
    before = models.PositiveIntegerField()
    after = models.PositiveIntegerField()
    recorded = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["case"], name="casecostfact_case")]

    def __str__(self):
        return f"Recorded offences for case {self.case_id}"


class ReferralFact(models.Model):
    """A referral, as the partners' table counts it."""

    referral = models.OneToOneField(
        "referrals.Referral",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    case = _summary_key("cases.Case")
    organisation = _summary_key("accounts.Organisation")
    status = models.CharField(max_length=16)
    sent_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True)
    first_contact_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["case"], name="referralfact_case")]

    def __str__(self):
        return f"Summary of referral {self.referral_id}"


class StaleCase(models.Model):
    """A case changed since its summary was made. Written by database triggers on every table the
    summaries read (migration 0003), in the changing transaction; emptied by each refresh."""

    case_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField()

    def __str__(self):
        return f"Case {self.case_id}, changed {self.marked_at:%d %b %Y %H:%M}"


class SummaryState(models.Model):
    """One row: a number moved on by every refresh that changed the summaries, so that figures
    computed from them can be kept until it moves (reporting/views.py)."""

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"Summaries version {self.version}"


# --- The pseudonymised case extract: a disclosure of its own (issue 15, part 5) ----------------------


class ExtractPermission(models.Model):
    """Permission for one analyst (or supervisor) to download the pseudonymised case extract,
    granted by an administrator of their own organisation, on an authority they record. Revoking
    it dates the row; the history is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    authority = models.TextField(
        help_text="On whose authority and why, as the administrator recorded it (for example the data "
        "sharing agreement)."
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="extract_permission_one_current",
            )
        ]

    def __str__(self):
        return f"Extract permission #{self.pk}"

    def audit_label(self):
        return f"Extract permission #{self.pk} of user #{self.user_id}"


class CaseExtract(models.Model):
    """One disclosure of the pseudonymised case extract: who drew it, when, for what purpose and for
    whom, over which cases, and how many rows left (filled in when the last row has been sent)."""

    force = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)
    purpose = models.TextField()
    recipient = models.CharField(max_length=300)
    opened_in = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Cases opened in this year only; empty: every case."
    )
    cases_considered = models.PositiveIntegerField()
    min_cohort = models.PositiveSmallIntegerField(help_text="k: no row's quasi-identifiers fit fewer cases.")
    rows_sent = models.PositiveIntegerField(null=True, blank=True)
    rows_withheld = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self):
        return f"Pseudonymised case extract #{self.pk}"

    def audit_label(self):
        return f"Pseudonymised case extract #{self.pk}"

    def audit_owner(self):
        return self.force

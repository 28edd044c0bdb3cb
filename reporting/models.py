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

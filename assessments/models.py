"""The joint needs assessment (DOMAIN.md, Needs assessment): per pathway a level and notes, risk and
safeguarding, the person's own goals, and attributed contributions from several organisations.
Draft until completed, then locked; a final assessment at the end shows the distance travelled."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import Case
from offenderhub.accounts.models import Organisation


class Pathway(models.TextChoices):
    # The seven reducing-reoffending pathways...
    ACCOMMODATION = "accommodation", "Accommodation"
    EDUCATION_EMPLOYMENT = "education_employment", "Education, training and employment"
    HEALTH = "health", "Health, including mental health"
    DRUGS_ALCOHOL = "drugs_alcohol", "Drugs and alcohol"
    FINANCE_DEBT = "finance_debt", "Finance, benefit and debt"
    CHILDREN_FAMILIES = "children_families", "Children and families"
    ATTITUDES = "attitudes", "Attitudes, thinking and behaviour"
    # ...and those schemes add (the last two commonly used for women).
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse and relationships"
    GAMBLING = "gambling", "Gambling"
    VICTIM_OF_ABUSE = "victim_of_abuse", "Victim of abuse or exploitation"
    SEX_WORK = "sex_work", "Sex work"


class NeedLevel(models.IntegerChoices):
    NONE = 0, "None"
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


# Needs at or above this level are "in need": they drive suggested interventions and the figures.
IN_NEED = NeedLevel.MEDIUM


class RiskFlag(models.TextChoices):
    RISK_TO_OTHERS = "risk_to_others", "Risk of harm to others"
    RISK_TO_STAFF = "risk_to_staff", "Risk to staff (lone working)"
    SELF_HARM = "self_harm", "Risk of self-harm or suicide"
    WEAPONS = "weapons", "Access to or history of weapons"
    SAFEGUARDING_CHILDREN = "safeguarding_children", "Safeguarding: children"
    SAFEGUARDING_ADULT = "safeguarding_adult", "Safeguarding: adult at risk"
    DOMESTIC_ABUSE_RISK = "domestic_abuse_risk", "Domestic abuse risk"
    EXPLOITATION = "exploitation", "Exploitation or county lines"


class AssessmentKind(models.TextChoices):
    INITIAL = "initial", "Initial assessment"
    FINAL = "final", "End-of-period assessment"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class Assessment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(max_length=10, choices=AssessmentKind.choices, default=AssessmentKind.INITIAL)
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    goals = models.TextField("the person's own goals", blank=True)
    risk_flags = models.JSONField(default=list, blank=True)
    risk_notes = models.TextField("risk and safeguarding notes", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_assessment_of_each_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.case}"

    def audit_label(self):
        return f"{self.get_kind_display()} on case {self.case.reference}"

    def audit_owner(self):
        return self.case.force

    @property
    def is_locked(self):
        return self.status == AssessmentStatus.COMPLETED

    @property
    def risk_flag_labels(self):
        labels = dict(RiskFlag.choices)
        return [labels.get(flag, flag) for flag in self.risk_flags]


class PathwayNeed(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="needs")
    pathway = models.CharField(max_length=24, choices=Pathway.choices)
    level = models.PositiveSmallIntegerField(choices=NeedLevel.choices, default=NeedLevel.NONE)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "pathway"], name="one_need_per_pathway"),
            models.CheckConstraint(name="need_level_in_range", condition=models.Q(level__lte=3)),
        ]

    def __str__(self):
        return f"{self.get_pathway_display()}: {self.get_level_display()}"


class Contribution(models.Model):
    """What one organisation brought to the joint assessment, attributed to it and to a named person."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="contributions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    contributor_name = models.CharField(max_length=150)
    pathway = models.CharField(max_length=24, choices=Pathway.choices, blank=True)
    text = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self):
        return f"{self.organisation} on {self.assessment}"

"""People, offences, schemes and cases (DESIGN.md, journey steps 1-2; DOMAIN.md, Law and Eligibility)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from offenderhub.accounts.models import Area, Organisation, OrganisationKind

# --- Reference data -------------------------------------------------------------------------------


class OffenceGroup(models.TextChoices):
    """Home Office offence groups (police recorded crime)."""

    VIOLENCE = "violence", "Violence against the person"
    SEXUAL = "sexual", "Sexual offences"
    ROBBERY = "robbery", "Robbery"
    THEFT = "theft", "Theft offences"
    CRIMINAL_DAMAGE = "criminal_damage", "Criminal damage and arson"
    DRUGS = "drugs", "Drug offences"
    WEAPONS = "weapons", "Possession of weapons offences"
    PUBLIC_ORDER = "public_order", "Public order offences"
    MISC_SOCIETY = "misc_society", "Miscellaneous crimes against society"
    FRAUD = "fraud", "Fraud offences"
    DRIVING = "driving", "Driving offences"


class Classification(models.TextChoices):
    SUMMARY_ONLY = "summary_only", "Summary only"
    EITHER_WAY = "either_way", "Either way"
    INDICTABLE_ONLY = "indictable_only", "Indictable only"


class CrimeCostCategory(models.Model):
    """Home Office 'Economic and social costs of crime' (2018, 2015/16 prices), editable."""

    name = models.CharField(max_length=100, unique=True)
    unit_cost = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="£ per offence; blank until confirmed.",
    )
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "crime cost categories"

    def __str__(self):
        return self.name


class Offence(models.Model):
    name = models.CharField(max_length=150, unique=True)
    group = models.CharField("Home Office offence group", max_length=32, choices=OffenceGroup.choices)
    classification = models.CharField(
        max_length=20,
        choices=Classification.choices,
        help_text="How the offence is tried, which sets the maximum financial penalty.",
    )
    time_limit_applies = models.BooleanField(
        "six-month time limit applies",
        default=False,
        help_text="Proceedings must start within six calendar months of the offence (Magistrates' Courts Act "
        "1980 s.127): truly summary-only offences. Not for either-way offences tried summarily because of "
        "their value, such as criminal damage of £5,000 or less or shop theft of £200 or less.",
    )
    default_gravity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)], help_text="1 (low) to 4 (high)."
    )
    cost_category = models.ForeignKey(CrimeCostCategory, null=True, blank=True, on_delete=models.PROTECT)
    legislation = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="offence_gravity_1_to_4",
                condition=models.Q(default_gravity__gte=1, default_gravity__lte=4),
            ),
            # Either-way and indictable offences have no time limit, however they are tried.
            models.CheckConstraint(
                name="offence_time_limit_only_summary",
                condition=models.Q(time_limit_applies=False) | models.Q(classification="summary_only"),
                violation_error_message="Only a summary-only offence can have the six-month time limit.",
            ),
        ]

    def __str__(self):
        return self.name


class Ethnicity(models.Model):
    """The 2021 census ethnic groups (England and Wales), for monitoring."""

    code = models.CharField(max_length=8, unique=True)
    group = models.CharField(max_length=80)
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "ethnicities"

    def __str__(self):
        return f"{self.group}: {self.name}"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NOT_STATED = "not_stated", "Prefer not to say"


class DisposalType(models.Model):
    """Conditional caution, deferred prosecution, community resolution... and the 2022 Act's cautions,
    each with the dates it is in force, so a scheme's disposal can change by offence date."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    legislation = models.CharField(max_length=200, blank=True)
    breach_leads_to = models.CharField(
        max_length=200, help_text="What follows a breach without reasonable excuse, e.g. 'prosecution'."
    )
    commenced = models.BooleanField(default=True, help_text="Untick for a disposal not yet in force.")
    in_force_from = models.DateField(null=True, blank=True)
    in_force_until = models.DateField(null=True, blank=True)
    # The legal caps on conditions (DOMAIN.md, Law): data, so a new disposal brings its own.
    max_attendance_hours = models.PositiveSmallIntegerField(
        default=20, help_text="Total hours of reparative or punitive attendance; rehabilitation is excluded."
    )
    max_penalty_summary_only = models.PositiveSmallIntegerField(
        "maximum penalty, summary-only (£)", default=50
    )
    max_penalty_either_way = models.PositiveSmallIntegerField("maximum penalty, either-way (£)", default=100)
    max_penalty_indictable_only = models.PositiveSmallIntegerField(
        "maximum penalty, indictable-only (£)", default=150
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def max_penalty_for(self, classification: str) -> int:
        return {
            Classification.SUMMARY_ONLY: self.max_penalty_summary_only,
            Classification.EITHER_WAY: self.max_penalty_either_way,
            Classification.INDICTABLE_ONLY: self.max_penalty_indictable_only,
        }[classification]

    def in_force_on(self, day):
        return (
            self.commenced
            and (self.in_force_from is None or self.in_force_from <= day)
            and (self.in_force_until is None or day <= self.in_force_until)
        )


class CaseFlag(models.TextChoices):
    """Circumstances that schemes commonly exclude (DOMAIN.md, Eligibility)."""

    HATE_CRIME = "hate_crime", "Hate crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    WEAPON = "weapon", "Weapon involved"
    SEXUAL = "sexual", "Sexual motivation"
    CO_ACCUSED = "co_accused", "Co-accused case"
    COURT_ORDER = "court_order", "Already on a court order or statutory supervision"


class Scheme(models.Model):
    """A deferred-prosecution scheme of a force: its disposal, periods and eligibility rules.
    Adding a scheme needs no code (DESIGN.md, "Schemes are data")."""

    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="schemes",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
    )
    name = models.CharField(max_length=100)
    code = models.CharField(
        max_length=6,
        help_text="Prefix of case references, e.g. OH gives OH-2026-000123.",
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "Use 2 to 6 capital letters.")],
    )
    disposal_type = models.ForeignKey(DisposalType, on_delete=models.PROTECT)
    compliance_period_default_days = models.PositiveSmallIntegerField(default=16 * 7)
    compliance_period_max_days = models.PositiveSmallIntegerField(default=20 * 7)
    minimum_age = models.PositiveSmallIntegerField(default=18)
    maximum_gravity = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    excluded_offence_groups = models.JSONField(default=list, blank=True)
    excluded_flags = models.JSONField(default=list, blank=True)
    maximum_crime_age_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Blank: no limit. Checkpoint: about 90 (three months)."
    )
    maximum_previous_convictions = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_previous_cautions = models.PositiveSmallIntegerField(null=True, blank=True)
    prosecutor_authority_for = models.JSONField(
        default=list, blank=True, help_text="Classifications that need the prosecutor's authority."
    )
    must_live_in_force_area = models.BooleanField(default=False)
    accepts_no_comment_interview = models.BooleanField(
        default=False, help_text="A no-comment interview with enough evidence to charge may be accepted."
    )
    breach_decision_days = models.PositiveSmallIntegerField(
        default=10, help_text="Calendar days allowed to decide a breach review."
    )
    reminder_lead_days = models.PositiveSmallIntegerField(default=7)
    victim_notification_days = models.PositiveSmallIntegerField(
        default=5, help_text="Days within which the victim is told of the caution or the resumed prosecution."
    )
    breach_countersignature_required = models.BooleanField(default=False)
    auto_confirm_without_excuse = models.BooleanField(
        default=False,
        help_text="A breach review still undecided at its deadline, with no reasonable excuse recorded, is "
        "confirmed automatically (not where a countersignature is required).",
    )
    random_allocation = models.BooleanField(default=False, help_text="Eligible cases randomly allocated.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["force", "name"], name="scheme_name_unique_in_force"),
            models.UniqueConstraint(fields=["code"], name="scheme_code_unique"),
            models.CheckConstraint(
                name="scheme_default_within_maximum",
                condition=models.Q(
                    compliance_period_default_days__lte=models.F("compliance_period_max_days")
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.compliance_period_default_days > self.compliance_period_max_days:
            errors["compliance_period_default_days"] = "The default period cannot be longer than the maximum."
        unknown_groups = set(self.excluded_offence_groups) - set(OffenceGroup.values)
        if unknown_groups:
            errors["excluded_offence_groups"] = (
                f"Unknown offence groups: {', '.join(sorted(unknown_groups))}."
            )
        unknown_flags = set(self.excluded_flags) - set(CaseFlag.values)
        if unknown_flags:
            errors["excluded_flags"] = f"Unknown flags: {', '.join(sorted(unknown_flags))}."
        unknown_classes = set(self.prosecutor_authority_for) - set(Classification.values)
        if unknown_classes:
            errors["prosecutor_authority_for"] = (
                f"Unknown classifications: {', '.join(sorted(unknown_classes))}."
            )
        if errors:
            raise ValidationError(errors)


# --- People ---------------------------------------------------------------------------------------

PNC_ID_RE = re.compile(r"^(?P<year>\d{2}|\d{4}) ?/ ?(?P<serial>\d{1,7}) ?(?P<check>[A-Z])$")
# Written without the slash, the serial number must have all its seven digits (``120345678X``,
# ``2012 0345678X``): otherwise where the year ends is a guess.
PNC_ID_COMPACT_RE = re.compile(r"^(?P<year>\d{2}|\d{4}) ?(?P<serial>\d{7}) ?(?P<check>[A-Z])$")


def normalise_pnc_id(value: str) -> str:
    """``2012/345678X``, ``12/0345678x``, ``12 / 345678 X`` and ``120345678X`` all become
    ``12/0345678X``. Raises ValidationError."""
    value = " ".join((value or "").upper().split())
    match = PNC_ID_RE.match(value) or PNC_ID_COMPACT_RE.match(value)
    if not match:
        raise ValidationError(
            "Enter a PNC ID in the format YY/NNNNNNNA, for example 12/0345678X", code="invalid_pnc_id"
        )
    return f"{match['year'][-2:]}/{int(match['serial']):07d}{match['check']}"


class Person(models.Model):
    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="people",
        editable=False,
        help_text="The force whose records hold this person.",
    )
    given_names = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=12, choices=Sex.choices)
    ethnicity = models.ForeignKey(Ethnicity, null=True, blank=True, on_delete=models.PROTECT)
    pnc_id = models.CharField("PNC ID", max_length=12, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    vulnerable = models.BooleanField(default=False)
    vulnerability_notes = models.TextField(blank=True)
    interpreter_needed = models.BooleanField(default=False)
    interpreter_language = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submission_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Makes a repeated form submission harmless.",
    )
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the person's names, contact details, free text and documents were erased after a "
        "retention review (retention/erasure.py). What the statistics need is kept, under the record number.",
    )
    # Set when a supervisor merged this record into another (``cases.services.person_merge``): the
    # record is kept, pointing to the one that holds its cases now, and left out of every list, search
    # and match (``cases.selectors.person_list_for``). Cleared if the merge is undone.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        editable=False,
        help_text="The record this one was merged into.",
    )
    # The names' phonetic codes, for the duplicate matching and the caseload's search by a misspelt name
    # (``cases.matching.person_match_keys``): kept by every service that changes the names (recording,
    # correcting, merging, the caseload import) and blanked by an erasure.
    family_name_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    given_name_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["family_name", "given_names"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["force", "pnc_id"], condition=~models.Q(pnc_id=""), name="person_pnc_unique_in_force"
            )
        ]
        indexes = [
            models.Index(fields=["force", "family_name", "date_of_birth"], name="person_match_idx"),
            # The caseload sorted by name reads people in name order.
            models.Index(fields=["family_name", "id"], name="person_name_idx"),
            # The supervisor's data-quality page (reporting/quality.py): people missing an ethnicity or a
            # PNC ID, and people with the same names and date of birth (intake's exact match).
            models.Index(
                fields=["force", "family_name", "id"],
                condition=models.Q(ethnicity__isnull=True),
                name="person_no_ethnicity_idx",
            ),
            models.Index(
                fields=["force", "family_name", "id"], condition=models.Q(pnc_id=""), name="person_no_pnc_idx"
            ),
            models.Index(
                "force",
                Upper("family_name"),
                Upper("given_names"),
                "date_of_birth",
                name="person_duplicate_key_idx",
            ),
            # Duplicate matching (cases.matching): the people born on one of the dates a date of birth may
            # have been mistyped as; the caseload's search by a name that sounds alike.
            models.Index(fields=["force", "date_of_birth"], name="person_dob_idx"),
            models.Index(fields=["family_name_key"], name="person_family_key_idx"),
            models.Index(fields=["given_name_key"], name="person_given_key_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        if self.erased_at:
            return f"Erased person #{self.pk}"
        return f"{self.given_names} {self.family_name}"

    @property
    def listed_name(self):
        """The name as lists show it: "FAMILY, Given"."""
        if self.erased_at:
            return self.full_name
        return f"{self.family_name.upper()}, {self.given_names}"

    @property
    def is_erased(self):
        return self.erased_at is not None

    def audit_label(self):
        return f"Person #{self.pk}"

    def audit_owner(self):
        return self.force

    def age_on(self, day):
        return (
            day.year
            - self.date_of_birth.year
            - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))
        )


class PersonAlias(models.Model):
    """Another name the person uses or used, or another PNC ID they were recorded under (a record merged
    into theirs). An alias that is no longer right is ended, never deleted: who ended it, when and why
    are kept (and the person's history says so too). Only undoing the merge that added an alias
    removes it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    given_names = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    pnc_id = models.CharField(
        "PNC ID",
        max_length=12,
        blank=True,
        editable=False,
        help_text="A PNC ID of a record merged into this person's (normalised).",
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    end_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["family_name", "given_names"]
        verbose_name_plural = "person aliases"
        constraints = [
            models.CheckConstraint(
                name="person_alias_name_or_pnc_id",
                condition=~models.Q(family_name="") | ~models.Q(pnc_id=""),
                violation_error_message="An alias needs a family name or a PNC ID.",
            )
        ]
        indexes = [
            # A PNC ID held as an alias is still the person's: intake and the reoffending import look
            # it up (cases.services._validate_person, reporting.services.reoffending_import).
            models.Index(fields=["pnc_id"], condition=~models.Q(pnc_id=""), name="person_alias_pnc_idx")
        ]

    def __str__(self):
        name = f"{self.given_names} {self.family_name}".strip()
        if self.pnc_id:
            return f"{name} (PNC ID {self.pnc_id})" if name else f"PNC ID {self.pnc_id}"
        return name

    @property
    def is_current(self):
        return self.ended_at is None


class SuspectedDuplicate(models.Model):
    """Two live records of the force that the duplicate matching (``cases.matching``) says may be one
    person: the supervisors' data-quality list. Kept by ``cases.services.person_duplicates_refresh``
    whenever a person's names, date of birth, PNC ID or aliases change (recording, correcting, aliases,
    merging and undoing, the caseload import); forgotten when either record is merged or erased. The
    lower id is ``person``, the higher ``other``; ``reasons`` name both people's details, so the pair is
    deleted with either's erasure."""

    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "other"], name="suspected_duplicate_once"),
            models.CheckConstraint(
                name="suspected_duplicate_ordered", condition=models.Q(person__lt=models.F("other"))
            ),
        ]
        indexes = [
            models.Index(fields=["force", "-score", "person", "other"], name="suspected_duplicate_list_idx"),
            models.Index(fields=["other"], name="suspected_duplicate_other_idx"),
        ]

    def __str__(self):
        return f"Person #{self.person_id} may be person #{self.other_id}"


class PersonChange(models.Model):
    """One field of a person corrected: the values before and after as the pages show them (a name, a
    date, a label; never an id), who changed it, when and why. Written by ``cases.services`` only.
    Erased with the person (the audit log keeps only that the field changed, never the values)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["person", "-changed_at", "-id"], name="person_change_history_idx")]

    def __str__(self):
        return f"{self.field_label} of person #{self.person_id}"

    @property
    def field_label(self):
        return PERSON_FIELD_LABELS.get(self.field, self.field.replace("_", " ").capitalize())


class PersonMerge(models.Model):
    """Two records of one person made one by a supervisor (``cases.services.person_merge``). The kept
    record took the chosen value of each detail and everything that hung off the other record (cases,
    aliases, police records); the other record (``merged``) is kept, pointing to it
    (``Person.merged_into``). Holds what undoing the merge needs to put both back exactly, while
    neither has changed since: each record's details before and after the merge (as stored: dates in
    ISO form, the ethnic group's id), the rows moved, the aliases added, and the last history row the
    merge wrote. Like the history, it holds personal details and goes with the people."""

    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_merged")
    from_merged = models.JSONField(
        default=list, help_text="The details (groups of fields) whose value was taken from the merged record."
    )
    before = models.JSONField(default=dict, help_text='{"kept": {field: value}, "merged": {...}} before.')
    after = models.JSONField(default=dict, help_text="The same, as the merge left them.")
    moved = models.JSONField(
        default=dict, help_text='Ids of the rows moved to the kept record: {"cases": [...], ...}.'
    )
    aliases_added = models.JSONField(default=list, help_text="Ids of the aliases the merge added.")
    last_change_id = models.BigIntegerField(
        default=0, help_text="The last history row (PersonChange) the merge wrote: a later one is a change."
    )
    reason = models.TextField()
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.TextField(blank=True)
    submission_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Makes a repeated form submission harmless.",
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            # A record is merged into one other at a time.
            models.UniqueConstraint(
                fields=["merged"], condition=models.Q(undone_at__isnull=True), name="person_merge_live_once"
            ),
            models.CheckConstraint(
                name="person_merge_two_records", condition=~models.Q(kept=models.F("merged"))
            ),
        ]

    def __str__(self):
        return f"Person #{self.merged_id} merged into person #{self.kept_id}"

    def audit_label(self):
        return f"Merge of person #{self.merged_id} into person #{self.kept_id}"

    def audit_owner(self):
        return self.force

    @property
    def is_live(self):
        return self.undone_at is None


class SchemeChange(models.Model):
    """One change of a scheme's rules: each rule's value before and after (as the page shows them), who
    changed them, when and why. Written by ``cases.services.scheme_rules_change`` only; the audit log
    keeps that they changed, in the service's own words, never the reason someone typed."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="changes")
    changes = models.JSONField(default=dict)
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"Rules of scheme #{self.scheme_id} changed"


# The labels of the fields a correction may change, as the person's page and history name them.
PERSON_FIELD_LABELS = {
    "given_names": "Given names",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "pnc_id": "PNC ID",
    "address": "Address",
    "postcode": "Postcode",
    "phone": "Phone number",
    "email": "Email address",
    "vulnerable": "Vulnerable",
    "vulnerability_notes": "Vulnerability notes",
    "interpreter_needed": "Interpreter needed",
    "interpreter_language": "Interpreter language",
    "alias_added": "Alias added",
    "alias_ended": "Alias ended",
    "merged_from": "Record merged in",
    "merged_into": "Merged into another record",
    "merge_undone": "Merge undone",
    "alias_removed": "Alias removed",
}


# --- Cases ----------------------------------------------------------------------------------------


class CaseStatus(models.TextChoices):
    INTAKE = "intake", "Intake"
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    INELIGIBLE = "ineligible", "Ineligible"
    DECLINED = "declined", "Declined"
    ASSESSMENT = "assessment", "Assessment"
    CONDITIONS_AGREED = "conditions_agreed", "Conditions agreed"
    ACTIVE = "active", "Active"
    BREACH_REVIEW = "breach_review", "Breach review"
    COMPLETED = "completed", "Completed: diverted"
    PROSECUTION_RESUMED = "prosecution_resumed", "Prosecution resumed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


# The statuses whose six-month limit still matters (the open ones, and a resumed prosecution not yet
# started): the time-limit alert's partial index names them, sorted as the alert's query does.
TIME_LIMIT_WATCHED_STATUSES = [
    "active",
    "assessment",
    "awaiting_decision",
    "breach_review",
    "conditions_agreed",
    "intake",
    "prosecution_resumed",
]


class VictimType(models.TextChoices):
    NONE = "none", "No identifiable victim"
    PERSON = "person", "A person"
    BUSINESS = "business", "A business or organisation"


class RestorativeJusticeConsent(models.TextChoices):
    NOT_ASKED = "not_asked", "Not asked yet"
    CONSENTS = "consents", "Consents to restorative justice"
    DECLINES = "declines", "Does not consent"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases", editable=False)
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="cases")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        help_text="Case worker",
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        max_length=24, choices=CaseStatus.choices, default=CaseStatus.INTAKE, db_index=True
    )
    arrest_date = models.DateField("arrest or report date")
    victim_type = models.CharField(max_length=12, choices=VictimType.choices)
    victim_views = models.TextField(blank=True, help_text="The victim's views on the out-of-court disposal.")
    victim_views_obtained_on = models.DateField(null=True, blank=True)
    victim_rj_consent = models.CharField(
        "victim's consent to restorative justice",
        max_length=16,
        choices=RestorativeJusticeConsent.choices,
        default=RestorativeJusticeConsent.NOT_ASKED,
    )
    flags = models.JSONField(default=list, blank=True)
    previous_convictions = models.PositiveSmallIntegerField(default=0)
    previous_cautions = models.PositiveSmallIntegerField(default=0)
    lives_in_force_area = models.BooleanField(default=True)
    circumstances = models.TextField(blank=True, help_text="Brief circumstances of the offence.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submission_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Makes a repeated form submission harmless.",
    )
    # The force's own reference for a case brought in by a caseload import (imports app): importing
    # the same file again finds the case by it and adds nothing. Blank for cases opened here.
    external_reference = models.CharField(
        "force's own reference",
        max_length=40,
        blank=True,
        editable=False,
        help_text="The reference the force's previous records gave the case (caseload import).",
    )
    # Kept from the case's offences (cases.services.case_offence_columns_refresh), so that the
    # caseload can show and sort by the six-month limit without reading every case's offences. Named
    # before issue 14: it is the first offence the limit applies to (Offence.time_limit_applies), which
    # an either-way offence tried summarily for its value is not.
    first_summary_offence_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The earliest date of the case's offences to which the six-month limit applies: the limit "
        "runs from it.",
    )
    # Whether the case holds an offence of each classification, kept beside the date above (same
    # service), so that the caseload's classification filter reads the case's own columns, through
    # the partial indexes below, instead of looking through every case's offences.
    holds_summary_only = models.BooleanField(default=False, editable=False)
    holds_either_way = models.BooleanField(default=False, editable=False)
    holds_indictable_only = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "external_reference"],
                condition=~models.Q(external_reference=""),
                name="case_external_reference_unique_in_force",
            )
        ]
        # The caseload's filters and sorts (cases.filters.CaseFilter), each scoped to the force and ending
        # with the id, so that a page of 25 is read from the index in order instead of sorting them all
        # (the reference's own unique index serves its sort).
        # The trigram indexes for its search are PostgreSQL's own: see migration 0007.
        indexes = [
            models.Index(fields=["force", "-created_at", "-id"], name="case_force_opened_idx"),
            models.Index(fields=["force", "status", "-created_at", "-id"], name="case_force_status_idx"),
            models.Index(fields=["force", "area", "-created_at", "-id"], name="case_force_area_idx"),
            # The sorts by the case worker's, the scheme's and the area's name, read a name at a time in
            # id order (cases.pagination.DeferredJoinPaginator, groups).
            models.Index(fields=["force", "owner", "id"], name="case_force_owner_id_idx"),
            models.Index(fields=["force", "scheme", "id"], name="case_force_scheme_id_idx"),
            models.Index(fields=["force", "area", "id"], name="case_force_area_id_idx"),
            models.Index(
                fields=["force", "first_summary_offence_date", "id"], name="case_force_time_limit_idx"
            ),
            # The supervisor's six-month alert (conditions.selectors.time_limit_alerts_for): only the
            # cases still open or awaiting a resumed prosecution, by the date their limit runs from.
            models.Index(
                fields=["force", "first_summary_offence_date", "id"],
                condition=models.Q(
                    status__in=TIME_LIMIT_WATCHED_STATUSES, first_summary_offence_date__isnull=False
                ),
                name="case_time_limit_open_idx",
            ),
            *(
                models.Index(
                    fields=["force", "-created_at", "-id"],
                    condition=models.Q(**{f"holds_{classification}": True}),
                    name=f"case_holds_{short}_idx",
                )
                for classification, short in (
                    ("summary_only", "summary"),
                    ("either_way", "either_way"),
                    ("indictable_only", "indictable"),
                )
            ),
            models.Index(fields=["owner", "status"], name="case_owner_status_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="case_owner_opened_idx"),
            models.Index(fields=["scheme", "-created_at", "-id"], name="case_scheme_opened_idx"),
            models.Index(fields=["area", "-created_at", "-id"], name="case_area_opened_idx"),
        ]

    def __str__(self):
        return self.reference

    def audit_label(self):
        return f"Case {self.reference}"

    def audit_owner(self):
        return self.force

    @property
    def flag_labels(self):
        labels = dict(CaseFlag.choices)
        return [labels.get(flag, flag) for flag in self.flags]


class CaseOffence(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offences")
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT)
    offence_date = models.DateField()
    details = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["offence_date", "id"]

    def __str__(self):
        return f"{self.offence} on {self.offence_date:%d %B %Y}"


class ReferenceCounter(models.Model):
    """The last number issued for a prefix and year; locked while the next one is taken."""

    prefix = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_number}"


class DecisionOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Ineligible"
    DECLINED = "declined", "Declined: the person does not admit the offence or does not consent"


class GravityAdjustment(models.IntegerChoices):
    DOWN = -1, "Mitigating factors: one level lower"
    NONE = 0, "No adjustment"
    UP = 1, "Aggravating factors: one level higher"


class Admission(models.TextChoices):
    ADMITS = "admits", "Admits the offence"
    NO_COMMENT = "no_comment", "No comment interview, enough evidence to charge"
    DENIES = "denies", "Does not admit the offence"


class Authority(models.TextChoices):
    AUTHORISED_OFFICER = "authorised_officer", "Authorised police officer"
    PROSECUTOR = "prosecutor", "Prosecutor (CPS)"


class EligibilityDecision(models.Model):
    """A decision on the record. Never edited: a later decision supersedes it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=12, choices=DecisionOutcome.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    decision_date = models.DateField()
    evidence_person_committed = models.BooleanField("evidence that the person committed the offence")
    sufficient_evidence_to_charge = models.BooleanField(
        "enough evidence to charge, and a conditional caution should be given"
    )
    authority = models.CharField(max_length=20, choices=Authority.choices)
    prosecutor_reference = models.CharField(max_length=60, blank=True)
    admission = models.CharField(max_length=12, choices=Admission.choices)
    gravity_adjustment = models.SmallIntegerField(
        choices=GravityAdjustment.choices, default=GravityAdjustment.NONE
    )
    gravity_score = models.PositiveSmallIntegerField()
    criteria = models.JSONField(
        default=list, help_text="Each rule checked: code, label, result, explanation."
    )
    reasons = models.JSONField(default=list, blank=True, help_text="Codes of the rules the case failed.")
    rationale = models.TextField()
    time_limit_acknowledged = models.BooleanField(default=False)
    latest_proceedings_date = models.DateField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        get_latest_by = ["decided_at", "id"]

    def __str__(self):
        return f"{self.case.reference}: {self.get_outcome_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("A decision is never edited: record a new decision instead.")
        super().save(*args, **kwargs)

    @property
    def is_current(self):
        return not hasattr(self, "superseded_by")


class CaseEvent(models.Model):
    """The case timeline. Event codes are declared once, in ``cases.events``."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_before = models.CharField(max_length=24, blank=True)
    status_after = models.CharField(max_length=24, blank=True)
    summary = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # When a case entered its status: the data-quality page's stuck cases (reporting/quality.py).
            models.Index(
                fields=["case", "status_after", "occurred_at"],
                condition=~models.Q(status_after=""),
                name="case_event_status_entry_idx",
            )
        ]

    def __str__(self):
        return f"{self.case.reference}: {self.summary}"

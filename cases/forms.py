import uuid

from crispy_forms_gds.layout import Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from offenderhub.core.forms import GdsDateField, GdsForm

from .models import (
    Admission,
    Authority,
    CaseFlag,
    Classification,
    DecisionOutcome,
    Ethnicity,
    GravityAdjustment,
    Offence,
    OffenceGroup,
    RestorativeJusticeConsent,
    Sex,
    VictimType,
)
from .services import (
    MERGE_DETAIL_LABELS,
    SCHEME_OPTIONAL_NUMBERS,
    SCHEME_RULE_FIELDS,
    merge_detail_display,
)


def _date_field(label, required=True, help_text=""):
    return GdsDateField(label=label, required=required, help_text=help_text or "For example, 27 3 2026")


class SubmitOnceMixin(forms.Form):
    """A token issued with the empty form: submitting the same form twice records one thing."""

    submission_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())

    def clean_submission_token(self):
        """A missing or garbled token only loses the protection against a repeated submission."""
        try:
            return uuid.UUID(self.cleaned_data["submission_token"])
        except ValueError:
            return None


class PersonForm(SubmitOnceMixin, GdsForm):
    given_names = forms.CharField(max_length=100, label="Given names")
    family_name = forms.CharField(max_length=100, label="Family name")
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Other names used (optional)",
        help_text="One per line, given names then family name.",
    )
    date_of_birth = _date_field("Date of birth", help_text="For example, 27 3 1990")
    sex = forms.ChoiceField(choices=Sex.choices, widget=forms.RadioSelect, label="Sex")
    ethnicity = forms.ModelChoiceField(
        queryset=Ethnicity.objects.all(),
        required=False,
        empty_label="Not recorded",
        label="Ethnicity (self-defined)",
    )
    pnc_id = forms.CharField(
        max_length=14, required=False, label="PNC ID (optional)", help_text="For example, 12/0345678X"
    )
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Address")
    postcode = forms.CharField(max_length=10, required=False, label="Postcode")
    phone = forms.CharField(max_length=30, required=False, label="Phone number")
    email = forms.EmailField(required=False, label="Email address")
    vulnerable = forms.BooleanField(required=False, label="The person is vulnerable")
    vulnerability_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Vulnerability notes"
    )
    interpreter_needed = forms.BooleanField(required=False, label="An interpreter is needed")
    interpreter_language = forms.CharField(max_length=60, required=False, label="Interpreter language")
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_aliases(self):
        aliases = []
        for line in self.cleaned_data["aliases"].splitlines():
            words = line.split()
            if words:
                given, family = " ".join(words[:-1]), words[-1]
                if len(given) > 100 or len(family) > 100:
                    raise forms.ValidationError("Each name must be 100 characters or fewer.")
                aliases.append((given, family))
        return aliases


class CaseForm(SubmitOnceMixin, GdsForm):
    scheme = forms.ModelChoiceField(queryset=None, label="Scheme", empty_label=None)
    area = forms.ModelChoiceField(queryset=None, label="Area", empty_label=None)
    owner = forms.ModelChoiceField(queryset=None, label="Case worker", empty_label=None)
    arrest_date = _date_field("Arrest or report date")
    circumstances = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Brief circumstances"
    )
    victim_type = forms.ChoiceField(choices=VictimType.choices, widget=forms.RadioSelect, label="Victim")
    victim_views = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="The victim's views on an out-of-court disposal",
    )
    victim_views_obtained_on = _date_field("Date the victim's views were obtained", required=False)
    victim_rj_consent = forms.ChoiceField(
        choices=RestorativeJusticeConsent.choices,
        widget=forms.RadioSelect,
        label="Victim's consent to restorative justice",
        initial=RestorativeJusticeConsent.NOT_ASKED,
    )
    flags = forms.MultipleChoiceField(
        choices=CaseFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Circumstances that apply",
    )
    previous_convictions = forms.IntegerField(
        min_value=0, max_value=500, initial=0, label="Previous convictions"
    )
    previous_cautions = forms.IntegerField(min_value=0, max_value=500, initial=0, label="Previous cautions")
    lives_in_force_area = forms.BooleanField(required=False, initial=True, label="Lives in the force area")

    def __init__(self, *args, schemes, areas, case_workers, **kwargs):
        super().__init__(*args, **kwargs)
        scheme = self.fields["scheme"]
        scheme.queryset = schemes
        scheme.label_from_instance = scheme_label
        if len(schemes) > 1:  # a choice to make, not one made for the case worker (issue 16)
            scheme.empty_label = "Choose a scheme"
            scheme.error_messages["required"] = "Choose the scheme the case is for"
        self.fields["area"].queryset = areas
        self.fields["owner"].queryset = case_workers

    def clean(self):
        data = super().clean()
        if data.get("victim_type") == VictimType.NONE and data.get("victim_rj_consent") in (
            RestorativeJusticeConsent.CONSENTS,
            RestorativeJusticeConsent.DECLINES,
        ):
            self.add_error("victim_rj_consent", "There is no victim to consent: choose 'Not applicable'.")
        return data


def scheme_label(scheme) -> str:
    """A randomising scheme says so: its eligible cases may go to the usual prosecution instead."""
    if scheme.random_allocation:
        return f"{scheme.name} (randomised trial: an eligible case may be allocated to prosecution)"
    return scheme.name


def offence_label(offence) -> str:
    """How the offence is tried, and whether the six-month limit applies (which is not the same: an
    either-way offence tried summarily for its value has no limit)."""
    limit = "; six-month time limit" if offence.time_limit_applies else ""
    return f"{offence.name} ({offence.get_classification_display().lower()}{limit})"


class OffenceChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Offence.objects.filter(is_active=True).order_by("name"),
            label="Offence",
            empty_label="Choose an offence",
            help_text="Each says how it is tried and whether the six-month limit for starting a "
            "prosecution applies.",
            **kwargs,
        )

    def label_from_instance(self, obj):
        return offence_label(obj)


class OffenceEntryForm(GdsForm):
    offence = OffenceChoiceField()
    offence_date = _date_field("Offence date")
    details = forms.CharField(max_length=300, required=False, label="Details (optional)")


OffenceFormSet = forms.formset_factory(
    OffenceEntryForm, extra=2, min_num=1, max_num=5, validate_min=True, validate_max=True
)


class DecisionForm(GdsForm):
    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)
    evidence_person_committed = forms.BooleanField(
        required=False, label="There is evidence that the person committed the offence (requirement 1)"
    )
    sufficient_evidence_to_charge = forms.BooleanField(
        required=False,
        label="There is enough evidence to charge, and a conditional caution should be given (requirement 2)",
    )
    authority = forms.ChoiceField(
        choices=Authority.choices, widget=forms.RadioSelect, label="Who authorises the caution"
    )
    prosecutor_reference = forms.CharField(
        max_length=60, required=False, label="Prosecutor's authority reference"
    )
    admission = forms.ChoiceField(
        choices=Admission.choices,
        widget=forms.RadioSelect,
        label="Does the person admit the offence? (requirement 3)",
    )
    gravity_adjustment = forms.TypedChoiceField(
        choices=GravityAdjustment.choices,
        coerce=int,
        widget=forms.RadioSelect,
        initial=0,
        label="Aggravating or mitigating factors",
    )
    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, widget=forms.RadioSelect, label="Decision")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Rationale",
        help_text="Why you decided this, in a way someone reviewing the case will understand.",
    )
    time_limit_acknowledged = forms.BooleanField(required=False, label="")

    def __init__(self, *args, time_limit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if time_limit is None:
            del self.fields["time_limit_acknowledged"]
        else:
            self.fields["time_limit_acknowledged"].label = (
                f"I have seen that proceedings for {time_limit.offence_name.lower()} must start by "
                f"{time_limit.latest_proceedings_date:%d %B %Y} (six months from the offence)"
            )


class ReassignForm(GdsForm):
    to_user = forms.ModelChoiceField(
        queryset=None,
        label="New case worker",
        empty_label=None,
        error_messages={"invalid_choice": "Choose an active case worker in your force."},
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")

    def __init__(self, *args, case_workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = case_workers


class CaseloadReassignForm(ReassignForm):
    from_user = forms.ModelChoiceField(
        queryset=None,
        label="Move every open case of",
        empty_label=None,
        error_messages={"invalid_choice": "Choose someone in your force who holds open cases."},
    )

    field_order = ["from_user", "to_user", "reason"]

    def __init__(self, *args, case_workers, owners, **kwargs):
        super().__init__(*args, case_workers=case_workers, **kwargs)
        self.fields["from_user"].queryset = owners


class WithdrawForm(GdsForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why is the case withdrawn?")


class NotesForm(GdsForm):
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes (optional)"
    )


# --- Correcting a person --------------------------------------------------------------------------


def _reason_field(label, help_text):
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=label,
        help_text=help_text,
        error_messages={"required": "Give the reason for the change."},
    )


class PersonCorrectionForm(GdsForm):
    """A correction of one part of a person's record: its fields, then the reason (always required)."""

    title = ""
    reason = _reason_field(
        "Why are you making this change?",
        "For example, the person gave a new phone number, or the date was mistyped at intake.",
    )

    def changes(self) -> dict:
        """The corrected fields, as the service takes them."""
        return {name: value for name, value in self.cleaned_data.items() if name != "reason"}


class PersonNamesForm(PersonCorrectionForm):
    title = "Change the name"
    given_names = forms.CharField(max_length=100, label="Given names")
    family_name = forms.CharField(max_length=100, label="Family name")
    field_order = ["given_names", "family_name", "reason"]


class PersonDateOfBirthForm(PersonCorrectionForm):
    title = "Change the date of birth"
    date_of_birth = _date_field("Date of birth", help_text="For example, 27 3 1990")
    field_order = ["date_of_birth", "reason"]


class PersonSexForm(PersonCorrectionForm):
    title = "Change the sex recorded"
    sex = forms.ChoiceField(choices=Sex.choices, widget=forms.RadioSelect, label="Sex")
    field_order = ["sex", "reason"]


class PersonEthnicityForm(PersonCorrectionForm):
    title = "Change the ethnicity recorded"
    ethnicity = forms.ModelChoiceField(
        queryset=Ethnicity.objects.all(),
        required=False,
        empty_label="Not recorded",
        label="Ethnicity (self-defined)",
    )
    field_order = ["ethnicity", "reason"]


class PersonPncIdForm(PersonCorrectionForm):
    title = "Change the PNC ID"
    pnc_id = forms.CharField(
        max_length=14,
        required=False,
        label="PNC ID",
        help_text="For example, 12/0345678X. Leave it blank if the person has none.",
    )
    field_order = ["pnc_id", "reason"]


class PersonAddressForm(PersonCorrectionForm):
    title = "Change the address"
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Address")
    postcode = forms.CharField(max_length=10, required=False, label="Postcode")
    field_order = ["address", "postcode", "reason"]


class PersonContactForm(PersonCorrectionForm):
    title = "Change the contact details"
    phone = forms.CharField(max_length=30, required=False, label="Phone number")
    email = forms.EmailField(required=False, label="Email address")
    field_order = ["phone", "email", "reason"]


class PersonNeedsForm(PersonCorrectionForm):
    title = "Change the vulnerability and interpreter needs"
    vulnerable = forms.BooleanField(required=False, label="The person is vulnerable")
    vulnerability_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Vulnerability notes"
    )
    interpreter_needed = forms.BooleanField(required=False, label="An interpreter is needed")
    interpreter_language = forms.CharField(max_length=60, required=False, label="Interpreter language")
    field_order = [
        "vulnerable",
        "vulnerability_notes",
        "interpreter_needed",
        "interpreter_language",
        "reason",
    ]


# The parts of the person's page each with its own "Change" link: the URL's name for it, and its form.
PERSON_CORRECTION_FORMS = {
    "names": PersonNamesForm,
    "date-of-birth": PersonDateOfBirthForm,
    "sex": PersonSexForm,
    "ethnicity": PersonEthnicityForm,
    "pnc-id": PersonPncIdForm,
    "address": PersonAddressForm,
    "contact": PersonContactForm,
    "needs": PersonNeedsForm,
}


class PersonAliasForm(PersonCorrectionForm):
    title = "Add an alias"
    given_names = forms.CharField(max_length=100, required=False, label="Given names (optional)")
    family_name = forms.CharField(max_length=100, label="Family name")
    reason = _reason_field(
        "Why are you adding this alias?",
        "For example, the name appears on police records or the person uses it.",
    )
    field_order = ["given_names", "family_name", "reason"]


class PersonAliasEndForm(PersonCorrectionForm):
    title = "End an alias"
    reason = _reason_field(
        "Why does this alias end?",
        "For example, it was a misspelling, or the person no longer uses it. The alias stays in the person's "
        "history.",
    )


# --- Merging two records of a person ------------------------------------------------------------------


def _record_label(person) -> str:
    recorded = date_format(timezone.localtime(person.created_at), "j F Y")
    return f"{person.full_name}, record {person.pk}, recorded on {recorded}"


def _choice_label(text: str) -> str:
    return text.replace("\n", ", ") if text else "Not recorded"


class PersonMergeForm(SubmitOnceMixin, GdsForm):
    """Merge two records: which record is kept, which value of each detail on which they differ, and
    why. Radios name each record by its id, so the choice stands whichever record is kept. The values
    come from ``cases.services.merge_detail_display``."""

    keep = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="Which record should be kept?",
        help_text="The other record is kept as a merged record that points to it. Its cases, aliases and "
        "police records move to the kept record, and its names and PNC ID become aliases.",
        error_messages={"required": "Choose which record to keep."},
    )
    pnc_confirmed = forms.BooleanField(
        required=False,
        label="I have checked on the PNC that both PNC IDs belong to this one person",
        help_text="The PNC ID not kept becomes an alias of the kept record.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are you merging these records?",
        help_text="For example, the same person was recorded twice at intake, with a misspelt name.",
        error_messages={"required": "Give the reason for merging these records."},
    )

    def __init__(self, *args, first, second, details: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.second = first, second
        self.fields["keep"].choices = [(p.pk, _record_label(p)) for p in (first, second)]
        self.details = details
        for detail in details:
            label = MERGE_DETAIL_LABELS[detail]
            self.fields[f"choice_{detail}"] = forms.TypedChoiceField(
                coerce=int,
                widget=forms.RadioSelect,
                label=f"{label}: which value should the kept record have?",
                choices=[(p.pk, _choice_label(merge_detail_display(p, detail))) for p in (first, second)],
                error_messages={"required": f"Choose which {label.lower()} to keep."},
            )
        if not (first.pnc_id and second.pnc_id):
            del self.fields["pnc_confirmed"]
        self.order_fields(["keep", *(f"choice_{d}" for d in details), "pnc_confirmed", "reason"])

    def merge_arguments(self) -> dict:
        """The service's arguments: the kept and merged record, and which side each chosen detail's value
        comes from."""
        data = self.cleaned_data
        kept = data["keep"]
        merged = self.second.pk if kept == self.first.pk else self.first.pk
        return {
            "kept_id": kept,
            "merged_id": merged,
            "choices": {d: "kept" if data[f"choice_{d}"] == kept else "merged" for d in self.details},
            "pnc_confirmed": data.get("pnc_confirmed", False),
            "reason": data["reason"],
            "submission_token": data.get("submission_token"),
        }


class PersonMergeUndoForm(GdsForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are you undoing this merge?",
        help_text="For example, the records were of two people with the same name and date of birth.",
        error_messages={"required": "Give the reason for undoing the merge."},
    )


# --- Correcting a case ----------------------------------------------------------------------------


class CaseCorrectionForm(PersonCorrectionForm):
    """A correction of one part of a case: its fields, then the reason (always required)."""

    reason = _reason_field(
        "Why are you making this change?",
        "For example, the victim gave their views after intake, or the date was mistyped.",
    )


class CaseArrestDateForm(CaseCorrectionForm):
    title = "Change the arrest or report date"
    arrest_date = _date_field("Arrest or report date")
    field_order = ["arrest_date", "reason"]


class CaseFlagsForm(CaseCorrectionForm):
    title = "Change the circumstances that apply"
    flags = forms.MultipleChoiceField(
        choices=CaseFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Circumstances that apply",
    )
    field_order = ["flags", "reason"]


class CaseCircumstancesForm(CaseCorrectionForm):
    title = "Change the brief circumstances"
    circumstances = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Brief circumstances"
    )
    field_order = ["circumstances", "reason"]


class CaseVictimForm(CaseCorrectionForm):
    title = "Change who the victim is"
    victim_type = forms.ChoiceField(choices=VictimType.choices, widget=forms.RadioSelect, label="Victim")
    field_order = ["victim_type", "reason"]


class CaseVictimViewsForm(CaseCorrectionForm):
    title = "Change the victim's views"
    victim_views = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="The victim's views on an out-of-court disposal",
    )
    victim_views_obtained_on = _date_field("Date the victim's views were obtained", required=False)
    victim_rj_consent = forms.ChoiceField(
        choices=RestorativeJusticeConsent.choices,
        widget=forms.RadioSelect,
        label="Victim's consent to restorative justice",
    )
    field_order = ["victim_views", "victim_views_obtained_on", "victim_rj_consent", "reason"]

    def clean(self):
        data = super().clean()
        if data.get("victim_views") and not data.get("victim_views_obtained_on"):
            self.add_error("victim_views_obtained_on", "Enter the date the victim's views were obtained.")
        return data


# The parts of the case page each with its own "Change" link: the URL's name for it, and its form
# (the parts are declared in cases.workflow.CASE_CORRECTION_PARTS, with who may change them when).
CASE_CORRECTION_FORMS = {
    "arrest-date": CaseArrestDateForm,
    "flags": CaseFlagsForm,
    "circumstances": CaseCircumstancesForm,
    "victim": CaseVictimForm,
    "victim-views": CaseVictimViewsForm,
}


class CaseOffenceAddForm(CaseCorrectionForm):
    title = "Add an offence"
    offence = OffenceChoiceField()
    offence_date = _date_field("Offence date")
    details = forms.CharField(max_length=300, required=False, label="Details (optional)")
    reason = _reason_field(
        "Why are you adding this offence?",
        "For example, a second offence came to light in interview.",
    )
    field_order = ["offence", "offence_date", "details", "reason"]


class CaseOffenceRemoveForm(CaseCorrectionForm):
    title = "Remove an offence"
    reason = _reason_field(
        "Why are you removing this offence?",
        "For example, it was recorded on the wrong case. The removal stays on the case's timeline.",
    )


# --- A scheme's rules (administrators) --------------------------------------------------------------


def _number_field(label, help_text, *, required=True):
    """A whole number, typed into a numeric text input as GOV.UK asks (``type="number"`` misbehaves in
    assistive technology; conditions/forms.py does the same). Its limits are the service's
    (``SCHEME_NUMBER_LIMITS``), enforced there with their message."""
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "invalid": "Enter a whole number.",
        },
    )


def _choices_field(label, help_text, choices):
    return forms.MultipleChoiceField(
        label=label, help_text=help_text, choices=choices, widget=forms.CheckboxSelectMultiple, required=False
    )


def _yes_field(label, help_text=""):
    return forms.BooleanField(label=label, help_text=help_text, required=False)


class SchemeRulesForm(GdsForm):
    """Every rule of a scheme a force's administrators change, in the order of ``SCHEME_RULE_FIELDS``,
    then the reason. ``checked`` carries a fingerprint of the rules whose effect was last shown, so the
    rules are saved only as they were checked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = {
            "minimum_age": (
                "Minimum age",
                "Aged this or over on the day of the decision. At least 18: a conditional caution is for "
                "adults (youth conditional cautions are under separate law).",
            ),
            "maximum_gravity": (
                "Highest gravity score accepted",
                "From 1 (low) to 4 (high). An offence's score, moved up or down one level by aggravating or "
                "mitigating factors, above this makes the case ineligible.",
            ),
            "maximum_crime_age_days": (
                "Oldest crime accepted, in days",
                "Days from the earliest offence to the decision. Leave blank for no limit (Durham's "
                "Checkpoint uses about 90: three months).",
            ),
            "maximum_previous_convictions": (
                "Most previous convictions accepted",
                "Leave blank for no limit.",
            ),
            "maximum_previous_cautions": ("Most previous cautions accepted", "Leave blank for no limit."),
            "compliance_period_default_days": (
                "Default compliance period, in days",
                "The period a case is given unless a supervisor approves a longer one: normally 112 (16 "
                "weeks). It cannot be longer than the maximum.",
            ),
            "compliance_period_max_days": (
                "Maximum compliance period, in days",
                "At most 140 (20 weeks). Conditions are to be completed normally within 16 weeks and "
                "exceptionally within 20 weeks (Code of Practice for Adult Conditional Cautions, under the "
                "Criminal Justice Act 2003 s.25).",
            ),
            "breach_decision_days": (
                "Days to decide a breach review",
                "Calendar days from the breach review opening to its decision, from 1 to 90. For "
                "summary-only offences the compliance period plus these days "
                "is checked against the six-month limit.",
            ),
            "reminder_lead_days": (
                "Reminder lead time, in days",
                "Days before a condition falls due that its owner is reminded: 0 to 90, and less than the "
                "default compliance period.",
            ),
            "victim_notification_days": (
                "Days to tell the victim",
                "Days within which the victim is told of the caution or the resumed prosecution, from 1 "
                "to 5: the Victims' Code 2020 gives 5 working days, 1 for victims "
                "entitled to enhanced rights.",
            ),
        }
        for name, (label, hint) in numbers.items():
            self.fields[name] = _number_field(label, hint, required=name not in SCHEME_OPTIONAL_NUMBERS)
        self.fields["excluded_offence_groups"] = _choices_field(
            "Offence groups the scheme excludes",
            "A case with an offence in a ticked group is not eligible.",
            OffenceGroup.choices,
        )
        self.fields["excluded_flags"] = _choices_field(
            "Circumstances the scheme excludes",
            "A case where a ticked circumstance applies is not eligible.",
            CaseFlag.choices,
        )
        self.fields["prosecutor_authority_for"] = _choices_field(
            "Offences that need the prosecutor's authority",
            "Indictable-only offences always need it (Criminal Justice Act 2003 s.23); tick the others your "
            "scheme refers to the prosecutor.",
            Classification.choices,
        )
        self.fields["must_live_in_force_area"] = _yes_field("The person must live in the force area")
        self.fields["accepts_no_comment_interview"] = _yes_field(
            "A no-comment interview may be accepted",
            "Where there is enough evidence to charge, instead of an admission.",
        )
        self.fields["breach_countersignature_required"] = _yes_field(
            "A confirmed breach needs a supervisor's countersignature"
        )
        self.fields["auto_confirm_without_excuse"] = _yes_field(
            "Confirm a breach automatically at its deadline when no reasonable excuse is recorded",
            "Never where a countersignature is required.",
        )
        self.fields["random_allocation"] = _yes_field(
            "Eligible cases are randomly allocated", "For an evaluation by randomised trial."
        )
        self.fields["reason"] = forms.CharField(
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            label="Why are you changing the rules?",
            help_text="Needed to save. For example, the board agreed to admit shop theft from 1 January. "
            "It is kept with the scheme's history of changes.",
        )
        self.fields["checked"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.helper.layout = Layout(
            Fieldset(
                "minimum_age",
                "maximum_gravity",
                "excluded_offence_groups",
                "excluded_flags",
                "prosecutor_authority_for",
                "maximum_crime_age_days",
                "maximum_previous_convictions",
                "maximum_previous_cautions",
                "must_live_in_force_area",
                "accepts_no_comment_interview",
                legend="Eligibility",
                legend_size="m",
            ),
            Fieldset(
                "compliance_period_default_days",
                "compliance_period_max_days",
                "breach_decision_days",
                "reminder_lead_days",
                "victim_notification_days",
                "breach_countersignature_required",
                "auto_confirm_without_excuse",
                "random_allocation",
                legend="Periods, deadlines and breaches",
                legend_size="m",
            ),
            "reason",
            "checked",
        )

    @staticmethod
    def initial_for(scheme) -> dict:
        return {name: getattr(scheme, name) for name in SCHEME_RULE_FIELDS}

    def proposed(self) -> dict:
        """The rules as the service takes them."""
        return {name: self.cleaned_data[name] for name in SCHEME_RULE_FIELDS}

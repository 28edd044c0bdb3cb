from django import forms
from django.utils import timezone

from cases.forms import SubmitOnceMixin
from offenderhub.accounts.models import Organisation, OrganisationKind, Role, User
from offenderhub.core.forms import GdsDateField, GdsForm
from offenderhub.core.text import shortened

from .models import (
    AmountKind,
    BreachOutcome,
    ConditionKind,
    ConditionStatus,
    ConditionTemplate,
    ProsecutionMethod,
    ProsecutionOutcome,
    RecordKind,
)
from .selectors import condition_template_list_for


def _date(label, required=True, help_text="For example, 27 3 2026"):
    return GdsDateField(label=label, required=required, help_text=help_text)


def _text(label, rows=3, required=True, help_text=""):
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


def responsible_organisation_list_for(user):
    return Organisation.objects.filter(pk=user.organisation_id) | Organisation.objects.filter(
        kind=OrganisationKind.PARTNER_AGENCY, is_active=True
    )


class ConditionForm(GdsForm):
    """A condition's terms. Which catalogue entry it starts from is chosen once, above the form (the
    page's "Start from the catalogue", which fills the form in), and carried here hidden; a form that
    has no such chooser shows the catalogue as a field (``catalogue_in_form``)."""

    catalogue_in_form = False
    template = forms.ModelChoiceField(
        queryset=ConditionTemplate.objects.none(),  # the user's catalogue: see __init__
        required=False,
        label="From the catalogue (optional)",
        empty_label="None: a condition of its own",
    )
    kind = forms.ChoiceField(
        choices=ConditionKind.choices, widget=forms.RadioSelect, label="Kind of condition"
    )
    wording = _text(
        "Condition",
        4,
        help_text="Specific and measurable: what the person must do, where, how often and by when.",
    )
    due_date = _date("Due date")
    responsible_organisation = forms.ModelChoiceField(
        queryset=None, label="Responsible organisation", empty_label=None
    )
    owner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Owner (optional)",
        empty_label="Not yet assigned",
        help_text="The person who follows the condition up; a partner agency assigns its own.",
    )
    hours = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
        label="Hours of attendance (optional)",
        help_text="Reparative and punitive attendance counts toward the legal cap; rehabilitation does not.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-4"}),
    )
    amount_kind = forms.ChoiceField(
        choices=AmountKind.choices, required=False, widget=forms.RadioSelect, label="Payment"
    )
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100000,
        decimal_places=2,
        label="Amount in pounds (optional)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-5"}),
    )
    needs_referral = forms.BooleanField(required=False, label="Delivered by a partner through a referral")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = condition_template_list_for(user)
        if not self.catalogue_in_form:
            self.fields["template"].widget = forms.HiddenInput()
            self.fields["template"].error_messages["invalid_choice"] = (
                "That catalogue condition is no longer available: start from the catalogue again"
            )
        organisations = responsible_organisation_list_for(user).order_by("kind", "name")
        self.fields["responsible_organisation"].queryset = organisations
        self.fields["owner"].queryset = User.objects.filter(
            organisation_id=user.organisation_id, is_active=True, role_assignments__role=Role.CASE_WORKER
        ).order_by("full_name")
        self.initial.setdefault("responsible_organisation", user.organisation_id)

    def terms(self) -> dict:
        data = self.cleaned_data
        return {
            "template": data["template"],
            "kind": data["kind"],
            "wording": data["wording"],
            "due_date": data["due_date"],
            "responsible_organisation": data["responsible_organisation"],
            "owner": data["owner"],
            "hours": data["hours"],
            "amount_kind": data["amount_kind"] or "",
            "amount": data["amount"],
            "needs_referral": data["needs_referral"],
        }


class ReasonForm(GdsForm):
    reason = _text("Reason")


class PeriodExtensionForm(GdsForm):
    days = forms.IntegerField(
        label="Completion period in days",
        min_value=1,
        max_value=1000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
    )
    reason = _text("Exceptional reason for the longer period")


class CautionForm(SubmitOnceMixin, GdsForm):
    administered_on = _date("Date the caution was given")
    place = forms.CharField(
        max_length=150, label="Where it was given", help_text="For example, Parkside police station"
    )
    admission_words = _text("The person's admission, in their words")
    effect_explained = forms.BooleanField(required=False, label="The effect of the caution was explained")
    warning_given = forms.BooleanField(
        required=False, label="The person was warned that failing a condition may lead to prosecution"
    )
    consented = forms.BooleanField(
        required=False, label="The person consents to the caution and its conditions"
    )
    signed = forms.BooleanField(required=False, label="The person signed the caution document")
    interpreter = forms.CharField(
        max_length=150, required=False, label="Interpreter (name and language, if any)"
    )
    appropriate_adult = forms.CharField(max_length=150, required=False, label="Appropriate adult (if any)")


PROGRESS_CHOICES = [
    (ConditionStatus.IN_PROGRESS, "Started"),
    (ConditionStatus.COMPLETE, "Complete"),
    (ConditionStatus.FAILED, "Failed"),
    (ConditionStatus.WITHDRAWN, "Withdrawn: no longer required (decision-makers only)"),
]


class ProgressForm(GdsForm):
    to = forms.ChoiceField(choices=PROGRESS_CHOICES, widget=forms.RadioSelect, label="New status")
    on = _date("Date", required=False, help_text="Leave blank for today")
    notes = _text("Notes", 2, required=False, help_text="Required when a condition failed or is withdrawn.")


class RecordForm(GdsForm):
    kind = forms.ChoiceField(choices=RecordKind.choices, label="Type")
    text = _text("Evidence or note", 3)
    reference = forms.CharField(max_length=100, required=False, label="Reference (optional)")


class ConsentFields(forms.Form):
    reason = _text("Reason for the variation")
    person_consented = forms.BooleanField(required=False, label="The person consents to the variation")
    consented_on = _date("Date the person consented", required=False)


class DueDateVariationForm(ConsentFields, GdsForm):
    new_due_date = _date("New due date")
    field_order = ["new_due_date", "reason", "person_consented", "consented_on"]


class NewConditionVariationForm(ConsentFields, ConditionForm):
    catalogue_in_form = True  # the variation page has no chooser above the form

    pass


class VariationDecisionForm(GdsForm):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve"), ("no", "Refuse")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Decision",
    )
    notes = _text("Notes", 2, required=False, help_text="Required when refusing.")


class BreachOpenForm(GdsForm):
    conditions = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Failed or overdue conditions"
    )
    reason = _text("Why is a breach review needed?")

    def __init__(self, *args, conditions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conditions"].queryset = conditions
        self.fields["conditions"].label_from_instance = condition_label


def condition_label(condition) -> str:
    """A condition in a list of choices: its wording cut at a whole word, its due date and status."""
    return (
        f"{shortened(condition.wording, 90)} (due {condition.due_date:%-d %B %Y}, "
        f"{condition.get_status_display().lower()})"
    )


class BreachDecisionForm(GdsForm):
    """One question decides the outcome, and with it whether there was a reasonable excuse
    (DOMAIN.md, Breach): none, and the breach is confirmed; an excuse, and the conditions continue or
    are varied. The fields only one outcome needs are shown under that outcome
    (``breach_review.html``: GOV.UK Frontend's conditional reveal; without JavaScript they all show)."""

    person_account = _text(
        "The person's account", 3, help_text="What they said, or that they gave none and how they were asked."
    )
    outcome = forms.ChoiceField(
        choices=BreachOutcome.choices,
        widget=forms.RadioSelect,
        label="Did the person have a reasonable excuse?",
        error_messages={"required": "Choose whether the person had a reasonable excuse, and what follows."},
    )
    new_due_date = _date("New due date", required=False)  # required to vary: the service says so
    person_consented = forms.BooleanField(required=False, label="The person consents to the variation")
    breached_conditions = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Conditions breached"
    )
    alternatives_tried = _text(
        "Alternatives tried", 3, required=False, help_text="What was tried before confirming the breach."
    )
    time_limit_acknowledged = forms.BooleanField(required=False, label="")
    rationale = _text("Rationale", 4)

    # Shown only under the outcome that needs them.
    VARY_FIELDS = ("new_due_date", "person_consented")
    CONFIRM_FIELDS = ("breached_conditions", "alternatives_tried", "time_limit_acknowledged")

    def __init__(self, *args, conditions, time_limit=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breached_conditions"].queryset = conditions
        self.fields["breached_conditions"].label_from_instance = condition_label
        if time_limit:
            self.fields["time_limit_acknowledged"].label = time_limit_acknowledgement(time_limit, today=today)

    @property
    def reasonable_excuse(self) -> bool:
        return self.cleaned_data["outcome"] != BreachOutcome.BREACH_CONFIRMED


def time_limit_acknowledgement(time_limit, *, today=None) -> str:
    """What the decision-maker confirms about the six-month limit: in the future tense while the date
    is ahead (or today), in the past tense only once it has passed."""
    today = today or timezone.localdate()
    offence, limit = time_limit.offence_name.lower(), time_limit.latest_proceedings_date
    if limit >= today:
        return f"I understand that proceedings for {offence} must start by {limit:%-d %B %Y}"
    return (
        f"I understand that proceedings for {offence} had to start by {limit:%-d %B %Y}, "
        "so the prosecution can no longer start"
    )


class CountersignForm(GdsForm):
    agree = forms.TypedChoiceField(
        choices=[("yes", "Countersign: the breach is confirmed"), ("no", "Do not countersign")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Countersignature",
    )
    notes = _text("Notes", 2, required=False, help_text="Required when you do not countersign.")


class ProsecutionForm(GdsForm):
    method = forms.ChoiceField(
        choices=[("", "Not yet")] + list(ProsecutionMethod.choices),
        required=False,
        widget=forms.RadioSelect,
        label="How proceedings started",
    )
    proceedings_started_on = _date("Charge or requisition date", required=False)
    court = forms.CharField(max_length=150, required=False, label="Court")
    first_hearing_on = _date("First hearing", required=False)
    outcome = forms.ChoiceField(choices=ProsecutionOutcome.choices, widget=forms.RadioSelect, label="Outcome")
    outcome_on = _date("Outcome date", required=False)
    outcome_notes = _text("Notes", 2, required=False)

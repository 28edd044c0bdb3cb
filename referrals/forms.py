import re
from datetime import datetime, time

from django import forms
from django.utils import timezone

from assessments.models import Pathway
from offenderhub.core.forms import GdsDateField, GdsForm

from .models import (
    AppointmentFormat,
    AppointmentSetting,
    Attendance,
    DeclineReason,
    DesiredOutcome,
    EndReport,
    Engagement,
    EvidenceKind,
    NonAttendance,
    RescheduleRequester,
    WithdrawReason,
)


def _text(label, rows=3, required=True, help_text=""):
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


def _radios(choices, label, required=True):
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, label=label, required=required)


class ReferralForm(GdsForm):
    service = forms.ModelChoiceField(queryset=None, label="Service", empty_label=None)
    condition = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="The condition it delivers",
        empty_label="None: a referral for a need",
    )
    reason = _text("Reason for the referral")
    desired_outcomes = _text(
        "Desired outcomes", 3, help_text="One per line. The agency reports on each at the end."
    )
    due_date = GdsDateField(label="To be completed by", help_text="For example, 27 3 2027")
    needs = forms.MultipleChoiceField(
        choices=Pathway.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Relevant needs"
    )
    needs_summary = _text("What the agency needs to know about those needs", 3, required=False)
    risk_summary = _text(
        "Relevant risks", 2, required=False, help_text="Only what the agency needs to work safely."
    )
    interpreter_language = forms.CharField(max_length=60, required=False, label="Interpreter (language)")
    availability = forms.CharField(max_length=300, required=False, label="When the person can attend")
    access_needs = _text("Other access needs", 2, required=False)

    def __init__(self, *args, services, conditions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["service"].label_from_instance = lambda s: f"{s.name} ({s.organisation.name})"
        self.fields["condition"].queryset = conditions
        self.fields["condition"].label_from_instance = lambda c: (
            f"{c.wording[:80]} (due {c.due_date:%-d %b %Y})"
        )

    def clean_desired_outcomes(self):
        return [line.strip() for line in self.cleaned_data["desired_outcomes"].splitlines() if line.strip()]


class PractitionerForm(GdsForm):
    """Who delivers the intervention: nobody is chosen for the manager, and each person says whether
    they are a practitioner or a manager (practitioners listed first)."""

    practitioner = forms.ModelChoiceField(
        queryset=None,
        label="Practitioner",
        empty_label="Choose who will deliver it",
        error_messages={"required": "Choose who will deliver the intervention"},
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["practitioner"]
        field.queryset = practitioners
        field.label_from_instance = practitioner_label


def practitioner_label(user) -> str:
    roles = [
        name
        for held, name in [
            (getattr(user, "is_practitioner", False), "practitioner"),
            (getattr(user, "is_manager", False), "manager"),
        ]
        if held
    ]
    return f"{user.full_name} ({' and '.join(roles)})" if roles else user.full_name


class AssignForm(PractitionerForm):
    reason = forms.CharField(max_length=300, required=False, label="Reason for the change (optional)")


class DeclineForm(GdsForm):
    reason = _radios(DeclineReason.choices, "Reason")
    notes = _text("Explanation for the case worker")


class WithdrawForm(GdsForm):
    reason = _radios(WithdrawReason.choices, "Reason")
    notes = _text("Notes", 2, required=False)


TIME_RE = re.compile(r"^(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)$")


class WhenForm(GdsForm):
    on = GdsDateField(label="Date", help_text="For example, 27 3 2027")
    at = forms.CharField(
        max_length=5,
        label="Time",
        help_text="24-hour clock, for example 14:30",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )

    def clean_at(self):
        match = TIME_RE.match(self.cleaned_data["at"].strip())
        if not match:
            raise forms.ValidationError("Enter a time like 14:30")
        return time(int(match["h"]), int(match["m"]))

    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["on"], self.cleaned_data["at"]))


class AppointmentForm(WhenForm):
    duration_minutes = forms.IntegerField(
        min_value=5,
        max_value=480,
        initial=60,
        label="Length in minutes",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
    )
    format = _radios(AppointmentFormat.choices, "Format")
    setting = _radios(AppointmentSetting.choices, "One-to-one or group")
    location = forms.CharField(max_length=200, required=False, label="Where (optional)")

    def terms(self) -> dict:
        """The appointment as the services take it: when, how long, how and where."""
        data = self.cleaned_data
        return {
            "starts_at": self.starts_at(),
            "duration_minutes": data["duration_minutes"],
            "format": data["format"],
            "setting": data["setting"],
            "location": data["location"],
        }


class RescheduleForm(WhenForm):
    requested_by = _radios(RescheduleRequester.choices, "Who asked for the change?")
    reason = forms.CharField(max_length=300, label="Why")


class OutcomeForm(GdsForm):
    attendance = _radios(Attendance.choices, "Did the person attend?")
    late_reason = forms.CharField(max_length=300, required=False, label="If late, why")
    non_attendance = _radios(
        NonAttendance.choices, "If the session did not happen, was the reason…", required=False
    )
    non_attendance_notes = _text("What happened", 2, required=False)
    summary = _text("Session summary", 3, required=False, help_text="Required when the person attended.")
    engagement = _radios(Engagement.choices, "The person's response", required=False)
    behaviour = _text("Behaviour", 2, required=False)
    concerns = _text("Concerns", 2, required=False)
    alert_case_worker = forms.BooleanField(required=False, label="Alert the case worker about these concerns")


class SessionForm(AppointmentForm, OutcomeForm):
    """A session that has already happened, in one form: when and how it was held, then what happened."""

    field_order = [*AppointmentForm.base_fields, *OutcomeForm.base_fields]

    def outcome(self) -> dict:
        return {name: self.cleaned_data[name] for name in OutcomeForm.base_fields}


class NoteForm(GdsForm):
    text = _text("Note", 3)


class EvidenceForm(GdsForm):
    file = forms.FileField(label="Document", help_text="PDF, PNG or JPEG, up to 10 MB.")
    kind = forms.ChoiceField(choices=EvidenceKind.choices, label="Type")
    description = forms.CharField(max_length=300, required=False, label="Description (optional)")


class ReportForm(GdsForm):
    result = _radios(EndReport.Result.choices, "Overall result")
    summary = _text("Summary of the intervention", 4)

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome_rows = []
        for outcome in outcomes:
            result = f"outcome_{outcome.pk}"
            comment = f"comment_{outcome.pk}"
            self.fields[result] = _radios(DesiredOutcome.Result.choices, outcome.text)
            self.fields[comment] = forms.CharField(required=False, max_length=2000, label="Comment")
            self.outcome_rows.append((outcome, result, comment))

    def outcomes(self) -> dict:
        return {
            outcome.pk: (self.cleaned_data[result], self.cleaned_data[comment])
            for outcome, result, comment in self.outcome_rows
        }

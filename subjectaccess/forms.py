from django import forms

from cases.forms import SubmitOnceMixin
from offenderhub.core.forms import GdsDateField, GdsForm

from .models import ExemptionGround, ReleaseMethod, RequesterKind


class RequestForm(SubmitOnceMixin, GdsForm):
    received_on = GdsDateField(label="Date the request was received", help_text="For example, 27 3 2027")
    requester_kind = forms.ChoiceField(
        choices=RequesterKind.choices, widget=forms.RadioSelect, label="Who made the request"
    )
    received_from = forms.CharField(
        max_length=200,
        label="Received from",
        help_text="Their name and how the request came, for example “Tom Hargreaves, by letter”.",
    )
    identity_confirmed_on = GdsDateField(
        label="Date the requester's identity was confirmed (optional)",
        required=False,
        help_text="Only if you asked for proof of identity: the month to respond starts when it arrived.",
    )


class RedactionForm(GdsForm):
    item = forms.CharField(
        max_length=80,
        required=False,
        label="Item (optional)",
        help_text="As the export names it: case-12 for a whole record, case-12.victim_views for one field. "
        "Leave it empty for something withheld from the response as a whole.",
    )
    ground = forms.ChoiceField(
        choices=[(g.value, f"Section 45(4)({'abcde'[i]}): {g.label}") for i, g in enumerate(ExemptionGround)],
        widget=forms.RadioSelect,
        label="Ground (Data Protection Act 2018)",
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why withholding it is necessary and proportionate",
        help_text="Kept for the Information Commissioner (section 45(7)). Not in the response: the person is "
        "told only the ground.",
    )


class ReleaseForm(GdsForm):
    release_method = forms.ChoiceField(
        choices=ReleaseMethod.choices, widget=forms.RadioSelect, label="How was the response sent?"
    )


class RecordFindForm(GdsForm):
    record = forms.CharField(
        max_length=40,
        label="Case reference or person number",
        help_text="For example FEN-2027-000123 for a case, or 4567 (or #4567) for a person.",
    )

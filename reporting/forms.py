from django import forms

from offenderhub.core.forms import GdsDateField, GdsForm

from .models import Finding
from .services import SAMPLE_OUTCOMES


class ImportForm(GdsForm):
    file = forms.FileField(label="CSV file from police records", help_text="UTF-8 CSV with a header row.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB: split it.")
        return upload


class SampleForm(GdsForm):
    title = forms.CharField(
        max_length=150, label="Title", help_text="For example, Scrutiny panel, March 2027"
    )
    outcomes = forms.MultipleChoiceField(
        choices=list(SAMPLE_OUTCOMES.items()), widget=forms.CheckboxSelectMultiple, label="Cases that were"
    )
    size = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=10,
        label="How many cases",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )
    period_from = GdsDateField(
        label="Cautioned from (optional)", required=False, help_text="For example, 1 1 2026"
    )
    period_to = GdsDateField(
        label="Cautioned to (optional)", required=False, help_text="For example, 31 3 2026"
    )


class FindingForm(GdsForm):
    finding = forms.ChoiceField(
        choices=Finding.choices, widget=forms.RadioSelect, label="The panel's finding"
    )
    observations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Observations",
        help_text="Required unless the disposal was appropriate without observations.",
    )


class ExtractPermissionForm(GdsForm):
    authority = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="On whose authority, and why",
        help_text="For example, the data sharing agreement and who approved it. Kept with the permission.",
        error_messages={"required": "Enter on whose authority and why the permission is granted"},
    )


class CaseExtractForm(GdsForm):
    purpose = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What is the extract for?",
        help_text="For example, the evaluation of the scheme's first two years for the commissioner's board.",
        error_messages={"required": "Enter what the extract is for"},
    )
    recipient = forms.CharField(
        max_length=300,
        label="Who will receive it?",
        help_text="The team or organisation that will hold the extract.",
        error_messages={"required": "Enter who will receive the extract"},
    )
    opened_in = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Cases opened in",
        error_messages={"invalid_choice": "Choose a year from the list"},
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened_in"].choices = [("", "Every year")] + [(y, str(y)) for y in years]

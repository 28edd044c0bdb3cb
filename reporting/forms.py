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

from django import forms

from offenderhub.core.forms import GdsForm

from .models import NeedLevel, Pathway, RiskFlag
from .services import contributor_organisation_list_for


class AssessmentForm(GdsForm):
    """The draft: a level and notes for every pathway, risks, and the person's goals. The pathway
    fields are rendered as a table by the template; the rest by crispy-forms-gds."""

    goals = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="The person's own goals",
        help_text="In their words. Needed to complete the assessment.",
    )
    risk_flags = forms.MultipleChoiceField(
        choices=RiskFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Risk and safeguarding",
    )
    risk_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Risk and safeguarding notes"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Pathway.choices:
            self.fields[f"level_{value}"] = forms.TypedChoiceField(
                choices=NeedLevel.choices, coerce=int, label=f"{label}: need", initial=NeedLevel.NONE
            )
            self.fields[f"notes_{value}"] = forms.CharField(
                required=False,
                max_length=2000,
                label=f"{label}: notes",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @property
    def pathway_rows(self):
        return [(label, self[f"level_{value}"], self[f"notes_{value}"]) for value, label in Pathway.choices]

    def needs(self) -> dict:
        return {
            value: (self.cleaned_data[f"level_{value}"], self.cleaned_data[f"notes_{value}"])
            for value in Pathway.values
        }


class ContributionForm(GdsForm):
    organisation = forms.ModelChoiceField(queryset=None, label="Organisation", empty_label=None)
    contributor_name = forms.CharField(max_length=150, label="Contributor's name and role")
    pathway = forms.ChoiceField(choices=[("", "General")] + Pathway.choices, required=False, label="Pathway")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Contribution")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = contributor_organisation_list_for(user).order_by(
            "kind", "name"
        )
        self.initial.setdefault("organisation", user.organisation_id)

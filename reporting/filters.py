import django_filters
from dateutil.relativedelta import relativedelta
from django import forms

from cases.models import CaseOffence, Ethnicity, OffenceGroup, Scheme, Sex
from offenderhub.accounts.models import Area
from offenderhub.core.forms import GdsForm

from .models import CaseFact
from .selectors import AGE_BANDS


class MonthField(forms.DateField):
    """A month, written 2027-03 (a full date is taken as its month): the first day of the month.
    The dashboard's period is whole months: a day at a time, one period's figures taken from the
    next would count the cases of a single day (reporting/disclosure.py)."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a month like 2027-03"}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "govuk-input govuk-input--width-5"}))
        kwargs.setdefault("help_text", "For example, 2027-03")
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class MonthFilter(django_filters.DateFilter):
    field_class = MonthField


class DashboardFilter(django_filters.FilterSet):
    """Filters for every dashboard figure: the period (cases opened, in whole months), scheme, area,
    offence group, sex, age band and ethnic group. They filter the dashboard's summaries (CaseFact,
    scoped_facts) or the cases themselves (Case, scoped_cases) alike."""

    opened_from = MonthFilter(field_name="created_at", lookup_expr="date__gte", label="Opened from (month)")
    opened_to = MonthFilter(field_name="created_at", method="opened_to_month", label="Opened to (month)")
    scheme = django_filters.ModelChoiceFilter(
        queryset=Scheme.objects.none(), empty_label="All schemes", label="Scheme"
    )
    area = django_filters.ModelChoiceFilter(
        queryset=Area.objects.none(), empty_label="All areas", label="Area"
    )
    offence_group = django_filters.ChoiceFilter(
        choices=OffenceGroup.choices,
        method="by_offence_group",
        empty_label="All offence groups",
        label="Offence group",
    )
    sex = django_filters.ChoiceFilter(
        field_name="sex", choices=Sex.choices, method="by_person", empty_label="Any", label="Sex"
    )
    age_band = django_filters.ChoiceFilter(
        field_name="age_band",
        choices=[("Under 18", "Under 18")] + [(label, label) for label, _, _ in AGE_BANDS],
        empty_label="Any age",
        label="Age band (today)",
    )
    ethnicity = django_filters.ChoiceFilter(
        field_name="ethnicity__group",
        method="by_person",
        choices=[],
        empty_label="Any ethnic group",
        label="Ethnic group",
    )

    class Meta:
        form = GdsForm
        fields = []

    def __init__(self, *args, force_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["scheme"].queryset = Scheme.objects.filter(force_id=force_id)
        self.filters["area"].queryset = Area.objects.filter(force_id=force_id)
        groups = Ethnicity.objects.order_by("group").values_list("group", flat=True).distinct()
        self.filters["ethnicity"].extra["choices"] = [(g, g) for g in groups]

    def opened_to_month(self, queryset, name, value):
        """Cases opened up to the end of the month."""
        if not value:
            return queryset
        return queryset.filter(created_at__date__lt=value + relativedelta(months=1))

    def by_offence_group(self, queryset, name, value):
        if not value:
            return queryset
        if queryset.model is CaseFact:
            return queryset.filter(offence_groups__contains=f",{value},")
        return queryset.filter(pk__in=CaseOffence.objects.filter(offence__group=value).values("case_id"))

    def by_person(self, queryset, name, value):
        """The summaries hold the person's sex and ethnic group; the cases reach them through the person."""
        if not value:
            return queryset
        return queryset.filter(**{name if queryset.model is CaseFact else f"person__{name}": value})

from datetime import timedelta

import django_filters
from django import forms

from offenderhub.audit.filters import _start_of
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.core.forms import GdsForm

# What can be done to a record (sign-ins are about no record).
RECORD_ACTIONS = [
    (a.value, a.label)
    for a in (
        AuditAction.VIEWED,
        AuditAction.CREATED,
        AuditAction.CHANGED,
        AuditAction.EXPORTED,
        AuditAction.DISCLOSED,
        AuditAction.DELETED,
        AuditAction.ERASED,
    )
]

RECORDS_PERSON = [
    ("record", "This person's details"),
    (
        "all",
        "All of this person's records: their cases, decisions, conditions, referrals, documents and requests",
    ),
]
RECORDS_CASE = [
    ("record", "This case"),
    ("all", "This case and its records: decisions, assessments, conditions, referrals and documents"),
]


class RecordAccessForm(GdsForm):
    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", "The “To” date must be the same as or after the “From” date.")
        return data


class RecordAccessFilter(django_filters.FilterSet):
    """The access log of one record: which records (``records``, read by the view before filtering),
    who, what and when."""

    records = django_filters.ChoiceFilter(
        method="filter_nothing", label="Records", empty_label=None, widget=forms.RadioSelect
    )
    actor = django_filters.ChoiceFilter(
        field_name="actor_label",
        label="Who",
        empty_label="Anyone",
        help_text="Everyone who appears in this log.",
    )
    action = django_filters.ChoiceFilter(
        choices=RECORD_ACTIONS, empty_label="Any action", label="What they did"
    )
    occurred_from = django_filters.DateFilter(
        method="filter_from", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_to = django_filters.DateFilter(
        method="filter_to", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        form = RecordAccessForm
        fields = ["records", "actor", "action", "occurred_from", "occurred_to"]

    def __init__(self, *args, actors=(), records=RECORDS_PERSON, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["actor"].extra["choices"] = [(a, a) for a in actors]
        self.filters["records"].extra["choices"] = records
        self.form.fields["records"].initial = "record"

    def filter_nothing(self, queryset, name, value):
        return queryset  # the view chose the records already

    def filter_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_start_of(value + timedelta(days=1)))

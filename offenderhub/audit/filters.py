from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from offenderhub.core.forms import GdsForm

from .models import AuditAction, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_label", lookup_expr="icontains", label="Who (email address)"
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, empty_label="Any action", label="Action"
    )
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(
            app_label__in=["accounts", "cases", "assessments", "conditions", "referrals", "reporting"]
        ).order_by("app_label", "model"),
        empty_label="Any kind of record",
        label="Kind of record",
    )
    object_id = django_filters.CharFilter(
        label="Record number", help_text="Shows who has accessed this record."
    )
    # Ranges on occurred_at from the start of the day (in the service's time zone), the same rows as
    # occurred_at__date__gte/lte, which no index can serve.
    occurred_from = django_filters.DateFilter(
        method="filter_from",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_to = django_filters.DateFilter(
        method="filter_to",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def filter_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_start_of(value + timedelta(days=1)))

    class Meta:
        model = AuditEvent
        form = GdsForm
        fields = ["actor", "action", "content_type", "object_id", "occurred_from", "occurred_to"]


def _start_of(day):
    """Midnight at the start of ``day`` in the current time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))

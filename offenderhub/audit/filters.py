import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType

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
    occurred_from = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_to = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        form = GdsForm
        fields = ["actor", "action", "content_type", "object_id", "occurred_from", "occurred_to"]

import django_filters
from django import forms
from django.db.models import Q

from offenderhub.core.forms import GdsForm

from .models import Service

SORTS = {
    "sent": "sent_at",
    "due": "due_date",
    "name": "case__person__family_name",
    "status": "status",
}


class ReferralFilter(django_filters.FilterSet):
    """The partner workspace's filters: search by name or case reference, service, due by; sorting
    is done on the server so every page is in order."""

    q = django_filters.CharFilter(method="search", label="Name or case reference")
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.none(), label="Service", empty_label="Any"
    )
    due_before = django_filters.DateFilter(
        field_name="due_date",
        lookup_expr="lte",
        label="Due by",
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}),
    )

    class Meta:
        form = GdsForm
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["service"].queryset = Service.objects.filter(
            organisation_id=user.organisation_id
        ).select_related("organisation")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q(case__reference__iexact=value)
        for word in value.split():
            query |= Q(case__person__family_name__icontains=word) | Q(
                case__person__given_names__icontains=word
            )
        return queryset.filter(query)


def sort_referrals(queryset, key: str):
    field = SORTS.get(key.lstrip("-"))
    if field is None:
        return queryset.order_by("due_date", "id"), ""
    direction = "-" if key.startswith("-") else ""
    return queryset.order_by(f"{direction}{field}", "id"), key

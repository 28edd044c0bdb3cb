import django_filters
from django import forms
from django.db.models import Q

from cases.models import Case, Person
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
        """Referrals whose case has this reference, or whose person has any of the words in their
        names. Written as ``case IN (cases by reference UNION cases by person)`` so that PostgreSQL
        finds the people through their names' trigram indexes and the referrals by case, rather
        than joining every referral of the tab to its person to test the names."""
        value = value.strip()
        if not value:
            return queryset
        names = Q()
        for word in value.split():
            names |= Q(family_name__icontains=word) | Q(given_names__icontains=word)
        by_reference = Case.objects.filter(reference__iexact=value).order_by().values("pk")
        people = Person.objects.filter(names).order_by().values("pk")
        by_person = Case.objects.filter(person__in=people).order_by().values("pk")
        # Unordered parts: SQLite (make run) refuses an ORDER BY inside a UNION.
        return queryset.filter(case__in=by_reference.union(by_person))


def sort_referrals(queryset, key: str):
    field = SORTS.get(key.lstrip("-"))
    if field is None:
        return queryset.order_by("due_date", "id"), ""
    direction = "-" if key.startswith("-") else ""
    return queryset.order_by(f"{direction}{field}", "id"), key

import django_filters
from django import forms
from django.db.models import F

from offenderhub.accounts.models import Area
from offenderhub.core.forms import GdsForm

from .events import EVENT_KINDS, EventKind
from .models import CaseStatus, Classification
from .selectors import case_search, case_worker_list_for, scheme_list_for


class TieBrokenOrderingFilter(django_filters.OrderingFilter):
    """Sorts as asked, then by id in the same direction: rows that tie keep one order from page to page,
    and every sort matches an index that ends with the id (cases.models.Case.Meta.indexes).

    The fields named in ``nulls_last`` put their blanks last going up and first going down, said
    explicitly: SQLite's default is the opposite of PostgreSQL's. The order is PostgreSQL's own default
    (ASC NULLS LAST, DESC NULLS FIRST), so a plain B-tree index on the column, read forwards or
    backwards, still gives the rows in order (case_force_time_limit_idx)."""

    def __init__(self, *args, nulls_last=(), **kwargs):
        self.nulls_last = frozenset(nulls_last)
        super().__init__(*args, **kwargs)

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        descending = value.startswith("-")
        field = value.lstrip("-")
        if field not in self.nulls_last:
            return value
        return F(field).desc(nulls_first=True) if descending else F(field).asc(nulls_last=True)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        last = ordering[-1]
        descending = last.descending if hasattr(last, "descending") else last.startswith("-")
        return qs.order_by(*ordering, "-id" if descending else "id")


class CaseFilter(django_filters.FilterSet):
    class Meta:
        form = GdsForm  # with a form helper, so the page's error summary lists every refused value

    q = django_filters.CharFilter(
        method="search",
        label="Reference, name or PNC ID",
        help_text="Aliases count. If fewer than a page match, names spelt similarly are added.",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices,
        label="Status",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # a case has one status: no row can repeat, and DISTINCT would sort them all
    )
    scheme = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any scheme", label="Scheme")
    area = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any area", label="Area")
    owner = django_filters.ModelChoiceFilter(queryset=None, empty_label="Anyone", label="Case worker")
    classification = django_filters.ChoiceFilter(
        choices=Classification.choices,
        method="filter_classification",
        empty_label="Any",
        label="Offence classification",
    )
    due_for_decision = django_filters.BooleanFilter(
        method="filter_due", label="Due for decision", widget=forms.CheckboxInput
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label="My cases", widget=forms.CheckboxInput)
    sort = TieBrokenOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("person__family_name", "name"),
            ("status", "status"),
            ("scheme__name", "scheme"),
            ("area__name", "area"),
            ("owner__full_name", "owner"),
            ("created_at", "opened"),
            ("first_summary_offence_date", "time_limit"),
        ),
        nulls_last=("first_summary_offence_date",),  # cases without a six-month limit last
        label="Sort by",
    )

    def __init__(self, *args, user, similar_people=(), **kwargs):
        """``similar_people``: ids of people found by a name spelt another way, whose cases the search
        adds (``person_similar_ids_for``; the caseload asks for them when the search finds less than a
        page)."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.similar_people = similar_people
        self.search_term = ""
        self.filters["scheme"].queryset = scheme_list_for(user)
        self.filters["area"].queryset = Area.objects.filter(force_id=user.organisation_id)
        self.filters["owner"].queryset = case_worker_list_for(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        self.search_term = value
        return queryset.filter(case_search(value, similar_people=self.similar_people))

    def filter_classification(self, queryset, name, value):
        if not value:
            return queryset
        # The case's own flag (kept by cases.services), not its six-month-limit column: an either-way
        # offence tried summarily for its value is classed "summary only" (its penalty maximum) but
        # has no limit (issue 14).
        return queryset.filter(**{f"holds_{value}": True})

    def filter_due(self, queryset, name, value):
        return queryset.filter(status=CaseStatus.AWAITING_DECISION) if value else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(owner=self.user) if value else queryset


class TimelineFilter(django_filters.FilterSet):
    """A case's timeline narrowed to some kinds of event (cases.events.EVENT_KINDS); none chosen, all."""

    class Meta:
        form = GdsForm

    kind = django_filters.MultipleChoiceFilter(
        choices=EventKind.choices,
        method="filter_kind",
        label="Kind of event",
        widget=forms.CheckboxSelectMultiple,
    )

    def filter_kind(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(code__in=sorted(code for kind in value for code in EVENT_KINDS[kind]))

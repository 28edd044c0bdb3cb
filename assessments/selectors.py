"""Scoped reads of assessments and the distance travelled. The services a completed assessment suggests
are the partner directory's, answered by referrals (``ServiceSuggestionsAsked``, assessments/events.py)."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404

from cases.selectors import case_list_for

from .models import IN_NEED, Assessment, AssessmentKind, AssessmentStatus, NeedLevel, PathwayNeed


def initial_assessment_done(case) -> bool:
    """The case's initial needs assessment is completed: what agreeing its conditions needs."""
    return Assessment.objects.filter(
        case=case, kind=AssessmentKind.INITIAL, status=AssessmentStatus.COMPLETED
    ).exists()


def assessment_list_for(user, case):
    return (
        Assessment.objects.filter(case__in=case_list_for(user), case=case)
        .select_related("created_by", "completed_by")
        .prefetch_related(
            Prefetch("needs", queryset=PathwayNeed.objects.order_by("id")),
            "contributions__organisation",
            "contributions__recorded_by",
        )
    )


def assessment_summary_list_for(user, case):
    """The case's assessments as the case's "Assessment" page lists them, in two queries: each with its
    number of contributions and the pathways found in need (medium or high), highest first."""
    return (
        Assessment.objects.filter(case__in=case_list_for(user), case=case)
        .select_related("created_by", "completed_by")
        .annotate(contribution_count=Count("contributions"))
        .prefetch_related(
            Prefetch(
                "needs",
                queryset=PathwayNeed.objects.filter(level__gte=IN_NEED).order_by("-level", "id"),
                to_attr="needs_found",
            )
        )
        .order_by("created_at", "id")
    )


def assessment_get_for(user, pk) -> Assessment:
    return get_object_or_404(
        Assessment.objects.filter(case__in=case_list_for(user)).select_related(
            "case__scheme", "case__person", "case__area", "created_by", "completed_by"
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class Distance:
    pathway: str
    label: str
    initial: int
    final: int

    @property
    def change(self) -> int:
        """Positive: the need went down by that many levels."""
        return self.initial - self.final

    @property
    def initial_label(self):
        return NeedLevel(self.initial).label

    @property
    def final_label(self):
        return NeedLevel(self.final).label


def distance_travelled(assessments) -> list[Distance]:
    """Per pathway, the need at the start and at the end, when both assessments are completed."""
    by_kind = {a.kind: a for a in assessments if a.is_locked}
    initial, final = by_kind.get(AssessmentKind.INITIAL), by_kind.get(AssessmentKind.FINAL)
    if not (initial and final):
        return []
    finals = {n.pathway: n for n in final.needs.all()}
    return [
        Distance(n.pathway, n.get_pathway_display(), n.level, finals[n.pathway].level)
        for n in initial.needs.all()
        if n.pathway in finals and (n.level or finals[n.pathway].level)
    ]

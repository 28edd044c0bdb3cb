"""Scoped reads of assessments, the services they suggest and the distance travelled."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404

from cases.selectors import case_list_for
from referrals.models import Service

from .models import IN_NEED, Assessment, AssessmentKind, NeedLevel, PathwayNeed


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


def service_suggestion_list_for(assessment, *, needs=None) -> list[dict]:
    """The directory's active services answering the pathways in need (medium or high) in the case's
    area (a service with no areas serves every area), highest need first. The directory is small:
    one query reads it and the matching happens here."""
    needs = needs if needs is not None else list(assessment.needs.all())
    in_need = {n.pathway: n for n in needs if n.level >= IN_NEED}
    if not in_need:
        return []
    services = Service.objects.filter(is_active=True).select_related("organisation").prefetch_related("areas")
    suggestions = []
    for service in services:
        areas = {a.pk for a in service.areas.all()}
        if areas and assessment.case.area_id not in areas:
            continue
        answered = [in_need[p] for p in service.pathways if p in in_need]
        if answered:
            suggestions.append(
                {"service": service, "needs": answered, "level": max(n.level for n in answered)}
            )
    suggestions.sort(key=lambda s: (-s["level"], s["service"].organisation.name, s["service"].name))
    return suggestions


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

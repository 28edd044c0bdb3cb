"""Scoped reads of referrals. Police see their force's referrals; a partner manager sees every
referral sent to their agency; a practitioner sees those assigned to them. Nobody else sees any."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assessments.models import IN_NEED
from cases.selectors import case_list_for
from offenderhub.accounts.models import POLICE_ROLES, Role, User

from .models import (
    WORKSPACE_TAB_STATUSES,
    Appointment,
    EndReport,
    Evidence,
    Referral,
    ReferralStatus,
    Service,
)


def referral_list_for(user):
    if not user.is_authenticated:
        return Referral.objects.none()
    if user.has_role(*POLICE_ROLES):
        return Referral.objects.filter(case__force_id=user.organisation_id)
    if user.has_role(Role.PARTNER_MANAGER):
        return Referral.objects.filter(organisation_id=user.organisation_id)
    if user.has_role(Role.PARTNER_PRACTITIONER):
        return Referral.objects.filter(organisation_id=user.organisation_id, practitioner=user)
    return Referral.objects.none()


def case_evidence_list_for(user, case):
    """The documents partners uploaded on the case's referrals (certificates, letters, reports), newest
    first, each with the referral's service and agency, in one query."""
    return Evidence.objects.filter(referral__in=referral_list_for(user), referral__case=case).select_related(
        "referral__service", "referral__organisation", "uploaded_by"
    )


def referral_get_for(user, pk) -> Referral:
    return get_object_or_404(
        referral_list_for(user).select_related(
            "case__person",
            "case__owner",
            "case__force",
            "condition",
            "service",
            "organisation",
            "practitioner",
            "sent_by",
            "accepted_by",
        ),
        pk=pk,
    )


# The partner workspace's tabs: each one's label, the statuses it shows, and whether it shows only the
# referrals assigned to the user.
TABS = {
    "mine": ("My referrals", WORKSPACE_TAB_STATUSES["open"], True),
    "unassigned": ("Unassigned", WORKSPACE_TAB_STATUSES["unassigned"], False),
    "open": ("Open", WORKSPACE_TAB_STATUSES["open"], False),
    "completed": ("Completed", WORKSPACE_TAB_STATUSES["completed"], False),
    "closed": ("Declined or withdrawn", WORKSPACE_TAB_STATUSES["closed"], False),
}


def _in_tab(tab, user) -> Q:
    _, statuses, only_mine = TABS[tab]
    return Q(status__in=statuses, practitioner=user) if only_mine else Q(status__in=statuses)


def referral_workspace_for(user, tab: str):
    """One tab of the workspace, with what the list shows, in a fixed number of queries. Whether a
    session awaits its outcome is a correlated ``EXISTS``: the database works it out for the rows of
    the page it returns, not for every referral of the tab before paging (nor when counting them)."""
    now = timezone.now()
    return (
        referral_list_for(user)
        .filter(_in_tab(tab, user))
        .select_related("case__person", "service", "practitioner")
        .annotate(
            awaiting_outcome=Exists(
                Appointment.objects.filter(
                    referral=OuterRef("pk"), starts_at__lte=now, attendance="", rescheduled_to__isnull=True
                )
            ),
        )
    )


def tab_counts_for(user, tabs=tuple(TABS)) -> dict:
    """How many referrals each of ``tabs`` holds, in one query over the statuses those tabs show. It
    counts the status (never empty) rather than the id, so the database counts from the index alone
    (``referral_org_counts_idx``); the home page asks only for the open tabs, which stay small, not
    the agency's whole history."""
    statuses = sorted({status for tab in tabs for status in TABS[tab][1]})
    referrals = referral_list_for(user)
    if len(statuses) < len(ReferralStatus.values):
        referrals = referrals.filter(status__in=statuses)
    return referrals.aggregate(**{tab: Count("status", filter=_in_tab(tab, user)) for tab in tabs})


def referral_detail_for(user, referral) -> dict:
    """What the referral page shows, read in a fixed number of queries."""
    return {
        "outcomes": list(referral.outcomes.all()),
        "appointments": list(
            referral.appointments.select_related("outcome_recorded_by", "rescheduled_to").order_by(
                "starts_at", "id"
            )
        ),
        "notes": list(referral.notes.select_related("author", "organisation")),
        "evidence": list(referral.evidence.select_related("uploaded_by")),
        "assignments": list(referral.assignments.select_related("practitioner", "assigned_by")),
        "report": EndReport.objects.filter(referral=referral).select_related("submitted_by").first(),
    }


def practitioner_list_for(user):
    """The agency's people a referral can be assigned to: its practitioners first, then its managers
    (who may also deliver), each marked ``is_practitioner``."""
    from offenderhub.accounts.models import RoleAssignment

    def holds(role):
        return Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=role))

    return (
        User.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .annotate(is_practitioner=holds(Role.PARTNER_PRACTITIONER), is_manager=holds(Role.PARTNER_MANAGER))
        .filter(Q(is_practitioner=True) | Q(is_manager=True))
        .order_by("-is_practitioner", "full_name")
    )


def service_list_for_referral(case):
    """Active services serving the case's area (a service with no areas serves every area)."""
    return (
        Service.objects.filter(is_active=True)
        .filter(Q(areas__isnull=True) | Q(areas=case.area_id))
        .select_related("organisation")
        .distinct()
        .prefetch_related(Prefetch("areas"))
    )


def case_referral_list_for(user, case):
    """The referrals of a case the user may see (police of its force), latest first, for the case page."""
    return (
        Referral.objects.filter(case=case, case__in=case_list_for(user))
        .select_related("service", "organisation", "practitioner", "condition")
        .order_by("-sent_at", "-id")
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

"""Scoped reads of referrals. Police see their force's referrals; a partner manager sees every
referral sent to their agency; a practitioner sees those assigned to them. Nobody else sees any."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from offenderhub.accounts.models import POLICE_ROLES, Role, User

from .models import OPEN_REFERRAL_STATUSES, Appointment, EndReport, Referral, ReferralStatus, Service


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


# The partner workspace's tabs: what each shows.
TABS = {
    "mine": (
        "My referrals",
        lambda qs, user: qs.filter(practitioner=user, status__in=OPEN_REFERRAL_STATUSES),
    ),
    "unassigned": ("Unassigned", lambda qs, user: qs.filter(status=ReferralStatus.SENT)),
    "open": ("Open", lambda qs, user: qs.filter(status__in=OPEN_REFERRAL_STATUSES)),
    "completed": (
        "Completed",
        lambda qs, user: qs.filter(status__in=[ReferralStatus.COMPLETED, ReferralStatus.NOT_COMPLETED]),
    ),
    "closed": (
        "Declined or withdrawn",
        lambda qs, user: qs.filter(status__in=[ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN]),
    ),
}


def referral_workspace_for(user, tab: str):
    """One tab of the workspace, with what the list shows, in a fixed number of queries."""
    _, select = TABS[tab]
    now = timezone.now()
    return (
        select(referral_list_for(user), user)
        .select_related("case__person", "service", "practitioner", "condition")
        .annotate(
            awaiting_outcome=Exists(
                Appointment.objects.filter(
                    referral=OuterRef("pk"), starts_at__lte=now, attendance="", rescheduled_to__isnull=True
                )
            ),
            appointment_count=Count("appointments", filter=Q(appointments__rescheduled_to__isnull=True)),
        )
    )


def tab_counts_for(user) -> dict:
    qs = referral_list_for(user)
    counts = qs.aggregate(
        mine=Count("id", filter=Q(practitioner=user, status__in=OPEN_REFERRAL_STATUSES)),
        unassigned=Count("id", filter=Q(status=ReferralStatus.SENT)),
        open=Count("id", filter=Q(status__in=OPEN_REFERRAL_STATUSES)),
        completed=Count("id", filter=Q(status__in=[ReferralStatus.COMPLETED, ReferralStatus.NOT_COMPLETED])),
        closed=Count("id", filter=Q(status__in=[ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN])),
    )
    return counts


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
    return (
        User.objects.filter(
            organisation_id=user.organisation_id,
            is_active=True,
            role_assignments__role__in=[Role.PARTNER_PRACTITIONER, Role.PARTNER_MANAGER],
        )
        .distinct()
        .order_by("full_name")
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

"""The home page: a section for each role the user holds, in a fixed order.

Each section is a template and a function that gathers its figures with a fixed number of queries.
Later capabilities extend the sections for their roles here.
"""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import CaseStatus
from cases.selectors import case_list_for
from cases.workflow import OPEN_STATUSES
from conditions.selectors import (
    breach_reviews_late_for,
    breach_reviews_open_for,
    breach_reviews_to_countersign_for,
    cases_to_caution_count_for,
    conditions_due_soon_for,
    conditions_overdue_for,
    time_limit_alerts_for,
    variations_proposed_for,
)
from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction
from offenderhub.audit.selectors import audit_event_list_for
from referrals.selectors import tab_counts_for


def _team(user):
    members = User.objects.filter(organisation_id=user.organisation_id, is_active=True)
    by_role = members.values("role_assignments__role").annotate(n=Count("id")).order_by()
    labels = dict(Role.choices)
    return {
        "team_size": members.count(),
        "team_roles": sorted(
            (labels[row["role_assignments__role"]], row["n"])
            for row in by_role
            if row["role_assignments__role"]
        ),
    }


def _administrator(user):
    since = timezone.now() - timedelta(hours=24)
    events = audit_event_list_for(user).filter(occurred_at__gte=since)
    counts = events.aggregate(
        failed=Count("id", filter=Q(action=AuditAction.LOGIN_FAILED)),
        locked=Count("id", filter=Q(action=AuditAction.LOCKED_OUT)),
        logins=Count("id", filter=Q(action=AuditAction.LOGIN)),
    )
    return {**_team(user), "last_day": counts}


def _case_worker(user):
    today = timezone.localdate()
    mine = case_list_for(user).filter(owner=user, status__in=OPEN_STATUSES)
    by_status = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
    return {
        "open_cases": sum(by_status.values()),
        "by_status": [(CaseStatus(s).label, s, n) for s, n in sorted(by_status.items())],
        "overdue": conditions_overdue_for(user, today=today),
        "due_soon": conditions_due_soon_for(user, today=today),
    }


def _decision_maker(user):
    return {
        "awaiting": case_list_for(user).filter(status=CaseStatus.AWAITING_DECISION).count(),
        "to_caution": cases_to_caution_count_for(user),
        "variations": variations_proposed_for(user),
        "reviews_open": breach_reviews_open_for(user),
    }


def _supervisor(user):
    today = timezone.localdate()
    return {
        **_team(user),
        "reviews_to_countersign": breach_reviews_to_countersign_for(user),
        "reviews_late": breach_reviews_late_for(user, today=today),
        "time_limits": time_limit_alerts_for(user, today=today),
    }


def _analyst(user):
    organisation = user.organisation
    return {"oversees": organisation.force if organisation else None}


def _partner(user):
    # Only the open tabs: the sections show nothing of the completed or closed ones.
    return {"counts": tab_counts_for(user, ("mine", "unassigned", "open"))}


def _partner_manager(user):
    return {**_team(user), **_partner(user)}


SECTIONS = [
    (Role.CASE_WORKER, "core/home/case_worker.html", _case_worker),
    (Role.DECISION_MAKER, "core/home/decision_maker.html", _decision_maker),
    (Role.SUPERVISOR, "core/home/supervisor.html", _supervisor),
    (Role.PARTNER_MANAGER, "core/home/partner_manager.html", _partner_manager),
    (Role.PARTNER_PRACTITIONER, "core/home/partner_practitioner.html", _partner),
    (Role.ANALYST, "core/home/analyst.html", _analyst),
    (Role.ADMINISTRATOR, "core/home/administrator.html", _administrator),
]


def home_sections_for(user) -> list[dict]:
    sections = []
    for role, template, gather in SECTIONS:
        if role in user.roles:
            sections.append({"role": role, "template": template, **(gather(user) if gather else {})})
    return sections

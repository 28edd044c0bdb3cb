"""Plain helpers the job tests import (fixtures live in this folder's conftest.py)."""

from datetime import date, datetime, time

from django.utils import timezone

from conditions.models import BreachOutcome, BreachReview, ConditionKind, ConditionStatus
from conditions.services import condition_progress

REASON = "Binge drinking at weekends led to the assault."
DESIRED_OUTCOMES = ["Understand how drink affects behaviour", "Agree a personal drinking goal"]

# What every job reports when it has nothing (left) to do.
NOTHING_DONE = {
    "condition_reminders": {"reminders": 0},
    "overdue_conditions": {"overdue_conditions": 0, "breach_reviews_opened": 0},
    "restrictive_conditions": {"restrictive_conditions_met": 0, "cases_completed": 0},
    "breach_review_escalation": {"escalated": 0},
    "breach_review_auto_confirm": {"confirmed_automatically": 0, "prosecutions_resumed": 0},
    "prosecution_resumption": {"case_file_teams_notified": 0},
    "time_limit_warnings": {"time_limit_warnings": 0, "time_limits_passed": 0},
    "referral_chase": {"referrals_chased": 0},
    "appointment_outcomes": {"appointment_outcomes_chased": 0},
    "retention_review": {"retention_reviews_flagged": 0, "erasure_files_removed": 0},
    "subject_access_files": {"subject_access_exports_expired": 0, "subject_access_orphan_files_removed": 0},
    "weekly_digest": {"digests": 0},
    "audit_verify": {"audit_chain_broken": 0},
}


def at_ten(day: date) -> datetime:
    """10:00 on ``day``, London time."""
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def rehabilitative(case):
    return case.conditions.get(kind=ConditionKind.REHABILITATIVE)


def apology(case):
    return case.conditions.get(kind=ConditionKind.REPARATIVE)


def fail(condition, actor) -> BreachReview:
    """The condition recorded as failed: a breach review opens (decision due in the scheme's days)."""
    condition_progress(
        condition_id=condition.pk,
        actor=actor,
        to=ConditionStatus.FAILED,
        notes="Did not attend the session and did not answer calls.",
    )
    return BreachReview.objects.get(
        case_id=condition.case_id, status__in=["open", "awaiting_countersignature"]
    )


def confirmation(conditions):
    """Keyword arguments of ``breach_review_decide`` confirming the breach of ``conditions``."""
    return {
        "outcome": BreachOutcome.BREACH_CONFIRMED,
        "breached_condition_ids": [c.pk for c in conditions],
        "person_account": "Said he forgot the date; phone switched off.",
        "alternatives_tried": "Two calls and a letter; a new date offered and missed.",
        "reasonable_excuse": False,
        "rationale": "No reasonable excuse given.",
    }

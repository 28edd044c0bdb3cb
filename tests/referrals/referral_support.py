"""Plain helpers the referral tests import (fixtures live in this folder's conftest.py)."""

from conditions.models import ConditionKind

REASON = "Binge drinking at weekends led to the assault."
DESIRED_OUTCOMES = ["Understand how drink affects behaviour", "Agree a personal drinking goal"]


def partner_condition(case):
    """The case's rehabilitative condition, delivered by the partner agency."""
    return case.conditions.get(kind=ConditionKind.REHABILITATIVE)

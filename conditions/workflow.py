"""The condition and breach-review status machines: one declared table each, with who may make each move.

DESIGN.md: condition ``pending → in_progress → complete | failed | withdrawn``, a variation supersedes
it, and a confirmed breach marks the conditions it found breached ``breached`` (issue 16); breach
review ``open → excused | breach_confirmed``, with a countersignature step where the scheme asks for
one. ``SYSTEM`` marks the moves the scheduled jobs and other services may make.
"""

from cases.workflow import DECIDERS, POLICE, SYSTEM, check_table_transition
from offenderhub.accounts.models import PARTNER_ROLES, Role

from .models import BreachStatus as B
from .models import ConditionStatus as C

PARTNERS = frozenset(PARTNER_ROLES)
SUPERVISORS = frozenset({Role.SUPERVISOR})

CONDITION_TRANSITIONS: dict[tuple[str, str], frozenset] = {
    (C.PENDING, C.IN_PROGRESS): POLICE | PARTNERS | {SYSTEM},
    (C.PENDING, C.COMPLETE): POLICE | PARTNERS | {SYSTEM},
    (C.IN_PROGRESS, C.COMPLETE): POLICE | PARTNERS | {SYSTEM},
    (C.PENDING, C.FAILED): POLICE | PARTNERS | {SYSTEM},
    (C.IN_PROGRESS, C.FAILED): POLICE | PARTNERS | {SYSTEM},
    (C.FAILED, C.IN_PROGRESS): DECIDERS,  # a reasonable excuse: the condition continues
    # Withdrawn once the caution is given only by a decision-maker (it changes what the person must
    # do), or ended when the caution ceases because the prosecution resumed.
    (C.PENDING, C.WITHDRAWN): DECIDERS | {SYSTEM},
    (C.IN_PROGRESS, C.WITHDRAWN): DECIDERS | {SYSTEM},
    # A confirmed breach: the conditions the decision found breached (failed, or overdue and still
    # live), whoever confirmed it (a decision-maker, a countersigning supervisor or the scheme's rule).
    (C.FAILED, C.BREACHED): frozenset({SYSTEM}),
    (C.PENDING, C.BREACHED): frozenset({SYSTEM}),
    (C.IN_PROGRESS, C.BREACHED): frozenset({SYSTEM}),
    # A variation approved by a decision-maker replaces the condition with a new one.
    (C.PENDING, C.SUPERSEDED): DECIDERS,
    (C.IN_PROGRESS, C.SUPERSEDED): DECIDERS,
    (C.FAILED, C.SUPERSEDED): DECIDERS,
}

BREACH_TRANSITIONS: dict[tuple[str, str], frozenset] = {
    (B.OPEN, B.EXCUSED): DECIDERS,
    (B.OPEN, B.BREACH_CONFIRMED): DECIDERS | {SYSTEM},
    (B.OPEN, B.AWAITING_COUNTERSIGNATURE): DECIDERS,
    (B.AWAITING_COUNTERSIGNATURE, B.BREACH_CONFIRMED): SUPERVISORS,
    (B.AWAITING_COUNTERSIGNATURE, B.OPEN): SUPERVISORS,  # countersignature refused
}


def check_condition_transition(before, after, *, actor=None, system=False):
    check_table_transition(
        CONDITION_TRANSITIONS, C, before, after, actor=actor, system=system, what="condition"
    )


def check_breach_transition(before, after, *, actor=None, system=False):
    check_table_transition(
        BREACH_TRANSITIONS, B, before, after, actor=actor, system=system, what="breach review"
    )

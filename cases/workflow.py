"""The case status machine: the one declared table of allowed transitions and who may make each.

DESIGN.md: intake → awaiting_decision → ineligible | assessment → conditions_agreed → active →
completed | breach_review → active (excused/varied) | prosecution_resumed → closed; plus declined
and withdrawn. A later eligibility decision may supersede an earlier one until the caution is given,
so the decision outcomes can follow each other. ``SYSTEM`` marks transitions the jobs may make.
"""

from offenderhub.accounts.models import Role

from .models import CaseStatus as S

SYSTEM = "system"

CASE_WORKERS = frozenset({Role.CASE_WORKER, Role.SUPERVISOR})
DECIDERS = frozenset({Role.DECISION_MAKER})
POLICE = frozenset({Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR})

_DECIDABLE = [S.AWAITING_DECISION, S.INELIGIBLE, S.DECLINED, S.ASSESSMENT, S.CONDITIONS_AGREED]
_OPEN_BEFORE_CAUTION = [S.INTAKE, S.AWAITING_DECISION, S.ASSESSMENT, S.CONDITIONS_AGREED]

TRANSITIONS: dict[tuple[str, str], frozenset] = {
    (S.INTAKE, S.AWAITING_DECISION): CASE_WORKERS | DECIDERS,
    (S.AWAITING_DECISION, S.INTAKE): CASE_WORKERS | DECIDERS,  # sent back for more information
    **{(before, S.ASSESSMENT): DECIDERS for before in _DECIDABLE if before != S.ASSESSMENT},
    **{(before, S.INELIGIBLE): DECIDERS for before in _DECIDABLE if before != S.INELIGIBLE},
    **{(before, S.DECLINED): DECIDERS for before in _DECIDABLE if before != S.DECLINED},
    (S.ASSESSMENT, S.CONDITIONS_AGREED): POLICE,
    (S.CONDITIONS_AGREED, S.ASSESSMENT): POLICE,
    (S.CONDITIONS_AGREED, S.ACTIVE): DECIDERS,  # the caution administered
    (S.ACTIVE, S.COMPLETED): POLICE | {SYSTEM},
    (S.ACTIVE, S.BREACH_REVIEW): POLICE | {SYSTEM},
    (S.BREACH_REVIEW, S.ACTIVE): DECIDERS,  # excused: continue or vary
    # Confirmed by a decision-maker, or on a supervisor's countersignature where the scheme asks for one.
    (S.BREACH_REVIEW, S.PROSECUTION_RESUMED): DECIDERS | {Role.SUPERVISOR, SYSTEM},
    **{(before, S.WITHDRAWN): POLICE for before in _OPEN_BEFORE_CAUTION},
    (S.COMPLETED, S.CLOSED): POLICE | {SYSTEM},
    (S.PROSECUTION_RESUMED, S.CLOSED): POLICE | {SYSTEM},
}

OPEN_STATUSES = frozenset(
    {S.INTAKE, S.AWAITING_DECISION, S.ASSESSMENT, S.CONDITIONS_AGREED, S.ACTIVE, S.BREACH_REVIEW}
)
DECIDABLE_STATUSES = frozenset(_DECIDABLE)
REASSIGNABLE_STATUSES = OPEN_STATUSES


class TransitionNotAllowed(Exception):
    """A status change the declared table does not allow. The message says why, for a person."""


def allowed_roles(before: str, after: str) -> frozenset:
    return TRANSITIONS.get((before, after), frozenset())


def check_table_transition(table, labels, before, after, *, actor=None, system=False, what="case") -> None:
    """Check a move against a declared transition table: the move must be listed, and the actor must
    hold one of its roles (or, for a job, the move must allow ``SYSTEM``). Used by every status machine."""
    roles = table.get((before, after))
    if roles is None:
        raise TransitionNotAllowed(
            f"A {what} that is “{labels(before).label}” cannot become “{labels(after).label}”."
        )
    if system:
        if SYSTEM not in roles:
            raise TransitionNotAllowed(f"Only a person can move a {what} to “{labels(after).label}”.")
        return
    if actor is None or not actor.has_role(*(r for r in roles if r != SYSTEM)):
        raise TransitionNotAllowed(f"Your role cannot move a {what} to “{labels(after).label}”.")


def check_transition(before: str, after: str, *, actor=None, system: bool = False) -> None:
    check_table_transition(TRANSITIONS, S, before, after, actor=actor, system=system, what="case")

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


# --- Correcting a case (issue 14, part 2) -------------------------------------------------------------
# What a force expects: before the caution the case worker keeps the record right; once the caution is
# given an offence is what the person admitted and signed for, so only a decision-maker corrects one; a
# finished case (completed, prosecution resumed, closed, withdrawn) is corrected only by a supervisor,
# for the accuracy of what is reported from it; the victim's views and restorative-justice consent are
# what the decision-maker weighed, so they are corrected only before the eligibility decision.

CAUTIONED_STATUSES = frozenset({S.ACTIVE, S.BREACH_REVIEW, S.COMPLETED, S.PROSECUTION_RESUMED, S.CLOSED})
FINISHED_STATUSES = frozenset({S.COMPLETED, S.PROSECUTION_RESUMED, S.CLOSED, S.WITHDRAWN})

# The parts of a case each corrected on its own form, and the case's fields each one changes.
CASE_CORRECTION_PARTS = {
    "arrest-date": ("arrest_date",),
    "flags": ("flags",),
    "circumstances": ("circumstances",),
    "victim": ("victim_type",),
    "victim-views": ("victim_views", "victim_views_obtained_on", "victim_rj_consent"),
    "offences": (),
}


def case_correction_roles(part: str, status: str) -> frozenset:
    """The roles that may correct ``part`` of a case in ``status``."""
    if part == "offences" and status in CAUTIONED_STATUSES:
        return DECIDERS
    if status in FINISHED_STATUSES:
        return frozenset({Role.SUPERVISOR})
    return CASE_WORKERS


def case_correction_closed(part: str, *, decided: bool) -> str:
    """Why nobody may correct ``part`` now ('' when it may be corrected)."""
    if part == "victim-views" and decided:
        return (
            "The victim's views and consent to restorative justice cannot be corrected after the eligibility "
            "decision, which took them into account. Record what the victim says now in a case note, and "
            "ask a decision-maker whether it changes the decision."
        )
    return ""


def case_correction_refusal(part: str, *, status: str, decided: bool, actor) -> str:
    """Why ``actor`` may not correct ``part`` of a case now, for a person ('' when they may)."""
    if closed := case_correction_closed(part, decided=decided):
        return closed
    roles = case_correction_roles(part, status)
    if actor.has_role(*roles):
        return ""
    label = S(status).label
    if part == "offences" and status in CAUTIONED_STATUSES:
        return "After the caution only a decision-maker may correct the offences, with a reason."
    if status in FINISHED_STATUSES:
        return f"The case is “{label}”: only a supervisor may correct it."
    return "Only case workers and supervisors correct a case."

"""The retention review's status machine, declared once, and which case statuses count as ended.

A person's record is reviewed once every case of theirs has ended (ENDED_STATUSES: a resumed
prosecution still awaiting the court has not) longer ago than the period for how it ended
(``settings.RETENTION_REVIEW_YEARS``). The decisions are supervisors': they already see every case of
their force, oversee it and countersign breaches, and a retention decision needs the record read.
Administrators see the queue and the register, without names: they see no case data (DESIGN.md).
"""

from cases.models import CaseStatus
from cases.workflow import check_table_transition
from offenderhub.accounts.models import Role

from .models import ReviewStatus as S

ENDED_STATUSES = frozenset(
    {
        CaseStatus.COMPLETED,
        CaseStatus.CLOSED,
        CaseStatus.INELIGIBLE,
        CaseStatus.DECLINED,
        CaseStatus.WITHDRAWN,
    }
)

REVIEWERS = frozenset({Role.SUPERVISOR})
# Who sees the queue and the register (names only for reviewers).
QUEUE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})

TRANSITIONS = {
    (S.DUE, S.RETAINED): REVIEWERS,
    (S.DUE, S.ERASURE_REQUESTED): REVIEWERS,
    (S.ERASURE_REQUESTED, S.DUE): REVIEWERS,  # refused, or withdrawn by whoever asked
    (S.ERASURE_REQUESTED, S.ERASED): REVIEWERS,  # approved by another supervisor (four eyes)
}


def check_review_transition(before, after, *, actor) -> None:
    check_table_transition(TRANSITIONS, S, before, after, actor=actor, what="retention review")

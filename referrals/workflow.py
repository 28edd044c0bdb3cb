"""The referral status machine: the one declared table of moves and who may make each (DESIGN.md:
``sent → accepted | declined → in_progress → completed | not_completed | withdrawn``)."""

from cases.workflow import POLICE, SYSTEM, check_table_transition
from offenderhub.accounts.models import Role

from .models import ReferralStatus as R

MANAGERS = frozenset({Role.PARTNER_MANAGER})
PARTNERS = frozenset({Role.PARTNER_MANAGER, Role.PARTNER_PRACTITIONER})

REFERRAL_TRANSITIONS: dict[tuple[str, str], frozenset] = {
    (R.SENT, R.ACCEPTED): MANAGERS,
    (R.SENT, R.DECLINED): MANAGERS,
    (R.ACCEPTED, R.IN_PROGRESS): PARTNERS | {SYSTEM},  # the first contact or session
    (R.ACCEPTED, R.COMPLETED): PARTNERS,
    (R.ACCEPTED, R.NOT_COMPLETED): PARTNERS,
    (R.IN_PROGRESS, R.COMPLETED): PARTNERS,
    (R.IN_PROGRESS, R.NOT_COMPLETED): PARTNERS,
    (R.SENT, R.WITHDRAWN): POLICE | {SYSTEM},
    (R.ACCEPTED, R.WITHDRAWN): POLICE | {SYSTEM},
    (R.IN_PROGRESS, R.WITHDRAWN): POLICE | {SYSTEM},
}


def check_referral_transition(before, after, *, actor=None, system=False):
    check_table_transition(
        REFERRAL_TRANSITIONS, R, before, after, actor=actor, system=system, what="referral"
    )

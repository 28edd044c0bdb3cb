"""The referral status machine: the one declared table of moves and who may make each (DESIGN.md:
``sent → accepted | declined → in_progress → completed | not_completed | withdrawn``)."""

from cases.workflow import POLICE, SYSTEM, TransitionNotAllowed
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
    roles = REFERRAL_TRANSITIONS.get((before, after))
    if roles is None:
        raise TransitionNotAllowed(
            f"A referral that is “{R(before).label}” cannot become “{R(after).label}”."
        )
    if system:
        if SYSTEM not in roles:
            raise TransitionNotAllowed(f"Only a person can make a referral “{R(after).label}”.")
        return
    if actor is None or not actor.has_role(*(r for r in roles if r != SYSTEM)):
        raise TransitionNotAllowed(f"Your role cannot make a referral “{R(after).label}”.")

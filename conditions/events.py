"""The domain events conditions announce to the apps above (docs/architecture.md, "Domain events").

Each is announced inside the transaction of the service that made the change, with the case row
locked (``case``: that locked instance); handlers run before it commits, and a handler's failure
rolls the change back.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.models import Case
    from offenderhub.accounts.models import User

    from .models import Condition, Prosecution


@dataclass(frozen=True)
class ConditionWithdrawn:
    """A condition withdrawn by the police under the caution (``condition_progress``), with the
    reason given (``notes``): what was to deliver it stops (referrals: withdrawn, the agency told)."""

    case: "Case"
    condition: "Condition"
    notes: str = ""


@dataclass(frozen=True)
class ConditionVaried:
    """A condition superseded by the same condition with a new due date (a variation approved, or a
    breach excused with a new date): what was delivering the old one now delivers the new one
    (referrals: due by the new date, the agency told)."""

    case: "Case"
    old: "Condition"
    new: "Condition"
    actor: "User | None" = None


@dataclass(frozen=True)
class ProsecutionResumed:
    """A breach confirmed and the prosecution resumed (``case_resume_prosecution``): the prosecution
    record made and the caution ceased, announced before the conditions still to be met are
    withdrawn. What was delivering them stops (referrals: withdrawn, each agency told)."""

    case: "Case"
    prosecution: "Prosecution"


@dataclass(frozen=True)
class ConditionDeliveryAsked:
    """Whether an organisation delivers a condition it is not responsible for (a partner agency
    holding a referral for it), so its staff may record progress and evidence on it. A handler
    returns True if it does."""

    condition: "Condition"
    organisation_id: int

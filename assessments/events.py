"""The domain events assessments announce to the apps above (docs/architecture.md, "Domain events")."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Assessment


@dataclass(frozen=True)
class ServiceSuggestionsAsked:
    """Which services answer a completed assessment's needs (the assessment page). The partner
    directory belongs to referrals, above: its handler returns the suggestions, each
    ``{"service", "needs", "level"}``, highest need first. ``needs`` are the assessment's
    ``PathwayNeed`` rows, already read."""

    assessment: "Assessment"
    needs: tuple = ()

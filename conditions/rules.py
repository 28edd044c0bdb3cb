"""The legal limits on conditions, computed (DOMAIN.md, Law): the completion period, the hours cap on
reparative and punitive attendance, and the financial penalty maxima. Nothing here writes; the
services refuse what these functions find, and the pages show the same figures."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from cases.models import Classification

from .models import BINDING_CONDITION_STATUSES, CAPPED_KINDS, AmountKind

# Most serious first: the penalty cap follows the most serious offence on the case.
_SERIOUSNESS = [Classification.INDICTABLE_ONLY, Classification.EITHER_WAY, Classification.SUMMARY_ONLY]


def _weeks(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


@dataclass(frozen=True)
class Period:
    start: date  # the caution date, or today while the caution is still to be given
    default_days: int
    maximum_days: int
    allowed_days: int  # the default, or more where a supervisor approved it

    @property
    def default_end(self) -> date:
        return self.start + timedelta(days=self.default_days)

    @property
    def allowed_end(self) -> date:
        return self.start + timedelta(days=self.allowed_days)

    @property
    def maximum_end(self) -> date:
        return self.start + timedelta(days=self.maximum_days)

    @property
    def extended(self) -> bool:
        return self.allowed_days > self.default_days

    def due_date_error(self, due: date) -> str | None:
        if due < self.start:
            return f"The due date must be on or after {self.start:%-d %B %Y}."
        if due > self.maximum_end:
            return (
                f"The scheme's maximum completion period is {_weeks(self.maximum_days)}: "
                f"the due date must be on or before {self.maximum_end:%-d %B %Y}."
            )
        if due > self.allowed_end:
            return (
                f"The scheme's completion period is {_weeks(self.allowed_days)}: the due date must be on "
                f"or before {self.allowed_end:%-d %B %Y}. A supervisor can approve a longer period, up to "
                f"{_weeks(self.maximum_days)} ({self.maximum_end:%-d %B %Y})."
            )
        return None


def case_period(case, *, caution=None, extension=None, today=None) -> Period:
    """``caution`` and ``extension`` are the case's Caution and PeriodExtension (or None), passed in
    by callers that already hold them."""
    scheme = case.scheme
    start = caution.administered_on if caution else (today or timezone.localdate())
    allowed = scheme.compliance_period_default_days
    if extension is not None:
        allowed = min(max(allowed, extension.days), scheme.compliance_period_max_days)
    return Period(start, scheme.compliance_period_default_days, scheme.compliance_period_max_days, allowed)


def most_serious_classification(offences) -> str:
    present = {o.offence.classification for o in offences}
    return next((c for c in _SERIOUSNESS if c in present), Classification.SUMMARY_ONLY)


@dataclass(frozen=True)
class Caps:
    hours_cap: int
    penalty_cap: int
    classification: str

    @property
    def classification_label(self) -> str:
        return Classification(self.classification).label.lower().replace(" ", "-")


def case_caps(case, offences) -> Caps:
    disposal = case.scheme.disposal_type
    classification = most_serious_classification(offences)
    return Caps(disposal.max_attendance_hours, disposal.max_penalty_for(classification), classification)


def capped_hours(conditions) -> Decimal:
    return sum(
        (
            c.hours or Decimal(0)
            for c in conditions
            if c.kind in CAPPED_KINDS and c.status in BINDING_CONDITION_STATUSES
        ),
        Decimal(0),
    )


def penalty_total(conditions) -> Decimal:
    return sum(
        (
            c.amount or Decimal(0)
            for c in conditions
            if c.amount_kind == AmountKind.PENALTY and c.status in BINDING_CONDITION_STATUSES
        ),
        Decimal(0),
    )


def _money(value) -> str:
    value = Decimal(value)
    return f"£{value:,.0f}" if value == value.to_integral() else f"£{value:,.2f}"


def _hours(value) -> str:
    value = Decimal(value)
    text = f"{value:.0f}" if value == value.to_integral() else f"{value:.1f}"
    return f"{text} hour{'' if value == 1 else 's'}"


def condition_terms_errors(*, caps: Caps, period: Period, others, kind, due_date, hours, amount_kind, amount):
    """The errors, by form field, of one condition's terms beside the case's ``others`` (its other
    binding conditions). An empty dict means the terms are within every limit."""
    errors = {}
    if due_date is not None:
        message = period.due_date_error(due_date)
        if message:
            errors["due_date"] = message
    if kind in CAPPED_KINDS and hours:
        used = capped_hours(others)
        if used + hours > caps.hours_cap:
            errors["hours"] = (
                f"Reparative and punitive attendance is limited to {_hours(caps.hours_cap)} in total"
                + (f"; {_hours(used)} are already set on other conditions" if used else "")
                + f". This would make {_hours(used + hours)}."
            )
    if amount_kind and amount is None:
        errors["amount"] = "Enter the amount to be paid."
    if amount_kind == AmountKind.PENALTY and amount is not None:
        used = penalty_total(others)
        if used + amount > caps.penalty_cap:
            errors["amount"] = (
                f"A financial penalty for a {caps.classification_label} offence can be at most "
                f"{_money(caps.penalty_cap)}"
                + (f"; {_money(used)} is already set on other conditions" if used else "")
                + "."
            )
    if amount_kind == "" and amount:
        errors["amount"] = "Leave the amount blank for a condition with no payment."
    return errors

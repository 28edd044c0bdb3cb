"""What the law and the scheme say about a case, computed (DOMAIN.md, Law and Eligibility).

Nothing here writes: the eligibility decision service and the pages call these functions and show
their answers with the reasons.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from .models import Admission, CaseFlag, Classification, OffenceGroup

SUMMARY_TIME_LIMIT = relativedelta(months=6)  # Magistrates' Courts Act 1980 s.127


def latest_proceedings_date(offence_date: date) -> date:
    """Proceedings for a summary-only offence must start within six calendar months of the offence.

    ``relativedelta`` keeps the day of the month and falls back to the month's last day, so an
    offence on 31 August gives 28 February (29 in a leap year)."""
    return offence_date + SUMMARY_TIME_LIMIT


@dataclass(frozen=True)
class TimeLimit:
    latest_proceedings_date: date
    offence_name: str
    period_end: date  # when the compliance period plus the breach-decision allowance would end
    at_risk: bool  # the scheme's timetable reaches past the limit

    @property
    def days_left(self) -> int:
        return (self.latest_proceedings_date - timezone.localdate()).days


def case_time_limit(
    case, offences, *, start: date | None = None, period_days: int | None = None
) -> TimeLimit | None:
    """The earliest six-month limit among the case's offences to which the limit applies
    (``Offence.time_limit_applies``: truly summary-only offences, not either-way ones tried summarily
    for their value), or None when it applies to none. ``offences`` are the case's CaseOffence rows
    (passed in to avoid a query).
    ``start`` is when the compliance period starts (the caution date, or today before it) and
    ``period_days`` its length (the scheme's default, or a supervisor's longer period)."""
    summary = [o for o in offences if o.offence.time_limit_applies]
    if not summary:
        return None
    first = min(summary, key=lambda o: latest_proceedings_date(o.offence_date))
    limit = latest_proceedings_date(first.offence_date)
    start = start or timezone.localdate()
    scheme = case.scheme
    period = period_days or scheme.compliance_period_default_days
    period_end = start + timedelta(days=period + scheme.breach_decision_days)
    return TimeLimit(limit, first.offence.name, period_end, at_risk=period_end > limit)


@dataclass
class Criterion:
    code: str
    label: str
    passed: bool | None  # None: a judgement for the decision-maker, not computed
    explanation: str

    def as_dict(self):
        return asdict(self)


@dataclass
class Assessment:
    criteria: list[Criterion] = field(default_factory=list)
    gravity_score: int = 0
    needs_prosecutor_authority: bool = False

    @property
    def failures(self) -> list[Criterion]:
        return [c for c in self.criteria if c.passed is False]

    @property
    def eligible_by_rules(self) -> bool:
        return not self.failures


def assess_eligibility(
    case,
    offences,
    *,
    on: date,
    gravity_adjustment: int = 0,
    admission: str | None = None,
) -> Assessment:
    """Check the case against the scheme's rules on the date of the decision.

    ``offences`` are the case's CaseOffence rows with their ``offence`` loaded."""
    scheme = case.scheme
    person = case.person
    result = Assessment()
    add = result.criteria.append

    age_now = person.age_on(on)
    first_offence = min((o.offence_date for o in offences), default=None)
    age_at_offence = person.age_on(first_offence) if first_offence else None
    add(
        Criterion(
            "minimum_age",
            f"Aged {scheme.minimum_age} or over at the decision",
            age_now >= scheme.minimum_age,
            f"Aged {age_now} on {on:%d %B %Y}"
            + (f" ({age_at_offence} at the offence)" if age_at_offence is not None else "")
            + f"; the scheme takes people aged {scheme.minimum_age} and over.",
        )
    )

    groups = dict(OffenceGroup.choices)
    excluded = [o for o in offences if o.offence.group in scheme.excluded_offence_groups]
    add(
        Criterion(
            "offence_group",
            "Offence not in a group the scheme excludes",
            not excluded,
            "; ".join(
                f"{o.offence.name} is in the excluded group “{groups[o.offence.group]}”" for o in excluded
            )
            or "No offence is in an excluded group.",
        )
    )

    flag_labels = dict(CaseFlag.choices)
    excluded_flags = [f for f in case.flags if f in scheme.excluded_flags]
    add(
        Criterion(
            "flags",
            "No circumstance the scheme excludes",
            not excluded_flags,
            "Excluded: " + ", ".join(flag_labels.get(f, f) for f in excluded_flags) + "."
            if excluded_flags
            else "None of the scheme's excluded circumstances applies.",
        )
    )

    base = max((o.offence.default_gravity for o in offences), default=1)
    gravity = min(4, max(1, base + gravity_adjustment))
    result.gravity_score = gravity
    moved = {1: "moved up one level by aggravating factors", -1: "moved down one level by mitigating factors"}
    add(
        Criterion(
            "gravity",
            f"Gravity score {scheme.maximum_gravity} or lower",
            gravity <= scheme.maximum_gravity,
            f"Offence gravity {base}"
            + (f", {moved[gravity_adjustment]}" if gravity_adjustment else "")
            + f": score {gravity}; the scheme accepts up to {scheme.maximum_gravity}.",
        )
    )

    if scheme.maximum_crime_age_days is not None and first_offence:
        crime_age = (on - first_offence).days
        add(
            Criterion(
                "crime_age",
                f"Crime no older than {scheme.maximum_crime_age_days} days",
                crime_age <= scheme.maximum_crime_age_days,
                f"The earliest offence was {crime_age} days before the decision.",
            )
        )

    if scheme.maximum_previous_convictions is not None:
        add(
            Criterion(
                "previous_convictions",
                f"No more than {scheme.maximum_previous_convictions} previous convictions",
                case.previous_convictions <= scheme.maximum_previous_convictions,
                f"{case.previous_convictions} recorded.",
            )
        )
    if scheme.maximum_previous_cautions is not None:
        add(
            Criterion(
                "previous_cautions",
                f"No more than {scheme.maximum_previous_cautions} previous cautions",
                case.previous_cautions <= scheme.maximum_previous_cautions,
                f"{case.previous_cautions} recorded.",
            )
        )

    if scheme.must_live_in_force_area:
        add(
            Criterion(
                "residence",
                "Lives in the force area",
                case.lives_in_force_area,
                "Lives in the force area."
                if case.lives_in_force_area
                else "Does not live in the force area.",
            )
        )

    if admission is not None:
        if admission == Admission.ADMITS:
            passed, why = True, "The person admits the offence."
        elif admission == Admission.NO_COMMENT and scheme.accepts_no_comment_interview:
            passed, why = (
                True,
                "No comment interview with enough evidence to charge, which this scheme accepts.",
            )
        elif admission == Admission.NO_COMMENT:
            passed, why = False, "This scheme needs an admission; a no comment interview is not enough."
        else:
            passed, why = False, "The person does not admit the offence."
        add(Criterion("admission", "The person admits the offence", passed, why))

    summary = [o for o in offences if o.offence.time_limit_applies]
    if summary:
        limit = min(latest_proceedings_date(o.offence_date) for o in summary)
        add(
            Criterion(
                "time_limit",
                "Proceedings could still start in time",
                on <= limit,
                f"Proceedings for the summary-only offence must start by {limit:%d %B %Y}"
                + ("." if on <= limit else ": that date has passed, so a breach could never be prosecuted."),
            )
        )

    classes = dict(Classification.choices)
    # Indictable-only offences always need the prosecutor (CJA 2003 s.23); schemes may add more.
    needs_prosecutor = set(scheme.prosecutor_authority_for) | {Classification.INDICTABLE_ONLY}
    needing = sorted({o.offence.classification for o in offences} & needs_prosecutor)
    result.needs_prosecutor_authority = bool(needing)
    if needing:
        add(
            Criterion(
                "prosecutor_authority",
                "Prosecutor's authority",
                None,
                "Needed for " + ", ".join(classes[c].lower() for c in needing) + " offences.",
            )
        )
    return result

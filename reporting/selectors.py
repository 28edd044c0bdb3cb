"""The commissioner's dashboard: every figure aggregated in the database, in a fixed number of queries
whatever the number of cases, for one force, never with a name.

Definitions (DOMAIN.md, What is measured):
- compliance rate = completed / (completed + breached); breach rate = breached / (completed + breached),
  where "breached" is a case whose prosecution resumed;
- proven reoffending (Ministry of Justice): an offence committed within 12 months of the caution and
  proven (conviction or caution) within that year or a further 6 months; a case counts once those
  18 months have passed, the rest are "maturing";
- cost of crime: recorded offences in the 12 months before the caution against the 12 months after,
  priced by the Home Office unit costs, for cases whose 12 months after have passed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from assessments.models import IN_NEED, AssessmentKind, AssessmentStatus, Pathway, PathwayNeed
from cases.models import Case as CaseRecord
from cases.models import CaseOffence, CaseStatus, DecisionOutcome, EligibilityDecision
from offenderhub.accounts.models import Role
from referrals.models import Referral, ReferralStatus

from .models import SubsequentOffence

FOLLOW_UP = timedelta(days=365)
WAITING = timedelta(days=365 + 183)  # the follow-up year and the further six months
SUPPRESS_BELOW = 5

AGE_BANDS = [("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54), ("55+", 55, 200)]


def reporting_force_id_for(user):
    """The force whose figures the user may see: an analyst's overseen force, or a supervisor's own."""
    if not user.is_authenticated:
        return None
    if user.has_role(Role.ANALYST) and user.organisation and user.organisation.force_id:
        return user.organisation.force_id
    if user.has_role(Role.SUPERVISOR):
        return user.organisation_id
    return None


def age_band_expression(today: date):
    """The age band today, as a database expression over the person's date of birth."""
    whens = []
    for label, low, high in AGE_BANDS:
        youngest_born = today - relativedelta(years=low)  # born on or before this to be at least `low`
        oldest_born = today - relativedelta(years=high + 1)  # born after this to be at most `high`
        whens.append(
            When(
                person__date_of_birth__lte=youngest_born,
                person__date_of_birth__gt=oldest_born,
                then=Value(label),
            )
        )
    return Case(*whens, default=Value("Under 18"), output_field=CharField())


def scoped_cases(user, *, today):
    force_id = reporting_force_id_for(user)
    if force_id is None:
        return CaseRecord.objects.none()
    return CaseRecord.objects.filter(force_id=force_id).annotate(age_band=age_band_expression(today))


# The two ends of a caution, defined once for every figure, export and sample: diverted (the caution
# given and completed, or closed without a prosecution) and breached (the prosecution resumed).
DIVERTED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.CLOSED)
DIVERTED = Q(caution__isnull=False, prosecution__isnull=True, status__in=DIVERTED_STATUSES)
BREACHED = Q(prosecution__isnull=False)


def _rate(numerator, denominator):
    if not denominator:
        return None
    return round(100 * Decimal(numerator) / Decimal(denominator), 1)


def _days(value):
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 86400, 1)
    return round(float(value) / 86400_000_000, 1)  # SQLite returns microseconds


@dataclass
class Cell:
    """A count shown in a public table: fewer than five is shown as "<5" (and its rate withheld)."""

    count: int

    @property
    def suppressed(self):
        return 0 < self.count < SUPPRESS_BELOW

    def __str__(self):
        return "<5" if self.suppressed else str(self.count)


def dashboard_for(cases, *, today) -> dict:
    """Every dashboard figure for ``cases`` (already scoped and filtered)."""
    ids = cases.values("pk")
    annotated = cases.annotate(
        first_offence=Subquery(
            CaseOffence.objects.filter(case=OuterRef("pk"))
            .order_by("offence_date")
            .values("offence_date")[:1],
            output_field=DateField(),
        ),
        first_decision=Subquery(
            EligibilityDecision.objects.filter(case=OuterRef("pk"))
            .order_by("decision_date", "id")
            .values("decision_date")[:1],
            output_field=DateField(),
        ),
    )
    outcomes = annotated.aggregate(
        total=Count("pk", distinct=True),
        cautions=Count("pk", filter=Q(caution__isnull=False), distinct=True),
        diverted=Count("pk", filter=DIVERTED, distinct=True),
        breached=Count("pk", filter=BREACHED, distinct=True),
        offence_to_decision=Avg(
            ExpressionWrapper(F("first_decision") - F("first_offence"), output_field=DurationField())
        ),
        decision_to_caution=Avg(
            ExpressionWrapper(
                F("caution__administered_on") - F("first_decision"), output_field=DurationField()
            )
        ),
    )
    finished = outcomes["diverted"] + outcomes["breached"]
    by_status = dict(cases.values_list("status").annotate(n=Count("pk")).order_by())

    # Proven reoffending over the matured cohort.
    matured = cases.filter(caution__isnull=False, caution__administered_on__lte=today - WAITING)
    proven = SubsequentOffence.objects.filter(
        person_id=OuterRef("person_id"),
        offence_date__gt=OuterRef("caution__administered_on"),
        offence_date__lte=ExpressionWrapper(
            OuterRef("caution__administered_on") + FOLLOW_UP, output_field=DateField()
        ),
        outcome_date__lte=ExpressionWrapper(
            OuterRef("caution__administered_on") + WAITING, output_field=DateField()
        ),
    )
    reoffending = matured.annotate(
        reoffences=Subquery(proven.order_by().values("person_id").annotate(n=Count("pk")).values("n")[:1])
    ).aggregate(
        cohort=Count("pk"),
        reoffenders=Count("pk", filter=Q(reoffences__gt=0)),
        reoffence_total=Sum("reoffences"),
    )
    maturing = cases.filter(caution__isnull=False, caution__administered_on__gt=today - WAITING).count()

    # Cost of crime: 12 months before against 12 months after, for cautions at least a year old.
    tracked = cases.filter(caution__isnull=False, caution__administered_on__lte=today - FOLLOW_UP)
    cost = (
        SubsequentOffence.objects.filter(person__cases__in=tracked)
        .annotate(
            cautioned=F("person__cases__caution__administered_on"),
            unit_cost=F("offence__cost_category__unit_cost"),
        )
        .aggregate(
            before_offences=Count(
                "pk", filter=Q(offence_date__gte=F("cautioned") - FOLLOW_UP, offence_date__lt=F("cautioned"))
            ),
            before_cost=Sum(
                "unit_cost",
                filter=Q(offence_date__gte=F("cautioned") - FOLLOW_UP, offence_date__lt=F("cautioned")),
            ),
            after_offences=Count(
                "pk", filter=Q(offence_date__gt=F("cautioned"), offence_date__lte=F("cautioned") + FOLLOW_UP)
            ),
            after_cost=Sum(
                "unit_cost",
                filter=Q(offence_date__gt=F("cautioned"), offence_date__lte=F("cautioned") + FOLLOW_UP),
            ),
            unpriced=Count("pk", filter=Q(unit_cost__isnull=True)),
        )
    )
    people = tracked.values("person_id").distinct().count()

    # Needs at the initial assessment, and the distance travelled to the final one.
    initial = PathwayNeed.objects.filter(
        assessment__case__in=ids,
        assessment__kind=AssessmentKind.INITIAL,
        assessment__status=AssessmentStatus.COMPLETED,
    )
    assessed = initial.values("assessment_id").distinct().count()
    prevalence = {
        row["pathway"]: row
        for row in initial.values("pathway").annotate(
            in_need=Count("pk", filter=Q(level__gte=IN_NEED)), high=Count("pk", filter=Q(level=3))
        )
    }
    final_level = PathwayNeed.objects.filter(
        assessment__case_id=OuterRef("assessment__case_id"),
        assessment__kind=AssessmentKind.FINAL,
        assessment__status=AssessmentStatus.COMPLETED,
        pathway=OuterRef("pathway"),
    ).values("level")[:1]
    distance = {
        row["pathway"]: row
        for row in initial.annotate(final=Subquery(final_level))
        .filter(final__isnull=False)
        .values("pathway")
        .annotate(pairs=Count("pk"), change=Avg(F("level") - F("final")))
    }
    labels = dict(Pathway.choices)
    needs = [
        {
            "pathway": labels[p],
            "in_need": Cell(prevalence.get(p, {}).get("in_need", 0)),
            "high": Cell(prevalence.get(p, {}).get("high", 0)),
            "rate": None
            if 0 < prevalence.get(p, {}).get("in_need", 0) < SUPPRESS_BELOW
            else _rate(prevalence.get(p, {}).get("in_need", 0), assessed),
            "pairs": distance.get(p, {}).get("pairs", 0),
            "change": round(distance[p]["change"], 2)
            if p in distance and distance[p]["change"] is not None
            else None,
        }
        for p in Pathway.values
    ]

    # Partners: acceptance time and completion rate per agency.
    partners = list(
        Referral.objects.filter(case__in=ids)
        .values("organisation__name")
        .annotate(
            sent=Count("pk"),
            accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
            declined=Count("pk", filter=Q(status=ReferralStatus.DECLINED)),
            completed=Count("pk", filter=Q(status=ReferralStatus.COMPLETED)),
            not_completed=Count("pk", filter=Q(status=ReferralStatus.NOT_COMPLETED)),
            acceptance=Avg(ExpressionWrapper(F("accepted_at") - F("sent_at"), output_field=DurationField())),
            first_contact=Avg(
                ExpressionWrapper(F("first_contact_at") - F("sent_at"), output_field=DurationField())
            ),
        )
        .order_by("organisation__name")
    )
    referral_to_contact = Referral.objects.filter(case__in=ids, first_contact_at__isnull=False).aggregate(
        days=Avg(ExpressionWrapper(F("first_contact_at") - F("sent_at"), output_field=DurationField()))
    )["days"]
    for row in partners:
        row["acceptance_days"] = _days(row.pop("acceptance"))
        row["first_contact_days"] = _days(row.pop("first_contact"))
        row["completion_rate"] = _rate(row["completed"], row["completed"] + row["not_completed"])

    # Monthly trends over the last 12 months.
    start = today.replace(day=1) - relativedelta(months=11)
    opened = dict(
        cases.filter(created_at__date__gte=start)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cautioned = dict(
        cases.filter(caution__administered_on__gte=start)
        .annotate(month=TruncMonth("caution__administered_on"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    months = [start + relativedelta(months=i) for i in range(12)]

    def _month_count(counts, month):
        for key, n in counts.items():
            key_date = key.date() if hasattr(key, "date") else key
            if (key_date.year, key_date.month) == (month.year, month.month):
                return n
        return 0

    trends = [
        {"month": m, "opened": _month_count(opened, m), "cautioned": _month_count(cautioned, m)}
        for m in months
    ]

    return {
        "total": outcomes["total"],
        "by_status": [(CaseStatus(s).label, by_status.get(s, 0)) for s in CaseStatus.values],
        "cautions": outcomes["cautions"],
        "diverted": outcomes["diverted"],
        "breached": outcomes["breached"],
        "compliance_rate": _rate(outcomes["diverted"], finished),
        "breach_rate": _rate(outcomes["breached"], finished),
        "offence_to_decision_days": _days(outcomes["offence_to_decision"]),
        "decision_to_caution_days": _days(outcomes["decision_to_caution"]),
        "referral_to_contact_days": _days(referral_to_contact),
        "reoffending": {
            "cohort": reoffending["cohort"],
            "reoffenders": reoffending["reoffenders"],
            "reoffences": reoffending["reoffence_total"] or 0,
            "rate": _rate(reoffending["reoffenders"], reoffending["cohort"]),
            "frequency": round(Decimal(reoffending["reoffence_total"] or 0) / reoffending["reoffenders"], 2)
            if reoffending["reoffenders"]
            else None,
            "maturing": maturing,
        },
        "cost": {
            "people": people,
            "before_offences": cost["before_offences"],
            "after_offences": cost["after_offences"],
            "before": cost["before_cost"] or Decimal(0),
            "after": cost["after_cost"] or Decimal(0),
            "before_per_person": (cost["before_cost"] or Decimal(0)) / people if people else None,
            "after_per_person": (cost["after_cost"] or Decimal(0)) / people if people else None,
            "unpriced": cost["unpriced"],
        },
        "assessed": assessed,
        "needs": needs,
        "partners": partners,
        "trends": trends,
    }


def _share(row, measure):
    """A group's rate as an exact fraction (relative rates are taken before any rounding)."""
    denominator = row["decided_n"] if measure == "eligible" else row["completed_n"] + row["breached_n"]
    return Decimal(row[f"{measure}_n"]) / denominator if denominator else None


FAIRNESS_DIMENSIONS = {
    "ethnicity": ("Ethnic group", "person__ethnicity__group"),
    "sex": ("Sex", "person__sex"),
    "age_band": ("Age band", "age_band"),
}
REFERENCE_GROUPS = {"ethnicity": "White", "sex": "male", "age_band": "25-34"}


def fairness_for(cases, *, dimension: str) -> dict:
    """Outcomes by group with counts and rates relative to the reference group; small numbers
    suppressed. Eligible rate = eligible / decided; completed and breached rates over finished cases."""
    label, field = FAIRNESS_DIMENSIONS[dimension]
    current = EligibilityDecision.objects.filter(case=OuterRef("pk"), superseded_by__isnull=True)
    rows = list(
        cases.annotate(
            group=F(field),
            eligible=Exists(current.filter(outcome=DecisionOutcome.ELIGIBLE)),
            decided=Exists(current),
        )
        .values("group")
        .annotate(
            cases=Count("pk"),
            decided_n=Count("pk", filter=Q(decided=True)),
            eligible_n=Count("pk", filter=Q(eligible=True)),
            completed_n=Count("pk", filter=DIVERTED),
            breached_n=Count("pk", filter=BREACHED),
        )
        .order_by("group")
    )
    if dimension == "sex":
        from cases.models import Sex

        names = dict(Sex.choices)
        for row in rows:
            row["name"] = names.get(row["group"], row["group"] or "Not recorded")
    else:
        for row in rows:
            row["name"] = row["group"] or "Not recorded"
    for row in rows:
        finished = row["completed_n"] + row["breached_n"]
        row["eligible_rate"] = _rate(row["eligible_n"], row["decided_n"])
        row["completed_rate"] = _rate(row["completed_n"], finished)
        row["breached_rate"] = _rate(row["breached_n"], finished)
    reference = next((r for r in rows if (r["group"] or "").startswith(REFERENCE_GROUPS[dimension])), None)
    for row in rows:
        for measure in ("eligible", "completed", "breached"):
            mine, theirs = _share(row, measure), reference and _share(reference, measure)
            row[f"{measure}_relative"] = round(mine / theirs, 2) if mine is not None and theirs else None
        suppress = row["cases"] < SUPPRESS_BELOW
        row["cells"] = {
            "cases": Cell(row["cases"]),
            "eligible": Cell(row["eligible_n"]),
            "completed": Cell(row["completed_n"]),
            "breached": Cell(row["breached_n"]),
        }
        # A rate beside a suppressed count (or a relative rate against a suppressed reference group)
        # would let the small number be worked back: withhold them too.
        for measure in ("eligible", "completed", "breached"):
            reference_count = reference[f"{measure}_n"] if reference else 0
            reference_hidden = (
                reference is None
                or reference["cases"] < SUPPRESS_BELOW
                or 0 < reference_count < SUPPRESS_BELOW
            )
            if suppress or row["cells"][measure].suppressed:
                row[f"{measure}_rate"] = row[f"{measure}_relative"] = None
            elif reference_hidden:
                row[f"{measure}_relative"] = None
        row["suppressed"] = suppress
    return {"label": label, "rows": rows, "reference": reference["name"] if reference else None}

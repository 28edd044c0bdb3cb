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

import hashlib
import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
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
from django.utils import timezone

from assessments.models import IN_NEED, Pathway
from cases.models import Case as CaseRecord
from cases.models import CaseStatus
from offenderhub.accounts.models import Organisation, OrganisationKind, Role
from referrals.models import ReferralStatus

from .models import CaseCostFact, CaseFact, ReferralFact, need_columns

FOLLOW_UP = timedelta(days=365)
WAITING = timedelta(days=365 + 183)  # the follow-up year and the further six months

AGE_BANDS = [("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54), ("55+", 55, 200)]

logger = logging.getLogger(__name__)


def reporting_force_id_for(user):
    """The force whose figures the user may see: an analyst's overseen force, or a supervisor's own."""
    if not user.is_authenticated:
        return None
    if user.has_role(Role.ANALYST) and user.organisation and user.organisation.force_id:
        return user.organisation.force_id
    if user.has_role(Role.SUPERVISOR):
        return user.organisation_id
    return None


def age_band_expression(today: date, field: str = "person__date_of_birth"):
    """The age band today, as a database expression over the date of birth (``field``)."""
    whens = []
    for label, low, high in AGE_BANDS:
        youngest_born = today - relativedelta(years=low)  # born on or before this to be at least `low`
        oldest_born = today - relativedelta(years=high + 1)  # born after this to be at most `high`
        whens.append(
            When(
                **{f"{field}__lte": youngest_born, f"{field}__gt": oldest_born},
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


def scoped_facts(user, *, today):
    """The summaries (one row per case, reporting.models.CaseFact) of the cases the user may report
    on, with the age band today. Filter them with DashboardFilter as the cases were."""
    force_id = reporting_force_id_for(user)
    if force_id is None:
        return CaseFact.objects.none()
    return CaseFact.objects.filter(force_id=force_id).annotate(
        age_band=age_band_expression(today, "date_of_birth")
    )


def _facts(cases):
    """The summaries of ``cases``: a CaseFact queryset as it is; for a Case queryset (a caller outside
    the dashboard's view), its cases' summaries, brought up to date first, each with its case's age
    band as that queryset computed it."""
    if cases.model is CaseFact:
        return cases
    from .summaries import refresh_stale

    refresh_stale()
    facts = CaseFact.objects.filter(case_id__in=cases.values("pk"))
    if "age_band" in cases.query.annotations:
        band = cases.filter(pk=OuterRef("case_id")).values("age_band")[:1]
        facts = facts.annotate(age_band=Subquery(band, output_field=CharField()))
    return facts


# The same two ends of a caution over the summaries.
DIVERTED_FACT = Q(cautioned_on__isnull=False, prosecuted=False, status__in=DIVERTED_STATUSES)
BREACHED_FACT = Q(prosecuted=True)


def _month_bounds(start: date):
    """The twelve months from ``start``: each month's first day, and its first and last instants in
    the current time zone (a case opened in a month is one created between them)."""
    zone = timezone.get_current_timezone()
    months = [start + relativedelta(months=i) for i in range(13)]
    instants = [timezone.make_aware(datetime.combine(m, time.min), zone) for m in months]
    return [(months[i], instants[i], instants[i + 1]) for i in range(12)]


def dashboard_for(cases, *, today) -> dict:
    """Every dashboard figure for ``cases`` (already scoped and filtered): their summaries
    (CaseFact), or cases (Case), whose summaries are then read."""
    facts = _facts(cases)
    days_between = {
        "offence_to_decision": ("first_decision_on", "first_offence_on"),
        "decision_to_caution": ("cautioned_on", "first_decision_on"),
    }
    matured = Q(cautioned_on__isnull=False, cautioned_on__lte=today - WAITING)
    tracked = Q(cautioned_on__isnull=False, cautioned_on__lte=today - FOLLOW_UP)
    start = today.replace(day=1) - relativedelta(months=11)
    months = _month_bounds(start)
    measures = {
        "total": Count("pk"),
        "cautions": Count("pk", filter=Q(cautioned_on__isnull=False)),
        "diverted": Count("pk", filter=DIVERTED_FACT),
        "breached": Count("pk", filter=BREACHED_FACT),
        **{
            name: Avg(ExpressionWrapper(F(later) - F(earlier), output_field=DurationField()))
            for name, (later, earlier) in days_between.items()
        },
        "offence_to_decision_n": Count(
            "pk", filter=Q(first_decision_on__isnull=False, first_offence_on__isnull=False)
        ),
        "decision_to_caution_n": Count(
            "pk", filter=Q(cautioned_on__isnull=False, first_decision_on__isnull=False)
        ),
        "cohort": Count("pk", filter=matured),
        "reoffenders": Count("pk", filter=matured & Q(reoffences__gt=0)),
        "reoffence_total": Sum("reoffences", filter=matured),
        "maturing": Count("pk", filter=Q(cautioned_on__isnull=False, cautioned_on__gt=today - WAITING)),
        "people": Count("person", distinct=True, filter=tracked),
        "assessed": Count("pk", filter=Q(assessed=True)),
        "eligible": Count("pk", filter=Q(decided=True, eligible=True)),
    }
    for status in CaseStatus.values:
        measures[f"status_{status}"] = Count("pk", filter=Q(status=status))
    for i, (month, first, after) in enumerate(months):
        measures[f"opened_{i}"] = Count("pk", filter=Q(created_at__gte=first, created_at__lt=after))
        measures[f"cautioned_{i}"] = Count(
            "pk", filter=Q(cautioned_on__gte=month, cautioned_on__lt=month + relativedelta(months=1))
        )
    initial, final = need_columns("initial"), need_columns("final")
    for p in Pathway.values:
        paired = Q(**{f"{initial[p]}__isnull": False, f"{final[p]}__isnull": False})
        measures[f"in_need_{p}"] = Count("pk", filter=Q(**{f"{initial[p]}__gte": IN_NEED}))
        measures[f"high_{p}"] = Count("pk", filter=Q(**{initial[p]: 3}))
        measures[f"pairs_{p}"] = Count("pk", filter=paired)
        measures[f"change_{p}"] = Avg(F(initial[p]) - F(final[p]), filter=paired)
    outcomes = facts.aggregate(**measures)
    finished = outcomes["diverted"] + outcomes["breached"]

    # Cost of crime: 12 months before against 12 months after, for cautions at least a year old,
    # each recorded offence priced now with its unit cost.
    cost = (
        CaseCostFact.objects.filter(case_id__in=facts.filter(tracked).values("case_id"))
        .annotate(unit_cost=F("offence__cost_category__unit_cost"))
        .aggregate(
            before_offences=Sum("before"),
            before_cost=Sum(F("before") * F("unit_cost"), filter=Q(before__gt=0)),
            after_offences=Sum("after"),
            after_cost=Sum(F("after") * F("unit_cost"), filter=Q(after__gt=0)),
            unpriced=Sum("recorded", filter=Q(unit_cost__isnull=True)),
        )
    )
    people = outcomes["people"]

    labels = dict(Pathway.choices)
    needs = []
    for p in Pathway.values:
        in_need, change = outcomes[f"in_need_{p}"], outcomes[f"change_{p}"]
        needs.append(
            {
                "pathway": labels[p],
                "in_need": in_need,
                "high": outcomes[f"high_{p}"],
                "rate": _rate(in_need, outcomes["assessed"]),
                "pairs": outcomes[f"pairs_{p}"],
                "change": round(change, 2) if outcomes[f"pairs_{p}"] and change is not None else None,
            }
        )

    # Partners: acceptance time and completion rate per agency.
    referrals = ReferralFact.objects.filter(case_id__in=facts.values("case_id"))
    partners = list(
        referrals.values("organisation__name")
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
            first_contact_n=Count("pk", filter=Q(first_contact_at__isnull=False)),
        )
        .order_by("organisation__name")
    )
    referral_to_contact = referrals.filter(first_contact_at__isnull=False).aggregate(
        days=Avg(ExpressionWrapper(F("first_contact_at") - F("sent_at"), output_field=DurationField())),
        n=Count("pk"),
    )
    for row in partners:
        row["acceptance_days"] = _days(row.pop("acceptance"))
        row["first_contact_days"] = _days(row.pop("first_contact"))
        row["completion_rate"] = _rate(row["completed"], row["completed"] + row["not_completed"])

    # Monthly trends over the last 12 months.
    trends = [
        {"month": month, "opened": outcomes[f"opened_{i}"], "cautioned": outcomes[f"cautioned_{i}"]}
        for i, (month, _, _) in enumerate(months)
    ]

    return {
        "cohorts": _caution_cohorts(facts, today=today, matured=matured),
        "eligible": outcomes["eligible"],
        "total": outcomes["total"],
        "by_status": [(CaseStatus(s).label, outcomes[f"status_{s}"]) for s in CaseStatus.values],
        "cautions": outcomes["cautions"],
        "diverted": outcomes["diverted"],
        "breached": outcomes["breached"],
        "compliance_rate": _rate(outcomes["diverted"], finished),
        "breach_rate": _rate(outcomes["breached"], finished),
        "offence_to_decision_days": _days(outcomes["offence_to_decision"]),
        "decision_to_caution_days": _days(outcomes["decision_to_caution"]),
        "referral_to_contact_days": _days(referral_to_contact["days"]),
        "offence_to_decision_n": outcomes["offence_to_decision_n"],
        "decision_to_caution_n": outcomes["decision_to_caution_n"],
        "referral_to_contact_n": referral_to_contact["n"],
        "reoffending": {
            "cohort": outcomes["cohort"],
            "reoffenders": outcomes["reoffenders"],
            "reoffences": outcomes["reoffence_total"] or 0,
            "rate": _rate(outcomes["reoffenders"], outcomes["cohort"]),
            "frequency": round(Decimal(outcomes["reoffence_total"] or 0) / outcomes["reoffenders"], 2)
            if outcomes["reoffenders"]
            else None,
            "maturing": outcomes["maturing"],
        },
        "cost": {
            "people": people,
            "before_offences": cost["before_offences"] or 0,
            "after_offences": cost["after_offences"] or 0,
            "before": cost["before_cost"] or Decimal(0),
            "after": cost["after_cost"] or Decimal(0),
            "before_per_person": (cost["before_cost"] or Decimal(0)) / people if people else None,
            "after_per_person": (cost["after_cost"] or Decimal(0)) / people if people else None,
            "unpriced": cost["unpriced"] or 0,
        },
        "assessed": outcomes["assessed"],
        "needs": needs,
        "partners": partners,
        "trends": trends,
    }


COHORT_MONTHS = 36  # the dashboard's lines over months of caution: three years


def _caution_cohorts(facts, *, today, matured) -> list[dict]:
    """Each of the last ``COHORT_MONTHS`` months of caution (oldest first) with its cases: cautioned,
    finished (completed or breached), completed, followed up for the full 18 months (matured) and
    reoffended among them; one query grouped by month."""
    start = today.replace(day=1) - relativedelta(months=COHORT_MONTHS - 1)
    rows = {
        row["month"]: row
        for row in facts.filter(cautioned_on__gte=start, cautioned_on__lte=today)
        .annotate(month=TruncMonth("cautioned_on", output_field=DateField()))
        .values("month")
        .annotate(
            cautioned=Count("pk"),
            diverted=Count("pk", filter=DIVERTED_FACT),
            breached=Count("pk", filter=BREACHED_FACT),
            cohort=Count("pk", filter=matured),
            reoffenders=Count("pk", filter=matured & Q(reoffences__gt=0)),
        )
        .order_by("month")
    }
    empty = {"cautioned": 0, "diverted": 0, "breached": 0, "cohort": 0, "reoffenders": 0}
    months = [start + relativedelta(months=i) for i in range(COHORT_MONTHS)]
    followed_up_by = today - WAITING  # a month's cases are all followed up once its last day is past this
    return [
        {
            **empty,
            **_without_month(rows.get(month, {})),
            "month": month,
            "followed_up": month + relativedelta(months=1, days=-1) <= followed_up_by,
        }
        for month in months
    ]


def _without_month(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "month"}


def _share(row, measure):
    """A group's rate as an exact fraction (relative rates are taken before any rounding)."""
    denominator = row["decided_n"] if measure == "eligible" else row["completed_n"] + row["breached_n"]
    return Decimal(row[f"{measure}_n"]) / denominator if denominator else None


FAIRNESS_DIMENSIONS = {
    "ethnicity": ("Ethnic group", "ethnicity__group"),
    "sex": ("Sex", "sex"),
    "age_band": ("Age band", "age_band"),
}
REFERENCE_GROUPS = {"ethnicity": "White", "sex": "male", "age_band": "25-34"}
NOT_RECORDED = "Not recorded"


def fairness_groups(dimension: str, *, ethnic_groups) -> list[tuple]:
    """Every group of a fairness table, ``(value, name)``, whether or not it has cases: a table that
    listed only the groups with cases would say which have none. ``ethnic_groups``: the groups'
    names (the dashboard filter's choices)."""
    if dimension == "sex":
        from cases.models import Sex

        return list(Sex.choices)
    if dimension == "age_band":
        return [("Under 18", "Under 18")] + [(label, label) for label, _, _ in AGE_BANDS]
    return [(group, group) for group in ethnic_groups] + [(None, NOT_RECORDED)]


def fairness_for(cases, *, dimension: str) -> dict:
    """Outcomes by group with counts and rates relative to the reference group, exact: what may be
    shown of them is ``disclosure.protect_fairness``'s to say. Eligible rate = eligible / decided;
    completed and breached rates over finished cases."""
    label, field = FAIRNESS_DIMENSIONS[dimension]
    rows = list(
        _facts(cases)
        .annotate(group=F(field))
        .values("group")
        .annotate(
            cases=Count("pk"),
            decided_n=Count("pk", filter=Q(decided=True)),
            eligible_n=Count("pk", filter=Q(eligible=True)),
            completed_n=Count("pk", filter=DIVERTED_FACT),
            breached_n=Count("pk", filter=BREACHED_FACT),
        )
        .order_by("group")
    )
    if dimension == "sex":
        from cases.models import Sex

        names = dict(Sex.choices)
        for row in rows:
            row["name"] = names.get(row["group"], row["group"] or NOT_RECORDED)
    else:
        for row in rows:
            row["name"] = row["group"] or NOT_RECORDED
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
    return {
        "label": label,
        "rows": rows,
        "reference": reference["name"] if reference else None,
        "reference_group": reference["group"] if reference else None,
    }


def dashboard_figures_kept(facts, *, force, today, filters, fairness=(), by_job=False) -> tuple:
    """``(figures, fairness tables, as_at)``: ``dashboard_for(facts)`` and the fairness tables asked
    for, as the summaries stood at ``as_at`` (their last refresh then).

    They are kept in the cache for this force, these filters (sorted ``(name, value)`` pairs) and
    this day, at most settings.DASHBOARD_CACHE_SECONDS (0: computed every time), and computed again
    once the force's summaries have changed (``force`` from ``summaries.with_freshness``), but not
    more than once every settings.DASHBOARD_REFRESH_SECONDS: a busy force, whose cases change every
    second, would otherwise have every analyst's request compute every figure again. The page says
    when its figures were made.

    The job that refreshes the summaries every minute makes the unfiltered dashboard's figures too
    (``by_job``, dashboard_figures_made_in_job), as soon as the summaries change, so that no request
    waits for them: figures it made are shown for up to DASHBOARD_JOB_GRACE_SECONDS more before a
    request makes them itself (which it then does only if the job has stopped)."""

    def compute():
        return (
            dashboard_for(facts, today=today),
            {key: fairness_for(facts, dimension=key) for key in fairness},
            force.summaries_refreshed_at,
        )

    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return compute()
    version = f"{force.summaries_version}-{force.summaries_refreshed_at}"
    key = _dashboard_key(force, today, filters, fairness)
    now = timezone.now()
    kept = _cache_quietly(cache.get, key)
    if kept is not None:
        fresh_for = settings.DASHBOARD_REFRESH_SECONDS
        if kept.get("by_job"):
            fresh_for += settings.DASHBOARD_JOB_GRACE_SECONDS
        recent = now - kept["computed_at"] < timedelta(seconds=fresh_for)
        if kept["version"] == version or (recent and not by_job):
            return kept["figures"]
    # One request (or the job) makes them again, across processes with a shared cache; the others
    # meanwhile show the figures kept, rather than each making the same figures at once.
    making = key + ":making"
    if kept is not None and not _cache_quietly(cache.add, making, 1, timeout=DASHBOARD_MAKING_SECONDS):
        return kept["figures"]
    try:
        figures = compute()
        made = {"version": version, "computed_at": now, "figures": figures, "by_job": by_job}
        _cache_quietly(cache.set, key, made, seconds)
    finally:
        if kept is not None:
            _cache_quietly(cache.delete, making)
    return figures


def dashboard_figures_made_in_job(*, today=None) -> int:
    """Make the unfiltered dashboard's figures (the page every analyst opens first) for each force
    whose summaries changed since they were last made, as dashboard_figures_kept keeps them; run by
    the job that refreshes the summaries (reporting.tasks.refresh_summaries). Returns how many
    forces' figures were made."""
    from .summaries import with_freshness

    if not settings.DASHBOARD_CACHE_SECONDS:
        return 0
    today = today or timezone.localdate()
    forces = with_freshness(Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE)).order_by("pk")
    made = 0
    for force in forces:
        if force.summaries_refreshed_at is None:
            continue  # no cases summarised: nothing to make
        facts = CaseFact.objects.filter(force_id=force.pk).annotate(
            age_band=age_band_expression(today, "date_of_birth")
        )
        fairness = tuple(FAIRNESS_DIMENSIONS)
        key = _dashboard_key(force, today, [], fairness)
        before = _cache_quietly(cache.get, key)
        dashboard_figures_kept(facts, force=force, today=today, filters=[], fairness=fairness, by_job=True)
        after = _cache_quietly(cache.get, key)
        made += after is not None and (before is None or after["computed_at"] != before["computed_at"])
    return made


def _dashboard_key(force, today, filters, fairness) -> str:
    identity = f"{FIGURES_FORMAT}|{force.pk}|{today}|{urlencode(filters)}|{','.join(fairness)}"
    return "reporting-dashboard:" + hashlib.sha256(identity.encode()).hexdigest()


def _cache_quietly(operation, *args, **kwargs):
    """A cache operation; a shared cache that cannot be reached is logged and treated as empty (the
    figures are then made here), never an error page."""
    try:
        return operation(*args, **kwargs)
    except Exception as exc:
        logger.warning("The cache could not be used: %s: %s", type(exc).__name__, str(exc)[:200])
        return None


# The shape of the figures kept: changed with what ``dashboard_for`` returns, so that figures kept by
# an earlier version (in a shared cache that outlives a deployment) are never read as this one's.
FIGURES_FORMAT = 3  # 3: the months of caution and the funnel (issue 16)

# How long one request may hold the making of a set of figures before another may try.
DASHBOARD_MAKING_SECONDS = 60


# --- The pseudonymised case extract (issue 15, part 5) -----------------------------------------------

EXTRACT_ROLES = (Role.ANALYST, Role.SUPERVISOR)


def extract_permitted(user) -> bool:
    """The user reads the reports and an administrator has let them download the case extract."""
    from .models import ExtractPermission

    return (
        user.is_authenticated
        and user.has_role(*EXTRACT_ROLES)
        and ExtractPermission.objects.filter(user=user, revoked_at__isnull=True).exists()
    )


def extract_permitted_expression(user):
    """``extract_permitted`` as an expression, to read with another query (the dashboard's)."""
    from .models import ExtractPermission

    return Exists(ExtractPermission.objects.filter(user_id=user.pk, revoked_at__isnull=True))


def extract_people_for(actor):
    """The people of an administrator's organisation who read the reports, each with their current
    permission to download the case extract (``permission_id``, ``granted_at``, ``granted_by_name``),
    if any: the only people whose permission the administrator may change."""
    from offenderhub.accounts.models import User

    from .models import ExtractPermission

    if not actor.has_role(Role.ADMINISTRATOR) or actor.organisation_id is None:
        return User.objects.none()
    current = ExtractPermission.objects.filter(user=OuterRef("pk"), revoked_at__isnull=True)
    return (
        User.objects.filter(
            organisation_id=actor.organisation_id, is_active=True, role_assignments__role__in=EXTRACT_ROLES
        )
        .distinct()
        .annotate(
            permission_id=Subquery(current.values("pk")[:1]),
            granted_at=Subquery(current.values("granted_at")[:1]),
            granted_by_name=Subquery(current.values("granted_by__full_name")[:1]),
        )
        .order_by("full_name", "pk")
    )


def extract_person_get_for(actor, pk):
    """One of ``extract_people_for(actor)``; anyone else is a 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(extract_people_for(actor), pk=pk)


def extract_permissions_of(user):
    """Every permission the person was granted, the current one first."""
    from .models import ExtractPermission

    return ExtractPermission.objects.filter(user=user).select_related("granted_by", "revoked_by")


def case_extracts_of(user, *, limit: int = 10):
    """The extracts the person drew, the latest first."""
    from .models import CaseExtract

    return CaseExtract.objects.filter(made_by=user)[:limit]

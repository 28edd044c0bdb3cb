"""Data quality for supervisors (issue 14, part 6): the problems in the force's records, each a
category with a count and a list of the records.

Every category is a queryset of the force's own records (scoped by ``case_list_for`` /
``person_list_for``, so a supervisor of another force, a partner or an analyst gets none), counted in
one query, most of them read through a partial index (migrations cases 0014, conditions 0008,
referrals 0004); the duplicates are pairs kept as people change (cases 0020). The page shows the
counts; each list is paginated and downloads as CSV.

Categories are declared once in ``CATEGORIES``: a title, the selector of its rows and how each row
is shown and exported. Suspected duplicates are the pairs the duplicate matching keeps
(``cases.matching``, issue 14 part 4): the rules intake applies, however the details were written.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Case, DateTimeField, Exists, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent
from cases.selectors import case_list_for, person_list_for, suspected_duplicate_list_for
from cases.workflow import OPEN_STATUSES
from conditions.models import LIVE_CONDITION_STATUSES, Condition
from offenderhub.core.workdays import is_working_day
from referrals.models import Referral, ReferralStatus

# The most working days a service may give itself to respond (referrals.models.Service's validator).
MAX_SERVICE_LEVEL_DAYS = 60


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


# --- People ---------------------------------------------------------------------------------------------


def people_without_ethnicity_for(user):
    """The force's people with no ethnic group recorded (``Person.ethnicity`` is optional; the
    fairness figures count them as "not recorded"). Index: ``person_no_ethnicity_idx``."""
    return person_list_for(user).filter(ethnicity__isnull=True, erased_at=None).order_by("family_name", "id")


def people_without_pnc_id_for(user):
    """People with an open case and no PNC ID. Only those with an open case: they are the records
    being worked now (the eligibility history check and the reoffending import match by PNC ID), and a
    person from a closed case with no PNC ID is not a problem anyone can act on. Sex is not a
    category: ``Person.sex`` is required, with "Prefer not to say" as an answer. Index:
    ``person_no_pnc_idx``, then the cases by person."""
    open_case = case_list_for(user).filter(person=OuterRef("pk"), status__in=sorted(OPEN_STATUSES))
    return person_list_for(user).filter(Exists(open_case), pnc_id="").order_by("family_name", "id")


def duplicate_people_for(user):
    """Suspected duplicates as pairs (``cases.models.SuspectedDuplicate``): two live records of the force
    that the duplicate matching (``cases.matching``: however the names and date of birth were written,
    or an alias) says may be one person, best match first, each with the reasons. The pairs are kept as
    people are recorded, corrected, merged and imported, so the page counts rows instead of comparing
    every person with the others."""
    return suspected_duplicate_list_for(user)


# --- Cases ----------------------------------------------------------------------------------------------


def stuck_days() -> dict:
    """Days a case may stay in each status before it is reported as stuck (``DATA_QUALITY_STUCK_DAYS``)."""
    return dict(settings.DATA_QUALITY_STUCK_DAYS)


def cases_stuck_for(user, *, now=None):
    """Open cases in a watched status for longer than its setting. A case entered its status at its
    latest timeline event moving it there (``CaseEvent.status_after``), or when it was opened if no
    event did (intake). Counted as: in the status, opened before the cut-off, and no event moving it
    there since the cut-off. Indexes: ``case_force_status_idx`` and ``case_event_status_entry_idx``.
    Each row carries ``in_status_since``."""
    now = now or timezone.now()
    entered = CaseEvent.objects.filter(case=OuterRef("pk"), status_after=OuterRef("status")).order_by()
    # One query a status, joined by UNION: each is then an anti-join the database answers with an
    # index lookup for each candidate case; the same tests ORed together were answered by hashing
    # every timeline event since each cut-off (about 250 ms at 100,000 cases, 25-40 ms so).
    per_status = [
        case_list_for(user)
        .filter(status=status, created_at__lt=now - timedelta(days=days))
        .exclude(Exists(entered.filter(occurred_at__gte=now - timedelta(days=days))))
        .order_by()
        .values("pk")
        for status, days in stuck_days().items()
    ]
    stuck = Q(pk__in=per_status[0].union(*per_status[1:], all=True)) if per_status else Q(pk__in=[])
    since = entered.values("case").annotate(last=Max("occurred_at")).values("last")
    return (
        case_list_for(user)
        .filter(stuck)
        .annotate(in_status_since=Coalesce(Subquery(since), F("created_at")))
        .select_related("person", "owner")
        .order_by("created_at", "id")
    )


# --- Conditions and referrals ---------------------------------------------------------------------------


def conditions_without_owner_for(user):
    """Live conditions (pending or in progress) with no owner. Index: ``condition_live_no_owner_idx``."""
    return (
        Condition.objects.filter(
            case__in=case_list_for(user), owner__isnull=True, status__in=sorted(LIVE_CONDITION_STATUSES)
        )
        .select_related("case__person", "responsible_organisation")
        .order_by("due_date", "id")
    )


def _response_overdue(*, today) -> Q:
    """Sent referrals past the service's response time: the rule of the daily chase
    (``referrals.jobs.referral_response_due(r) < today``), written for the database. The response is
    due ``level`` working days after the day sent, and is late when that day is before today: when
    the referral was sent before the ``level``-th working day before today (today itself for a level
    of 0). So each level compares ``sent_at`` with the start of one day."""
    bounds = [today]
    day = today
    while len(bounds) <= MAX_SERVICE_LEVEL_DAYS:
        day -= timedelta(days=1)
        if is_working_day(day):
            bounds.append(day)
    due_by = Case(
        *(
            When(service__first_contact_working_days=level, then=Value(_start_of(bound)))
            for level, bound in enumerate(bounds)
        ),
        output_field=DateTimeField(),
    )
    return Q(sent_at__lt=due_by)


def referrals_without_response_for(user, *, today=None):
    """Referrals still sent (neither accepted nor declined) past the service's response time, in working
    days. Index: ``referral_waiting_idx``."""
    today = today or timezone.localdate()
    return (
        Referral.objects.filter(case__in=case_list_for(user), status=ReferralStatus.SENT)
        .filter(_response_overdue(today=today))
        .select_related("case__person", "service__organisation")
        .order_by("sent_at", "id")
    )


# --- The categories, as the pages show them ----------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    hint: str
    rows: Callable  # rows(user) -> queryset
    header: tuple
    cells: Callable  # cells(row, partners) -> list of (text, url or None)
    # action(row, partners) -> (text, visually hidden text, url): a link on the page, not in the CSV
    action: Callable | None = None


def _person_cells(person, partners):
    return [
        (person.full_name, reverse("cases:person_detail", args=[person.pk])),
        (person.date_of_birth.strftime("%d/%m/%Y"), None),
        (person.pnc_id or "Not recorded", None),
    ]


def _duplicate_cells(pair, partners):
    person, other = pair.person, pair.other
    return [
        (person.full_name, reverse("cases:person_detail", args=[person.pk])),
        (other.full_name, reverse("cases:person_detail", args=[other.pk])),
        (
            " and ".join(sorted({p.date_of_birth.strftime("%d/%m/%Y") for p in (person, other)})),
            None,
        ),
        ("; ".join(pair.reasons).capitalize(), None),
        (str(pair.score), None),
    ]


def _duplicate_action(pair, partners):
    return (
        "Compare and merge",
        f" {pair.person.full_name} and {pair.other.full_name}",
        reverse("cases:person_merge", args=[pair.person_id, pair.other_id]),
    )


def _case_cells(case, partners):
    return [
        (case.reference, reverse("cases:detail", args=[case.pk])),
        (case.person.full_name, None),
        (case.get_status_display(), None),
        (timezone.localtime(case.in_status_since).strftime("%d/%m/%Y"), None),
        (case.owner.full_name if case.owner else "", None),
    ]


def _condition_cells(condition, partners):
    return [
        (condition.case.reference, reverse("cases:detail", args=[condition.case_id])),
        (condition.case.person.full_name, None),
        (str(condition)[:80], None),
        (condition.due_date.strftime("%d/%m/%Y"), None),
        (str(condition.responsible_organisation), None),
    ]


def _referral_cells(referral, partners):
    return [
        (referral.case.reference, reverse("cases:detail", args=[referral.case_id])),
        (referral.case.person.full_name, None),
        (str(referral.service), None),
        (timezone.localtime(referral.sent_at).strftime("%d/%m/%Y"), None),
        (f"{referral.service.first_contact_working_days} working days", None),
    ]


PERSON_HEADER = ("Name", "Date of birth", "PNC ID")
CATEGORIES = [
    Category(
        "no-ethnicity",
        "People with no ethnicity recorded",
        "The fairness figures count them as not recorded.",
        people_without_ethnicity_for,
        PERSON_HEADER,
        _person_cells,
    ),
    Category(
        "no-pnc-id",
        "People with an open case and no PNC ID",
        "The history check and the reoffending import find people by PNC ID.",
        people_without_pnc_id_for,
        PERSON_HEADER,
        _person_cells,
    ),
    Category(
        "duplicates",
        "Suspected duplicate people",
        "Pairs of people whose names and date of birth agree however they were written, or who share a "
        "PNC ID or an alias; the best matches (out of 100) first.",
        duplicate_people_for,
        ("Person", "May be the same as", "Date of birth", "Why", "Match"),
        _duplicate_cells,
        _duplicate_action,
    ),
    Category(
        "stuck-cases",
        "Cases stuck in one status",
        "",  # the page lists the days allowed in each status
        cases_stuck_for,
        ("Case", "Person", "Status", "In this status since", "Case worker"),
        _case_cells,
    ),
    Category(
        "conditions-without-owner",
        "Live conditions without an owner",
        "Pending or in progress, with nobody responsible for them.",
        conditions_without_owner_for,
        ("Case", "Person", "Condition", "Due", "Responsible organisation"),
        _condition_cells,
    ),
    Category(
        "referrals-without-response",
        "Referrals without a response",
        "Sent, not accepted or declined, past the service's response time in working days.",
        referrals_without_response_for,
        ("Case", "Person", "Service", "Sent", "Service level"),
        _referral_cells,
    ),
]
CATEGORY_BY_SLUG = {c.slug: c for c in CATEGORIES}


def quality_counts_for(user) -> list[dict]:
    """Each category with its count: one query each."""
    return [{"category": c, "count": c.rows(user).order_by().count()} for c in CATEGORIES]


def partners_of(category, rows) -> dict:
    """Rows' related records a page needs beyond the rows' own (none: each pair reads both people with
    it, ``select_related``)."""
    return {}

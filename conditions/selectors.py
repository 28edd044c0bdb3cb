"""Scoped reads of conditions, the caution, variations, breach reviews and the prosecution. Everything
here starts from ``case_list_for``: police see their own force; everyone else sees nothing (404)."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404

from cases.selectors import case_list_for

from .models import (
    BINDING_CONDITION_STATUSES,
    LIVE_CONDITION_STATUSES,
    BreachReview,
    Caution,
    Condition,
    ConditionStatus,
    ConditionTemplate,
    Variation,
)

_CASE = ("case__person", "case__scheme__disposal_type", "case__area", "case__force")


def condition_template_list_for(user):
    """The catalogue a user is offered: the national entries and their own force's, active ones only."""
    return ConditionTemplate.objects.filter(Q(force=None) | Q(force_id=user.organisation_id), is_active=True)


def condition_list_for(user, case):
    return (
        Condition.objects.filter(case__in=case_list_for(user), case=case)
        .select_related("responsible_organisation", "owner")
        .order_by("due_date", "id")
    )


def condition_get_for(user, pk) -> Condition:
    return get_object_or_404(
        Condition.objects.filter(case__in=case_list_for(user)).select_related(
            *_CASE, "responsible_organisation", "owner", "supersedes", "template"
        ),
        pk=pk,
    )


def breachable_condition_list_for(user, case, *, today):
    """Conditions that can open a breach review: failed, or still live past their due date."""
    from .models import ConditionKind

    return condition_list_for(user, case).filter(
        Q(status=ConditionStatus.FAILED)
        | Q(status__in=LIVE_CONDITION_STATUSES, due_date__lt=today) & ~Q(kind=ConditionKind.RESTRICTIVE)
    )


def binding_condition_list_for(user, case):
    return condition_list_for(user, case).filter(status__in=BINDING_CONDITION_STATUSES)


def caution_for(user, case) -> Caution | None:
    return (
        Caution.objects.filter(case__in=case_list_for(user), case=case)
        .select_related("administered_by")
        .first()
    )


def caution_document_get_for(user, case) -> Caution:
    """The case's caution, if its signed document is in Offender Hub: one erased with its person's record
    is not found, nor one brought in by a caseload import (its document is in the force's earlier
    records)."""
    return get_object_or_404(
        Caution.objects.filter(case__in=case_list_for(user)).exclude(document=""), case=case
    )


def variation_list_for(user, case):
    return Variation.objects.filter(case__in=case_list_for(user), case=case).select_related(
        "condition", "result", "proposed_by", "decided_by"
    )


def variation_get_for(user, pk) -> Variation:
    return get_object_or_404(
        Variation.objects.filter(case__in=case_list_for(user)).select_related(*_CASE, "condition"), pk=pk
    )


def breach_review_list_for(user, case):
    return (
        BreachReview.objects.filter(case__in=case_list_for(user), case=case)
        .select_related("opened_by", "decided_by", "countersigned_by")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.order_by("due_date", "id")),
            Prefetch("breached_conditions", queryset=Condition.objects.order_by("due_date", "id")),
        )
    )


def breach_review_get_for(user, pk) -> BreachReview:
    return get_object_or_404(
        BreachReview.objects.filter(case__in=case_list_for(user)).select_related(
            *_CASE, "opened_by", "decided_by", "countersigned_by"
        ),
        pk=pk,
    )


# --- The case file (cases/views.py: one page per tab, each reading only what it shows) ------------------


def case_conditions_for(user, case) -> dict:
    """What the case's "Conditions and referrals" page shows of the conditions, in four queries however many
    records there are: the conditions, the breach reviews (without their conditions: the list links to
    each), the variations and whether the initial needs assessment is complete (the conditions are
    agreed only after it). The referrals are referrals' own answer (``CasePageAsked``)."""
    from assessments.selectors import initial_assessment_done

    conditions = list(condition_list_for(user, case))
    reviews = list(
        BreachReview.objects.filter(case__in=case_list_for(user), case=case).only(
            "id", "case_id", "status", "opened_at", "decision_due_on"
        )
    )
    return {
        "conditions": conditions,
        "binding_conditions": [c for c in conditions if c.status in BINDING_CONDITION_STATUSES],
        "breach_reviews": reviews,
        "open_review": next((r for r in reviews if r.is_open), None),
        "variations": list(variation_list_for(user, case)),
        "initial_assessment_done": initial_assessment_done(case),
    }


def victim_condition_list_for(user, case):
    """The conditions that make amends to the victim: reparative ones, and compensation."""
    from .models import AmountKind, ConditionKind

    return condition_list_for(user, case).filter(
        Q(kind=ConditionKind.REPARATIVE) | Q(amount_kind=AmountKind.COMPENSATION)
    )


# --- The home page ------------------------------------------------------------------------------------
# Each list is read on its own, so a section asks only for what it shows, each in one query on an index
# that leads with what the list is about (open breach reviews, live conditions), never the force's
# whole history.


def _under_caution(user):
    from cases.models import CaseStatus

    return case_list_for(user).filter(status__in=[CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW])


def conditions_overdue_for(user, *, today, limit=10) -> list:
    """The live conditions past their due date on the user's own cases under caution."""
    return list(
        Condition.objects.filter(
            case__in=_under_caution(user).filter(owner=user),
            status__in=LIVE_CONDITION_STATUSES,
            due_date__lt=today,
        )
        .select_related("case__person")
        .order_by("due_date", "id")[:limit]
    )


def conditions_due_soon_for(user, *, today, limit=10) -> list:
    """The live conditions due within the week on the user's own cases under caution."""
    return list(
        Condition.objects.filter(
            case__in=_under_caution(user).filter(owner=user),
            status__in=LIVE_CONDITION_STATUSES,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=7),
        )
        .select_related("case__person")
        .order_by("due_date", "id")[:limit]
    )


def cases_to_caution_count_for(user) -> int:
    from cases.models import CaseStatus

    return case_list_for(user).filter(status=CaseStatus.CONDITIONS_AGREED).count()


def variations_proposed_for(user, *, limit=10) -> list:
    from .models import VariationStatus

    return list(
        Variation.objects.filter(case__in=case_list_for(user), status=VariationStatus.PROPOSED)
        .select_related("case__person")
        .order_by("proposed_at")[:limit]
    )


def _breach_reviews_for(user):
    return BreachReview.objects.filter(case__in=case_list_for(user)).select_related("case__person")


def breach_reviews_open_for(user, *, limit=10) -> list:
    from .models import BreachStatus

    return list(
        _breach_reviews_for(user).filter(status=BreachStatus.OPEN).order_by("decision_due_on", "id")[:limit]
    )


def breach_reviews_to_countersign_for(user, *, limit=10) -> list:
    """Breach decisions awaiting a countersignature by someone other than who decided them."""
    from .models import BreachStatus

    return list(
        _breach_reviews_for(user)
        .filter(status=BreachStatus.AWAITING_COUNTERSIGNATURE)
        .filter(~Q(decided_by=user))[:limit]
    )


def breach_reviews_late_for(user, *, today, limit=10) -> list:
    """Breach reviews still undecided (or not countersigned) past their decision date."""
    from .models import BreachStatus

    return list(
        _breach_reviews_for(user).filter(
            status__in=[BreachStatus.OPEN, BreachStatus.AWAITING_COUNTERSIGNATURE],
            decision_due_on__lt=today,
        )[:limit]
    )


def time_limit_alerts_for(user, *, today, within_days=7, limit=20) -> list:
    """Open cases whose summary-only six-month limit has passed or falls within ``within_days``:
    the loud alert on the supervisor's home page. Nearest (or longest passed) first.

    The cases are those not yet completed (``OPEN_STATUSES``, the daily warning job's
    ``BEFORE_OUTCOME``) and those whose resumed prosecution has not started. Each case keeps the date
    its limit runs from (``first_summary_offence_date``, kept by cases.services), and a partial index
    holds it for those statuses only (``case_time_limit_open_idx``): the alert reads the first few
    entries of that index, whatever the size of the force's history."""
    from dateutil.relativedelta import relativedelta

    from cases.models import TIME_LIMIT_WATCHED_STATUSES
    from cases.rules import latest_proceedings_date
    from cases.workflow import OPEN_STATUSES

    from .models import Prosecution, ProsecutionOutcome

    waiting_to_start = Exists(
        Prosecution.objects.filter(
            case=OuterRef("pk"), proceedings_started_on__isnull=True, outcome=ProsecutionOutcome.PENDING
        )
    )
    cutoff = today + timedelta(days=within_days) - relativedelta(months=6) + timedelta(days=3)
    rows = list(
        case_list_for(user)
        .filter(
            status__in=TIME_LIMIT_WATCHED_STATUSES,
            first_summary_offence_date__lte=cutoff,
        )
        .filter(Q(status__in=sorted(OPEN_STATUSES)) | Q(waiting_to_start))
        .select_related("person", "owner")
        .order_by("first_summary_offence_date", "pk")[:limit]
    )
    alerts = []
    for case in rows:
        deadline = latest_proceedings_date(case.first_summary_offence_date)
        if deadline <= today + timedelta(days=within_days):
            alerts.append({"case": case, "deadline": deadline, "days_left": (deadline - today).days})
    return alerts

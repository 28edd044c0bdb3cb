"""The daily jobs about conditions, breach reviews, prosecutions and the six-month limit.

Each job takes ``today``, finds its work with set-based queries, claims it (row locks taken with
SKIP LOCKED and conditional updates on the "done" timestamp) so that a second worker or a re-run
after a crash does nothing twice, and returns counts of what it did. What it records (a review
opened, a reminder sent, a timeline event) is dated ``today`` (``run_moment``), also when
``run_daily_jobs --today`` runs it for another day; the audit log keeps the real time.
"""

from datetime import timedelta
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from cases.rules import latest_proceedings_date
from cases.services import case_lock
from offenderhub.accounts.models import OrganisationKind, Role, User
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_system_record_many
from offenderhub.core.dbfunctions import LongDate
from offenderhub.core.jobs import run_moment
from offenderhub.notifications.models import NotificationKind
from offenderhub.notifications.services import notify, notify_many

from .models import (
    BINDING_CONDITION_STATUSES,
    LIVE_CONDITION_STATUSES,
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Condition,
    ConditionKind,
    ConditionStatus,
    Prosecution,
    ProsecutionOutcome,
)

UNDER_CAUTION = [CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW]
OPEN_REVIEW_STATUSES = [BreachStatus.OPEN, BreachStatus.AWAITING_COUNTERSIGNATURE]
BEFORE_OUTCOME = [
    CaseStatus.INTAKE,
    CaseStatus.AWAITING_DECISION,
    CaseStatus.ASSESSMENT,
    CaseStatus.CONDITIONS_AGREED,
    CaseStatus.ACTIVE,
    CaseStatus.BREACH_REVIEW,
]


_STAND_IN_ID = 987654321


@lru_cache(maxsize=32)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[_STAND_IN_ID])


def url_for(name: str, pk) -> str:
    """``reverse(name, args=[pk])`` for a URL whose only argument is an id, reversed once per name
    (set-based jobs link thousands of notifications; each ``reverse`` costs about a millisecond)."""
    return _url_pattern(name).replace(str(_STAND_IN_ID), str(pk))


def _case_url(case_id):
    return url_for("cases:detail", case_id)


def _supervisors_by_force(force_ids) -> dict:
    supervisors = {}
    for user in User.objects.filter(
        organisation_id__in=force_ids, is_active=True, role_assignments__role=Role.SUPERVISOR
    ).distinct():
        supervisors.setdefault(user.organisation_id, []).append(user)
    return supervisors


# --- Reminders --------------------------------------------------------------------------------------


def condition_reminders_send(*, today) -> dict:
    """Remind the case worker and the responsible partner before a condition falls due, once, the
    scheme's lead time ahead. The conditions are locked and read as values; their case workers and
    organisations (a few dozen) are read once each."""
    from cases.models import Scheme
    from offenderhub.accounts.models import Organisation

    window = Q()
    for scheme_id, lead in Scheme.objects.values_list("id", "reminder_lead_days"):
        window |= Q(case__scheme_id=scheme_id, due_date__lte=today + timedelta(days=lead))
    now = run_moment(today)
    with transaction.atomic():
        due = list(
            Condition.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                window,
                status__in=LIVE_CONDITION_STATUSES,
                reminder_sent_at=None,
                due_date__gte=today,
                case__status__in=UNDER_CAUTION,
            )
            .values(
                "pk",
                "case_id",
                "due_date",
                "case__reference",
                "case__owner_id",
                "responsible_organisation_id",
            )
        )
        if not due:
            return {"reminders": 0}
        Condition.objects.filter(pk__in=[c["pk"] for c in due], reminder_sent_at=None).update(
            reminder_sent_at=now
        )
        owners = User.objects.in_bulk({c["case__owner_id"] for c in due})
        partners = Organisation.objects.filter(kind=OrganisationKind.PARTNER_AGENCY).in_bulk(
            {c["responsible_organisation_id"] for c in due}
        )
        notify_many(
            kind=NotificationKind.CONDITION_DUE,
            items=[
                {
                    "users": [owners[c["case__owner_id"]]],
                    "organisations": [partners[c["responsible_organisation_id"]]]
                    if c["responsible_organisation_id"] in partners
                    else [],
                    "url": _case_url(c["case_id"]),
                    "case_reference": c["case__reference"],
                    "context": {"due_date": c["due_date"]},
                    "dedupe_key": f"condition-due:{c['pk']}",
                }
                for c in due
            ],
        )
    return {"reminders": len(due)}


# --- Overdue conditions -----------------------------------------------------------------------------


def conditions_overdue_sweep(*, today) -> dict:
    """Flag each condition whose due date has passed, once, and open one breach review per case (or
    add the conditions to the review already open). A fixed number of queries however many there are:
    the cases are locked (skipping any another worker holds), then everything is written in bulk.

    The flags, reviews, their conditions, the cases' moves and the timeline events are written by
    ``_overdue_record``: on PostgreSQL by statements that build the rows in the database
    (``_overdue_record_in_sql``), thousands on a large day; the audit rows and notifications then
    follow from the reviews opened."""
    now = timezone.now()
    with transaction.atomic():
        cases = _overdue_cases_lock(today)
        if not cases:
            return {"overdue_conditions": 0, "breach_reviews_opened": 0}
        record = _overdue_record_in_sql if connection.vendor == "postgresql" else _overdue_record
        flagged, new_reviews, moved = record(cases, today=today, now=run_moment(today))
        review_type = ContentType.objects.get_for_model(BreachReview)
        case_type = ContentType.objects.get_for_model(Case)
        audit_system_record_many(
            records=[
                {
                    "action": AuditAction.CREATED,
                    "content_type": review_type,
                    "object_id": review.pk,
                    "object_label": f"Breach review on case {cases[review.case_id].reference}",
                    "owner_organisation_id": cases[review.case_id].force_id,
                    "reason": "Opened by the overdue-conditions check",
                }
                for review in new_reviews
            ]
            + [
                {
                    "action": AuditAction.CHANGED,
                    "content_type": case_type,
                    "object_id": case_id,
                    "object_label": f"Case {cases[case_id].reference}",
                    "owner_organisation_id": cases[case_id].force_id,
                    "changes": {"status": [CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW]},
                    "reason": "Breach review opened by the overdue-conditions check",
                }
                for case_id in moved
            ],
            occurred_at=now,
        )
        owners = User.objects.in_bulk({cases[r.case_id].owner_id for r in new_reviews})
        notify_many(
            kind=NotificationKind.BREACH_REVIEW_OPENED,
            items=[
                {
                    "users": [owners[cases[review.case_id].owner_id]],
                    "url": url_for("conditions:breach_review", review.pk),
                    "case_reference": cases[review.case_id].reference,
                    "context": {"decision_due_on": review.decision_due_on},
                    "dedupe_key": f"breach-review-opened:{review.pk}",
                }
                for review in new_reviews
            ],
        )
    return {"overdue_conditions": flagged, "breach_reviews_opened": len(new_reviews)}


def _overdue(today):
    # Restrictive conditions ("not to contact the victim") are not done by a date: they last until
    # it, and end as met unless a breach was recorded (``restrictive_conditions_end``).
    return Condition.objects.filter(
        status__in=LIVE_CONDITION_STATUSES, due_date__lt=today, overdue_flagged_at=None
    ).exclude(kind=ConditionKind.RESTRICTIVE)


def _overdue_cases_lock(today) -> dict:
    """The cases under caution with a condition overdue, locked (skipping any another worker holds)
    and read as plain values, not model rows (thousands of them on a large force's day):
    ``{id: namespace of pk, status, reference, force_id, owner_id, scheme__breach_decision_days}``."""
    return {
        row["pk"]: SimpleNamespace(**row)
        for row in Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=UNDER_CAUTION, pk__in=_overdue(today).values("case_id"))
        .order_by("pk")
        .values("pk", "status", "reference", "force_id", "owner_id", "scheme__breach_decision_days")
    }


def _cases_to_move(cases, new_reviews) -> list:
    """The active cases among those given a new review: they move to breach review."""
    return [r.case_id for r in new_reviews if cases[r.case_id].status == CaseStatus.ACTIVE]


def _overdue_record(cases: dict, *, today, now):
    """For the locked ``cases``: flag their overdue conditions, open a review on each case without
    one open, add the conditions to the case's review, move the active cases to breach review and
    write their timeline events. Returns how many conditions were flagged, the reviews opened (each
    with ``pk``, ``case_id``, ``decision_due_on``) in case order, and the ids of the cases moved.
    Models and bulk inserts: the way for any database (``_overdue_record_in_sql`` is PostgreSQL's)."""
    conditions = [
        SimpleNamespace(**row)
        for row in _overdue(today)
        .filter(case_id__in=cases)
        .order_by("case_id", "due_date", "id")
        .values("pk", "case_id", "wording", "due_date")
    ]
    Condition.objects.filter(pk__in=[c.pk for c in conditions]).update(overdue_flagged_at=now)
    open_reviews = {
        r.case_id: r for r in BreachReview.objects.filter(case_id__in=cases, status__in=OPEN_REVIEW_STATUSES)
    }
    by_case = {}
    for condition in conditions:
        by_case.setdefault(condition.case_id, []).append(condition)
    new_reviews = [
        BreachReview(
            case_id=case_id,
            opened_by=None,
            opened_at=now,
            opened_reason=f"{len(items)} condition{'s' if len(items) > 1 else ''} overdue: "
            + "; ".join(f"{c.wording[:80]} (due {c.due_date:%-d %B %Y})" for c in items),
            decision_due_on=today + timedelta(days=cases[case_id].scheme__breach_decision_days),
        )
        for case_id, items in by_case.items()
        if case_id not in open_reviews
    ]
    BreachReview.objects.bulk_create(new_reviews)
    reviews = {**open_reviews, **{r.case_id: r for r in new_reviews}}
    through = BreachReview.conditions.through
    through.objects.bulk_create(
        [through(breachreview_id=reviews[c.case_id].pk, condition_id=c.pk) for c in conditions],
        ignore_conflicts=True,
    )
    moved = _cases_to_move(cases, new_reviews)
    Case.objects.filter(pk__in=moved, status=CaseStatus.ACTIVE).update(
        status=CaseStatus.BREACH_REVIEW, updated_at=now
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case_id,
            code=EventCode.CONDITION_OVERDUE if case_id in open_reviews else EventCode.BREACH_REVIEW_OPENED,
            occurred_at=now,
            summary=(
                f"{_REVIEW_OPENED} {reviews[case_id].decision_due_on:%-d %B %Y}"
                if case_id not in open_reviews
                else _CONDITION_ADDED
            ),
            notes=reviews[case_id].opened_reason if case_id not in open_reviews else "",
            details={"breach_review": reviews[case_id].pk, "conditions": [c.pk for c in items]},
            status_before=CaseStatus.ACTIVE if case_id in moved else "",
            status_after=CaseStatus.BREACH_REVIEW if case_id in moved else "",
        )
        for case_id, items in by_case.items()
    )
    return len(conditions), new_reviews, moved


_REVIEW_OPENED = "Breach review opened by the overdue check; a decision is due by"
_CONDITION_ADDED = "Overdue condition added to the open breach review"


def _overdue_record_in_sql(cases: dict, *, today, now):
    """``_overdue_record`` on PostgreSQL, the same rows: each step one statement over the locked
    cases, the reviews' reasons and the events built in the database (string_agg, to_char as
    ``LongDate`` writes a date) rather than as thousands of model rows."""
    params = {
        "cases": list(cases),
        "today": today,
        "now": now,
        "live": list(LIVE_CONDITION_STATUSES),
        "restrictive": ConditionKind.RESTRICTIVE,
        "open": list(OPEN_REVIEW_STATUSES),
        "new_status": BreachStatus.OPEN,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE conditions_condition SET overdue_flagged_at = %(now)s"
            " WHERE case_id = ANY(%(cases)s) AND status = ANY(%(live)s) AND due_date < %(today)s"
            " AND overdue_flagged_at IS NULL AND kind <> %(restrictive)s RETURNING id",
            params,
        )
        params["conditions"] = [pk for (pk,) in cursor.fetchall()]
        # Ordered by case, as the ids of ``_overdue_record``'s bulk insert are.
        cursor.execute(
            """
            INSERT INTO conditions_breachreview (case_id, status, opened_at, opened_reason,
                decision_due_on, person_account, alternatives_tried, outcome, rationale,
                countersignature_notes)
            SELECT c.case_id, %(new_status)s, %(now)s,
                count(*) || ' condition' || CASE WHEN count(*) > 1 THEN 's' ELSE '' END || ' overdue: '
                || string_agg(left(c.wording, 80) || ' (due ' || to_char(c.due_date, 'FMDD FMMonth YYYY')
                   || ')', '; ' ORDER BY c.due_date, c.id),
                %(today)s::date + s.breach_decision_days, '', '', '', '', ''
            FROM conditions_condition c
            JOIN cases_case k ON k.id = c.case_id JOIN cases_scheme s ON s.id = k.scheme_id
            WHERE c.id = ANY(%(conditions)s) AND k.id = ANY(%(cases)s) AND NOT EXISTS (
                SELECT 1 FROM conditions_breachreview r
                WHERE r.case_id = c.case_id AND r.status = ANY(%(open)s))
            GROUP BY c.case_id, s.breach_decision_days
            ORDER BY c.case_id
            RETURNING id, case_id, decision_due_on
            """,
            params,
        )
        opened = sorted(cursor.fetchall(), key=lambda row: row[1])
        new_reviews = [SimpleNamespace(pk=pk, case_id=case, decision_due_on=due) for pk, case, due in opened]
        moved = _cases_to_move(cases, new_reviews)
        params.update(new=[r.pk for r in new_reviews], moved=moved)
        # Each condition joins its case's open review (one at most: a constraint), new or not.
        reviewed = """
            FROM conditions_condition c
            JOIN conditions_breachreview r ON r.case_id = c.case_id AND r.status = ANY(%(open)s)
            WHERE c.id = ANY(%(conditions)s)
        """
        cursor.execute(
            "INSERT INTO conditions_breachreview_conditions (breachreview_id, condition_id)"  # noqa: S608
            f" SELECT r.id, c.id {reviewed} ORDER BY c.case_id, c.due_date, c.id ON CONFLICT DO NOTHING",
            params,
        )
        Case.objects.filter(pk__in=moved, status=CaseStatus.ACTIVE).update(
            status=CaseStatus.BREACH_REVIEW, updated_at=now
        )
        cursor.execute(
            f"""
            INSERT INTO cases_caseevent (case_id, code, occurred_at, status_before, status_after,
                summary, notes, details)
            SELECT c.case_id,
                CASE WHEN r.id = ANY(%(new)s) THEN %(opened_code)s ELSE %(overdue_code)s END,
                %(now)s,
                CASE WHEN c.case_id = ANY(%(moved)s) THEN %(active)s ELSE '' END,
                CASE WHEN c.case_id = ANY(%(moved)s) THEN %(breach_review)s ELSE '' END,
                CASE WHEN r.id = ANY(%(new)s)
                    THEN %(opened_summary)s || ' ' || to_char(r.decision_due_on, 'FMDD FMMonth YYYY')
                    ELSE %(added_summary)s END,
                CASE WHEN r.id = ANY(%(new)s) THEN r.opened_reason ELSE '' END,
                jsonb_build_object(
                    'breach_review', r.id, 'conditions', jsonb_agg(c.id ORDER BY c.due_date, c.id))
            {reviewed}
            GROUP BY c.case_id, r.id
            ORDER BY c.case_id
            """,  # noqa: S608 (constant SQL)
            {
                **params,
                "opened_code": EventCode.BREACH_REVIEW_OPENED,
                "overdue_code": EventCode.CONDITION_OVERDUE,
                "active": CaseStatus.ACTIVE,
                "breach_review": CaseStatus.BREACH_REVIEW,
                "opened_summary": _REVIEW_OPENED,
                "added_summary": _CONDITION_ADDED,
            },
        )
    return len(params["conditions"]), new_reviews, moved


def restrictive_conditions_end(*, today) -> dict:
    """A restrictive condition whose period has ended with no breach recorded was met: it is marked
    complete on the system's authority, and the case completes if it was the last one.

    Set-based, a fixed number of queries: the active cases with such a condition are locked
    (skipping any another worker holds), their ended conditions locked and moved to complete in one
    update, then the events and audit rows written in bulk, and the cases whose every binding
    condition is now complete completed the same way. A re-run finds nothing still live."""
    now, at = timezone.now(), run_moment(today)
    ended = Condition.objects.filter(
        kind=ConditionKind.RESTRICTIVE, status__in=LIVE_CONDITION_STATUSES, due_date__lt=today
    )
    with transaction.atomic():
        cases = _cases_lock(ended.filter(case__status=CaseStatus.ACTIVE).values("case_id"))
        if not cases:
            return {"restrictive_conditions_met": 0, "cases_completed": 0}
        conditions = list(
            Condition.objects.select_for_update(of=("self",))
            .filter(pk__in=ended.filter(case_id__in=cases).values("pk"))
            .order_by("case_id", "due_date", "id")
            .values("pk", "case_id", "status", "wording", "due_date")
        )
        Condition.objects.filter(pk__in=[c["pk"] for c in conditions]).update(
            status=ConditionStatus.COMPLETE,
            outcome_on=F("due_date"),
            outcome_notes=Concat(
                Value("The period ended on "), LongDate("due_date"), Value(" with no breach recorded.")
            ),
            updated_at=now,
        )
        code = EventCode.CONDITION_COMPLETED
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=c["case_id"],
                code=code,
                occurred_at=at,
                summary=f"{code.label}: {c['wording'][:120]}"[:300],
                notes=_restrictive_notes(c),
                details={"condition": c["pk"]},
                status_before=c["status"],
                status_after=ConditionStatus.COMPLETE,
            )
            for c in conditions
        )
        condition_type = ContentType.objects.get_for_model(Condition)
        audit_system_record_many(
            records=(
                {
                    "action": AuditAction.CHANGED,
                    "content_type": condition_type,
                    "object_id": c["pk"],
                    "object_label": f"Condition on case {cases[c['case_id']]['reference']}",
                    "owner_organisation_id": cases[c["case_id"]]["force_id"],
                    "changes": {"status": [c["status"], ConditionStatus.COMPLETE]},
                    "reason": code.label,
                }
                for c in conditions
            ),
            occurred_at=now,
        )
        completed = _cases_complete_when_done(cases, now=now, at=at)
    return {"restrictive_conditions_met": len(conditions), "cases_completed": len(completed)}


def _restrictive_notes(condition) -> str:
    return f"The period ended on {condition['due_date']:%-d %B %Y} with no breach recorded."


def _cases_lock(case_ids, *, statuses=(CaseStatus.ACTIVE,)) -> dict:
    """Lock the cases with these ids (a subquery) still in one of ``statuses``, skipping any another
    worker holds, in id order. Returns ``{id: {"force_id", "reference", "status"}}``."""
    return {
        row["pk"]: row
        for row in Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=statuses, pk__in=case_ids)
        .order_by("pk")
        .values("pk", "force_id", "reference", "status")
    }


def _cases_complete_when_done(cases: dict, *, now, at=None) -> list:
    """Of these locked cases, complete (on the system's authority, diverted from prosecution) the
    active ones whose binding conditions are now all complete, as ``_complete_case_if_done`` does
    for one, the timeline dated ``at`` (else ``now``). Returns their ids."""
    binding = Condition.objects.filter(case_id=OuterRef("pk"), status__in=BINDING_CONDITION_STATUSES)
    done = list(
        Case.objects.filter(pk__in=list(cases), status=CaseStatus.ACTIVE)
        .filter(Exists(binding))
        .exclude(Exists(binding.exclude(status=ConditionStatus.COMPLETE)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not done:
        return []
    Case.objects.filter(pk__in=done).update(status=CaseStatus.COMPLETED, updated_at=now)
    summary = "Every condition complete: the case is completed and diverted from prosecution"
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case_id,
            code=EventCode.CASE_COMPLETED,
            occurred_at=at or now,
            summary=summary,
            status_before=CaseStatus.ACTIVE,
            status_after=CaseStatus.COMPLETED,
        )
        for case_id in done
    )
    case_type = ContentType.objects.get_for_model(Case)
    audit_system_record_many(
        records=(
            {
                "action": AuditAction.CHANGED,
                "content_type": case_type,
                "object_id": case_id,
                "object_label": f"Case {cases[case_id]['reference']}",
                "owner_organisation_id": cases[case_id]["force_id"],
                "changes": {"status": [CaseStatus.ACTIVE, CaseStatus.COMPLETED]},
                "reason": summary,
            }
            for case_id in done
        ),
        occurred_at=now,
    )
    return done


# --- Breach reviews ---------------------------------------------------------------------------------


def breach_reviews_escalate(*, today) -> dict:
    """A breach review not decided by its due date goes to the force's supervisors, once."""
    now, at = timezone.now(), run_moment(today)
    with transaction.atomic():
        late = list(
            BreachReview.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=[BreachStatus.OPEN, BreachStatus.AWAITING_COUNTERSIGNATURE],
                decision_due_on__lt=today,
                escalated_at=None,
            )
            .select_related("case")
        )
        if not late:
            return {"escalated": 0}
        BreachReview.objects.filter(pk__in=[r.pk for r in late], escalated_at=None).update(escalated_at=at)
        supervisors = _supervisors_by_force({r.case.force_id for r in late})
        review_type = ContentType.objects.get_for_model(BreachReview)
        audit_system_record_many(
            records=(
                {
                    "action": AuditAction.CHANGED,
                    "content_type": review_type,
                    "object_id": r.pk,
                    "object_label": f"Breach review on case {r.case.reference}",
                    "owner_organisation_id": r.case.force_id,
                    "changes": {"escalated_at": [None, at.isoformat()]},
                    "reason": "Escalated to supervisors: not decided by its due date",
                }
                for r in late
            ),
            occurred_at=now,
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=r.case_id,
                code=EventCode.BREACH_REVIEW_ESCALATED,
                occurred_at=at,
                summary=(
                    "Breach review escalated to supervisors: the decision was due by "
                    f"{r.decision_due_on:%-d %B %Y}"
                ),
                details={"breach_review": r.pk},
            )
            for r in late
        )
        notify_many(
            kind=NotificationKind.BREACH_REVIEW_ESCALATED,
            items=[
                {
                    "users": supervisors.get(r.case.force_id, []),
                    "url": url_for("conditions:breach_review", r.pk),
                    "case_reference": r.case.reference,
                    "context": {"decision_due_on": r.decision_due_on},
                    "dedupe_key": f"breach-review-escalated:{r.pk}",
                }
                for r in late
            ],
        )
    return {"escalated": len(late)}


def breach_reviews_auto_confirm(*, today) -> dict:
    """Where the scheme says so, a breach review still open at its deadline, with no reasonable
    excuse recorded, is confirmed on the system's authority, the reason on the record, and the
    prosecution resumes. Schemes that require a countersignature are left to a person. Reports the
    reviews confirmed and the prosecutions resumed by this run (none when a re-run finds nothing)."""
    from .services.breach import _breach_confirm

    at = run_moment(today)
    candidates = list(
        BreachReview.objects.filter(
            status=BreachStatus.OPEN,
            decision_due_on__lt=today,
            reasonable_excuse__isnull=True,
            case__scheme__auto_confirm_without_excuse=True,
            case__scheme__breach_countersignature_required=False,
        ).values_list("pk", "case_id")
    )
    confirmed = resumed = 0
    for review_id, case_id in candidates:
        with transaction.atomic():
            case = Case.objects.select_for_update(skip_locked=True).filter(pk=case_id).first()
            if case is None:
                continue  # another worker has it
            review = BreachReview.objects.select_for_update().get(pk=review_id)
            if review.status != BreachStatus.OPEN or review.reasonable_excuse is not None:
                continue
            case = case_lock(case_id, force_id=case.force_id)
            review.outcome = BreachOutcome.BREACH_CONFIRMED
            review.reasonable_excuse = False
            review.rationale = (
                f"No reasonable excuse was given by the deadline of {review.decision_due_on:%-d %B %Y}: "
                "confirmed automatically under the scheme's rules."
            )
            review.person_account = review.person_account or "No account given by the deadline."
            review.decided_at = at
            review.save()
            review.breached_conditions.set(review.conditions.all())
            already = Prosecution.objects.filter(case=case).exists()
            _breach_confirm(review, case, system=True, today=today, at=at)
            confirmed += 1
            resumed += not already
    return {"confirmed_automatically": confirmed, "prosecutions_resumed": resumed}


# --- The prosecution-resumption job -----------------------------------------------------------------


def prosecution_carry_out(*, prosecution_id) -> bool:
    """What follows a confirmed breach, once: the case file team told, the victim's notification
    recorded as due with the case worker. Claimed by the timestamp, so it runs once however often
    it is queued."""
    now = timezone.now()
    with transaction.atomic():
        prosecution = (
            Prosecution.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=prosecution_id, case_file_team_notified_at=None)
            .select_related("case__force", "case__owner")
            .first()
        )
        if prosecution is None:
            return False
        # The claim, conditional as well as locked: the lock lets a second worker skip this row
        # rather than wait for it; the condition alone keeps anyone from acting twice.
        if not Prosecution.objects.filter(pk=prosecution.pk, case_file_team_notified_at=None).update(
            case_file_team_notified_at=now
        ):
            return False
        case = prosecution.case
        url = _case_url(case.pk)
        context = {
            "latest_proceedings_date": prosecution.latest_proceedings_date,
            "victim_notification_due_on": prosecution.victim_notification_due_on,
        }
        notify(
            kind=NotificationKind.PROSECUTION_RESUMED,
            organisations=[case.force],
            users=[case.owner],
            url=url,
            case_reference=case.reference,
            context=context,
            dedupe_key=f"prosecution-resumed:{prosecution.pk}",
        )
        CaseEvent.objects.create(
            case=case,
            code=EventCode.CASE_FILE_TEAM_NOTIFIED,
            occurred_at=now,
            summary=_case_file_team_summary(prosecution.victim_notification_due_on),
            details={},
        )
    return True


def prosecutions_carry_out(*, today) -> dict:
    """Carry out every prosecution resumption not yet carried out: the daily job, and the sweep every
    minute that catches one whose job queued on commit was lost (broker down, process killed). Each
    is claimed, so running it beside that job, twice, or on two workers, acts once. It resumes no
    prosecution (a confirmed breach did, and ``breach_reviews_auto_confirm`` counts those it
    confirms): it reports the case file teams told, only those claimed by this run.

    Set-based, as ``prosecution_carry_out`` does for one: the waiting prosecutions are locked
    (skipping any another worker holds) and claimed in one update, then the notifications and
    timeline events written in bulk: a fixed number of queries however many there are."""
    from offenderhub.accounts.models import Organisation

    now = run_moment(today)
    with transaction.atomic():
        waiting = list(
            Prosecution.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(case_file_team_notified_at=None)
            .order_by("pk")
            .values(
                "pk",
                "case_id",
                "latest_proceedings_date",
                "victim_notification_due_on",
                "case__reference",
                "case__force_id",
                "case__owner_id",
            )
        )
        if not waiting:
            return {"case_file_teams_notified": 0}
        claimed = Prosecution.objects.filter(
            pk__in=[p["pk"] for p in waiting], case_file_team_notified_at=None
        ).update(case_file_team_notified_at=now)
        owners = User.objects.in_bulk({p["case__owner_id"] for p in waiting if p["case__owner_id"]})
        forces = Organisation.objects.in_bulk({p["case__force_id"] for p in waiting})
        notify_many(
            kind=NotificationKind.PROSECUTION_RESUMED,
            items=[
                {
                    "organisations": [forces[p["case__force_id"]]],
                    "users": [owners[p["case__owner_id"]]] if p["case__owner_id"] in owners else [],
                    "url": _case_url(p["case_id"]),
                    "case_reference": p["case__reference"],
                    "context": {
                        "latest_proceedings_date": p["latest_proceedings_date"],
                        "victim_notification_due_on": p["victim_notification_due_on"],
                    },
                    "dedupe_key": f"prosecution-resumed:{p['pk']}",
                }
                for p in waiting
            ],
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=p["case_id"],
                code=EventCode.CASE_FILE_TEAM_NOTIFIED,
                occurred_at=now,
                summary=_case_file_team_summary(p["victim_notification_due_on"]),
                details={},
            )
            for p in waiting
        )
    return {"case_file_teams_notified": claimed}


def _case_file_team_summary(victim_notification_due_on) -> str:
    summary = "Case file team notified of the resumed prosecution"
    if victim_notification_due_on:
        summary += f"; the victim is to be told by {victim_notification_due_on:%-d %B %Y}"
    return summary


# --- The six-month limit -----------------------------------------------------------------------------


def time_limits_at_risk(cases, *, today):
    """Cases holding an offence the six-month limit applies to (``Offence.time_limit_applies``: not an
    either-way offence tried summarily for its value) still to be completed, or whose resumed
    prosecution has not started, each annotated with the earliest such offence date (the case's own
    column, kept by cases.services)."""
    waiting_to_start = Q(
        status=CaseStatus.PROSECUTION_RESUMED,
        prosecution__proceedings_started_on__isnull=True,
        prosecution__outcome=ProsecutionOutcome.PENDING,
    )
    return (
        cases.filter(Q(status__in=BEFORE_OUTCOME) | waiting_to_start)
        .filter(first_summary_offence_date__isnull=False)
        .annotate(first_summary_offence=F("first_summary_offence_date"))
    )


def time_limits_warn(*, today) -> dict:
    """Warn the case worker and the supervisors at each lead time before the six-month limit of a
    summary-only offence, for cases not yet completed; each warning once (by its dedupe key).
    The cases are read as plain values (no model rows), and the warnings already given are left out
    before anything is rendered (``notify_many``): a fixed number of queries."""
    leads = sorted(set(settings.TIME_LIMIT_WARNING_DAYS), reverse=True)
    cases = list(
        time_limits_at_risk(Case.objects.all(), today=today).values(
            "pk", "reference", "force_id", "owner_id", "first_summary_offence"
        )
    )
    owners = User.objects.in_bulk({c["owner_id"] for c in cases})
    supervisors = _supervisors_by_force({c["force_id"] for c in cases})
    items = []
    for case in cases:
        limit = latest_proceedings_date(case["first_summary_offence"])
        days_left = (limit - today).days
        due = [lead for lead in leads if days_left <= lead]
        if not due:
            continue
        lead = min(due)
        items.append(
            {
                "users": [owners[case["owner_id"]], *supervisors.get(case["force_id"], [])],
                "url": _case_url(case["pk"]),
                "case_reference": case["reference"],
                "context": {"latest_proceedings_date": limit, "days_left": days_left},
                "dedupe_key": f"time-limit:{case['pk']}:{'passed' if days_left < 0 else lead}",
            }
        )
    created = notify_many(kind=NotificationKind.TIME_LIMIT_WARNING, items=items) if items else []
    warned = {n.dedupe_key.rsplit(":", 1)[0] for n in created}
    return {
        "time_limit_warnings": sum(1 for key in warned if not key.endswith(":passed")),
        "time_limits_passed": sum(1 for key in warned if key.endswith(":passed")),
    }

"""The daily jobs rewritten set-based send the same number of queries however much they have to do,
do exactly what the row-by-row version did, and a re-run (or a second worker) does nothing twice."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import PersonFactory

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus, RestorativeJusticeConsent, VictimType
from conditions.jobs import prosecutions_carry_out, restrictive_conditions_end
from conditions.models import BreachReview, Condition, ConditionKind, ConditionStatus, Prosecution
from offenderhub.audit.chain import chain_verify
from offenderhub.audit.models import AuditEvent
from offenderhub.notifications.models import Notification, NotificationKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Savepoint, lock the cases, lock and read their conditions, complete them, the events, the audit
# rows (lock the chain head; the rows copied in, a COPY the count does not see), find the cases now
# done, move them, their events, their audit rows (the same), release the savepoint.
RESTRICTIVE_QUERIES = 11
# Savepoint, lock and read the prosecutions, claim them, the owners, the forces, two for the
# notifications (existing keys, insert returning the ids), the events, release.
PROSECUTION_QUERIES = 9


@pytest.fixture
def build_cases(force, scheme, area, case_worker):
    """``build_cases(n, day, status=ACTIVE)``: cases made in bulk."""
    person = PersonFactory(force=force, created_by=case_worker)
    made = {"cases": 0}

    def build(number, day, status=CaseStatus.ACTIVE):
        start = made["cases"]
        made["cases"] += number
        return Case.objects.bulk_create(
            Case(
                reference=f"OH-2026-{800000 + start + n:06d}",
                force=force,
                scheme=scheme,
                area=area,
                owner=case_worker,
                person=person,
                status=status,
                arrest_date=day - timedelta(days=60),
                victim_type=VictimType.NONE,
                victim_rj_consent=RestorativeJusticeConsent.NOT_APPLICABLE,
                created_by=case_worker,
            )
            for n in range(number)
        )

    return build


def _conditions(cases, day, *, kind, status=ConditionStatus.PENDING, agency):
    return Condition.objects.bulk_create(
        Condition(
            case=case,
            kind=kind,
            status=status,
            wording="Not to contact the victim",
            due_date=day - timedelta(days=1),
            responsible_organisation=agency,
            created_by=case.owner,
        )
        for case in cases
    )


def _run(job, day):
    with CaptureQueriesContext(connection) as queries:
        result = job(today=day)
    return result, len(queries)


def _restrictive_cases(build_cases, number, day, agency):
    """Half the cases have only the ended restrictive condition (they complete); the other half
    also a rehabilitative one still in progress (they stay active)."""
    cases = build_cases(number, day)
    _conditions(cases, day, kind=ConditionKind.RESTRICTIVE, agency=agency)
    _conditions(
        cases[: number // 2],
        day + timedelta(days=30),
        kind=ConditionKind.REHABILITATIVE,
        status=ConditionStatus.IN_PROGRESS,
        agency=agency,
    )
    return cases


def test_restrictive_conditions_end_in_the_same_queries_for_4_cases_as_for_1000(build_cases, agency):
    day = timezone.localdate()
    ContentType.objects.get_for_model(Condition), ContentType.objects.get_for_model(Case)

    small_cases = _restrictive_cases(build_cases, 4, day, agency)
    small, small_queries = _run(restrictive_conditions_end, day)
    _restrictive_cases(build_cases, 1000, day, agency)
    large, large_queries = _run(restrictive_conditions_end, day)
    again, _ = _run(restrictive_conditions_end, day)

    assert small == {"restrictive_conditions_met": 4, "cases_completed": 2}
    assert large == {"restrictive_conditions_met": 1000, "cases_completed": 500}
    assert again == {"restrictive_conditions_met": 0, "cases_completed": 0}
    assert (small_queries, large_queries) == (RESTRICTIVE_QUERIES, RESTRICTIVE_QUERIES)

    # What the row-by-row version wrote, for one case that completed and one that did not.
    still_active, completed = small_cases[0], small_cases[3]
    condition = Condition.objects.get(case=completed, kind=ConditionKind.RESTRICTIVE)
    assert condition.status == ConditionStatus.COMPLETE
    assert condition.outcome_on == day - timedelta(days=1)
    assert condition.outcome_notes == (
        f"The period ended on {day - timedelta(days=1):%-d %B %Y} with no breach recorded."
    )
    assert Case.objects.get(pk=completed.pk).status == CaseStatus.COMPLETED
    assert Case.objects.get(pk=still_active.pk).status == CaseStatus.ACTIVE
    events = list(CaseEvent.objects.filter(case=completed).order_by("id").values_list("code", "summary"))
    assert events == [
        (EventCode.CONDITION_COMPLETED, "Condition completed: Not to contact the victim"),
        (
            EventCode.CASE_COMPLETED,
            "Every condition complete: the case is completed and diverted from prosecution",
        ),
    ]
    assert CaseEvent.objects.get(case=completed, code=EventCode.CONDITION_COMPLETED).notes == (
        condition.outcome_notes
    )
    assert [e.code for e in CaseEvent.objects.filter(case=still_active)] == [EventCode.CONDITION_COMPLETED]
    audit = AuditEvent.objects.filter(object_id__in=[str(condition.pk), str(completed.pk)])
    assert sorted((a.object_label, a.changes["status"][1], a.actor_label) for a in audit) == [
        (f"Case {completed.reference}", CaseStatus.COMPLETED, "system"),
        (f"Condition on case {completed.reference}", ConditionStatus.COMPLETE, "system"),
    ]
    assert AuditEvent.objects.count() == 1004 + 502
    assert chain_verify().intact


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restrictive_conditions_of_a_case_another_worker_holds_are_left_for_the_next_run(build_cases, agency):
    """What a second worker (or a run that crashed holding its locks) leaves: the locked case is
    skipped, and done by the next run, once."""
    from django.db import connections

    day = timezone.localdate()
    cases = build_cases(2, day)
    _conditions(cases, day, kind=ConditionKind.RESTRICTIVE, agency=agency)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM cases_case WHERE id = %s FOR UPDATE", [cases[1].pk])
        first = restrictive_conditions_end(today=day)
        other.rollback()
    finally:
        other.close()
    second = restrictive_conditions_end(today=day)
    third = restrictive_conditions_end(today=day)

    assert first == {"restrictive_conditions_met": 1, "cases_completed": 1}
    assert second == {"restrictive_conditions_met": 1, "cases_completed": 1}
    assert third == {"restrictive_conditions_met": 0, "cases_completed": 0}
    assert CaseEvent.objects.filter(code=EventCode.CONDITION_COMPLETED).count() == 2
    assert CaseEvent.objects.filter(code=EventCode.CASE_COMPLETED).count() == 2
    assert chain_verify().intact


def _prosecutions(build_cases, number, day, case_worker):
    cases = build_cases(number, day, status=CaseStatus.PROSECUTION_RESUMED)
    reviews = BreachReview.objects.bulk_create(
        BreachReview(case=case, opened_at=timezone.now(), opened_reason="Overdue", decision_due_on=day)
        for case in cases
    )
    return Prosecution.objects.bulk_create(
        Prosecution(
            case=case,
            breach_review=review,
            latest_proceedings_date=day + timedelta(days=60),
            victim_notification_due_on=day + timedelta(days=5) if n % 2 else None,
        )
        for n, (case, review) in enumerate(zip(cases, reviews, strict=True))
    )


def test_prosecutions_are_carried_out_in_the_same_queries_for_3_as_for_500(build_cases, case_worker, force):
    day = timezone.localdate()

    small_set = _prosecutions(build_cases, 3, day, case_worker)
    small, small_queries = _run(prosecutions_carry_out, day)
    _prosecutions(build_cases, 500, day, case_worker)
    large, large_queries = _run(prosecutions_carry_out, day)
    again, again_queries = _run(prosecutions_carry_out, day)

    assert (small, large, again) == (
        {"case_file_teams_notified": 3},
        {"case_file_teams_notified": 500},
        {"case_file_teams_notified": 0},
    )
    assert (small_queries, large_queries) == (PROSECUTION_QUERIES, PROSECUTION_QUERIES)
    assert again_queries == 3
    assert not Prosecution.objects.filter(case_file_team_notified_at=None).exists()
    told = Notification.objects.filter(kind=NotificationKind.PROSECUTION_RESUMED)
    assert told.count() == 2 * 503  # the force's inbox and the case worker, once each
    assert {n.recipient_id or n.recipient_organisation_id for n in told[:2]} <= {case_worker.pk, force.pk}
    with_victim = small_set[1]
    event = CaseEvent.objects.get(case_id=with_victim.case_id, code=EventCode.CASE_FILE_TEAM_NOTIFIED)
    assert event.summary == (
        "Case file team notified of the resumed prosecution; the victim is to be told by "
        f"{with_victim.victim_notification_due_on:%-d %B %Y}"
    )
    assert CaseEvent.objects.filter(code=EventCode.CASE_FILE_TEAM_NOTIFIED).count() == 503


# Savepoint, lock and read the conditions, flag them, the case workers, the partner agencies, two
# for the notifications (existing keys, insert returning the ids), release; and the schemes' lead
# times.
REMINDER_QUERIES = 9
# Savepoint, lock and read the reviews, flag them, the supervisors, the audit rows (lock the chain
# head; the rows copied in, not counted), the events, two for the notifications, release.
ESCALATION_QUERIES = 9


def test_reminders_go_in_the_same_queries_for_3_conditions_as_for_600(build_cases, agency):
    from conditions.jobs import condition_reminders_send

    day = timezone.localdate()

    def due_soon(number):
        cases = build_cases(number, day)
        _conditions(cases, day + timedelta(days=2), kind=ConditionKind.REHABILITATIVE, agency=agency)

    due_soon(3)
    small, small_queries = _run(condition_reminders_send, day)
    due_soon(600)
    large, large_queries = _run(condition_reminders_send, day)
    again, _ = _run(condition_reminders_send, day)

    assert (small, large, again) == ({"reminders": 3}, {"reminders": 600}, {"reminders": 0})
    assert (small_queries, large_queries) == (REMINDER_QUERIES, REMINDER_QUERIES)
    told = Notification.objects.filter(kind=NotificationKind.CONDITION_DUE)
    assert told.count() == 2 * 603  # the case worker and the partner agency, once each


def test_breach_reviews_escalate_in_the_same_queries_for_3_as_for_400(build_cases, supervisor):
    from conditions.jobs import breach_reviews_escalate

    day = timezone.localdate()
    ContentType.objects.get_for_model(BreachReview)

    def late(number):
        cases = build_cases(number, day, status=CaseStatus.BREACH_REVIEW)
        BreachReview.objects.bulk_create(
            BreachReview(
                case=case,
                opened_at=timezone.now(),
                opened_reason="Overdue",
                decision_due_on=day - timedelta(days=1),
            )
            for case in cases
        )

    late(3)
    small, small_queries = _run(breach_reviews_escalate, day)
    late(400)
    large, large_queries = _run(breach_reviews_escalate, day)
    again, _ = _run(breach_reviews_escalate, day)

    assert (small, large, again) == ({"escalated": 3}, {"escalated": 400}, {"escalated": 0})
    assert (small_queries, large_queries) == (ESCALATION_QUERIES, ESCALATION_QUERIES)
    assert CaseEvent.objects.filter(code=EventCode.BREACH_REVIEW_ESCALATED).count() == 403
    assert chain_verify().intact

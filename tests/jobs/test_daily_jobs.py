"""``manage.py run_daily_jobs --today``: on cases built through the real services, each job does exactly
what is due on that day, and running it again on the same day does nothing.

The cases are built today (the services date things by the clock); the jobs then run for a chosen day
about a month ahead, ``DAY``: the day a summary-only offence committed four months ago is 28 days from
its six-month limit. Every other date is set relative to ``DAY``.

The test of every job at once and the six-month-limit tests run on every kind of day (``every_day``);
the tests of one job each build the same cases and run once, to keep the suite quick."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.utils import timezone
from factories import COMMON_ASSAULT
from job_support import NOTHING_DONE, apology, at_ten, confirmation, fail, rehabilitative

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from cases.rules import latest_proceedings_date
from conditions.models import (
    BreachReview,
    BreachStatus,
    Caution,
    ConditionKind,
    ConditionStatus,
    Prosecution,
    ProsecutionMethod,
    ProsecutionOutcome,
)
from conditions.services import breach_review_decide, condition_progress, prosecution_update
from offenderhub.audit.models import AuditEvent
from offenderhub.core.models import JobRun
from offenderhub.core.workdays import is_working_day
from offenderhub.notifications.models import Notification, NotificationKind
from referrals.models import Attendance, Engagement, Referral
from referrals.services import appointment_record_outcome, referral_accept

pytestmark = pytest.mark.django_db


def _kind(kind):
    return Notification.objects.filter(kind=kind)


def _recipients(kind):
    """Who got notifications of ``kind``: users by email, organisations by name."""
    return sorted(
        n.recipient.email if n.recipient_id else n.recipient_organisation.name
        for n in _kind(kind).select_related("recipient", "recipient_organisation")
    )


@pytest.fixture
def offence_date():
    """A summary-only offence committed four months ago: its six-month limit is about two months away."""
    return timezone.localdate() - relativedelta(months=4)


@pytest.fixture
def day(offence_date):
    """The day the jobs run for: the first working day from 28 days before that offence's six-month
    limit (the partners' chases run on working days only)."""
    day = latest_proceedings_date(offence_date) - timedelta(days=28)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


@pytest.fixture
def seeded(
    day,
    offence_date,
    active_case_for,
    conditions_due,
    terms,
    force,
    auto_confirm_scheme,
    send_referral,
    book,
    case_worker,
    decision_maker,
    supervisor,
    partner_manager,
    practitioner,
):
    """One case for each thing a job must notice on ``day``, and one thing beside each it must not."""
    far = day + timedelta(days=40)
    cases = {}
    # A condition due in 5 days (within the scheme's 7-day lead): one reminder. The other is due in 40.
    cases["reminder"] = active_case_for(conditions=conditions_due(day + timedelta(days=5), far))
    # A condition due yesterday: overdue, a breach review opens.
    cases["overdue"] = active_case_for(conditions=conditions_due(day - timedelta(days=1), far))
    # A restrictive condition whose period ended yesterday with no breach recorded: met, not overdue.
    cases["restrictive"] = active_case_for(
        conditions=[
            conditions_due(far, far)[0],
            terms(
                kind=ConditionKind.RESTRICTIVE,
                wording="Not to enter the Red Lion public house",
                due_date=day - timedelta(days=1),
                responsible_organisation=force,
                owner=case_worker,
            ),
        ]
    )
    # A breach review opened today, decided by nobody: its decision is due in 10 days, long before DAY.
    cases["undecided"] = active_case_for(conditions=conditions_due(far, far))
    fail(rehabilitative(cases["undecided"]), case_worker)
    # A breach confirmed by the decision-maker; what follows is left to the prosecution-resumption job
    # (the task queued on commit never runs here: the test's transaction never commits).
    cases["confirmed"] = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(cases["confirmed"]), case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **confirmation([rehabilitative(cases["confirmed"])]),
    )
    # The same undecided review, on a scheme that confirms it automatically at the deadline.
    cases["auto"] = active_case_for(conditions=conditions_due(far, far))
    Case.objects.filter(pk=cases["auto"].pk).update(scheme=auto_confirm_scheme)
    fail(rehabilitative(cases["auto"]), case_worker)
    # A summary-only offence 28 days from its limit on DAY.
    cases["time_limit"] = active_case_for(
        offence=COMMON_ASSAULT, offence_date=offence_date, conditions=conditions_due(far, far)
    )
    # Referrals: one sent today (5 working days' service level, long passed by DAY), one sent the day
    # before DAY (not yet due).
    referrals = {
        "late": send_referral(cases["reminder"]),
        "recent": send_referral(cases["time_limit"]),
    }
    Referral.objects.filter(pk=referrals["recent"].pk).update(sent_at=at_ten(day - timedelta(days=1)))
    # An accepted referral with two past appointments: one with its outcome recorded, one without.
    cases["appointments"] = active_case_for(conditions=conditions_due(far, far))
    referrals["accepted"] = send_referral(cases["appointments"])
    referral_accept(referral_id=referrals["accepted"].pk, actor=partner_manager, practitioner=practitioner)
    today = timezone.localdate()
    missing = book(referrals["accepted"], today - timedelta(days=7))
    recorded = book(referrals["accepted"], today - timedelta(days=6))
    appointment_record_outcome(
        appointment_id=recorded.pk,
        actor=practitioner,
        attendance=Attendance.ATTENDED,
        summary="Talked through his drinking diary.",
        engagement=Engagement.GOOD,
    )
    return {"cases": cases, "referrals": referrals, "missing": missing, "recorded": recorded}


@pytest.mark.every_day
def test_daily_jobs_do_exactly_what_is_due_and_nothing_the_second_time(run_jobs, day, seeded):
    first = run_jobs(day)

    assert first == {
        "condition_reminders": {"reminders": 1},
        "overdue_conditions": {"overdue_conditions": 1, "breach_reviews_opened": 1},
        # A restrictive condition is not overdue at its end date: it has been met.
        "restrictive_conditions": {"restrictive_conditions_met": 1, "cases_completed": 0},
        # The undecided review is past its deadline; the one on the auto-confirm scheme was confirmed
        # first, so its supervisors are not asked about it.
        "breach_review_escalation": {"escalated": 1},
        # The automatic confirmation resumes its prosecution: the only one this run resumes.
        "breach_review_auto_confirm": {"confirmed_automatically": 1, "prosecutions_resumed": 1},
        # The case file team told of both: the decision-maker's confirmation and the automatic one.
        "prosecution_resumption": {"case_file_teams_notified": 2},
        "time_limit_warnings": {"time_limit_warnings": 1, "time_limits_passed": 0},
        "referral_chase": {"referrals_chased": 1},
        "appointment_outcomes": {"appointment_outcomes_chased": 1},
        # Every case is open: no record is due for retention review.
        "retention_review": {"retention_reviews_flagged": 0, "erasure_files_removed": 0},
        "subject_access_files": {
            "subject_access_exports_expired": 0,
            "subject_access_orphan_files_removed": 0,
        },
        "weekly_digest": {"digests": 0},
        "audit_verify": {"audit_chain_broken": 0},
    }
    assert run_jobs(day) == NOTHING_DONE
    runs = JobRun.objects.filter(today=day, trigger="command")
    assert runs.count() == 2 * len(NOTHING_DONE)
    assert set(runs.values_list("status", flat=True)) == {JobRun.Status.SUCCEEDED}
    assert {run.job: run.counts for run in runs.order_by("started_at", "id")[: len(first)]} == first


def test_a_reminder_goes_once_to_the_case_worker_and_the_partner_agency(
    run_jobs, day, seeded, case_worker, agency
):
    run_jobs(day, "condition_reminders")
    run_jobs(day + timedelta(days=1), "condition_reminders")

    reminded = rehabilitative(seeded["cases"]["reminder"])
    assert reminded.reminder_sent_at is not None
    assert apology(seeded["cases"]["reminder"]).reminder_sent_at is None
    assert _recipients(NotificationKind.CONDITION_DUE) == sorted([case_worker.email, agency.name])
    assert {n.case_reference for n in _kind(NotificationKind.CONDITION_DUE)} == {
        seeded["cases"]["reminder"].reference
    }


def test_an_overdue_condition_opens_one_breach_review_on_the_systems_authority(
    run_jobs, day, seeded, case_worker
):
    case = seeded["cases"]["overdue"]

    run_jobs(day, "overdue_conditions")
    run_jobs(day + timedelta(days=1), "overdue_conditions")

    [review] = BreachReview.objects.filter(case=case)
    assert review.status == BreachStatus.OPEN
    assert review.opened_by is None
    assert review.decision_due_on == day + timedelta(days=case.scheme.breach_decision_days)
    assert list(review.conditions.all()) == [rehabilitative(case)]
    assert rehabilitative(case).overdue_flagged_at is not None
    case.refresh_from_db()
    assert case.status == CaseStatus.BREACH_REVIEW
    [event] = CaseEvent.objects.filter(case=case, code=EventCode.BREACH_REVIEW_OPENED)
    assert (event.status_before, event.status_after) == (CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW)
    assert event.actor_id is None
    assert AuditEvent.objects.filter(object_id=str(review.pk), reason__contains="overdue").count() == 1
    [notification] = _kind(NotificationKind.BREACH_REVIEW_OPENED)
    assert notification.recipient == case_worker


def test_a_restrictive_condition_whose_period_ended_without_breach_is_met_not_overdue(run_jobs, day, seeded):
    case = seeded["cases"]["restrictive"]

    run_jobs(day, "overdue_conditions", "restrictive_conditions")
    run_jobs(day + timedelta(days=1), "overdue_conditions", "restrictive_conditions")

    restriction = case.conditions.get(kind=ConditionKind.RESTRICTIVE)
    assert restriction.status == ConditionStatus.COMPLETE
    assert restriction.overdue_flagged_at is None
    assert not BreachReview.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case, code=EventCode.CONDITION_COMPLETED).count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE  # the rehabilitative condition is still to do


def test_undecided_breach_reviews_escalate_to_the_supervisor_after_the_decision_date_only(
    run_jobs, seeded, supervisor
):
    review = BreachReview.objects.get(case=seeded["cases"]["undecided"])

    on_the_due_date = run_jobs(review.decision_due_on, "breach_review_escalation")
    the_day_after = run_jobs(review.decision_due_on + timedelta(days=1), "breach_review_escalation")
    again = run_jobs(review.decision_due_on + timedelta(days=2), "breach_review_escalation")

    assert on_the_due_date == {"breach_review_escalation": {"escalated": 0}}
    assert the_day_after == {"breach_review_escalation": {"escalated": 2}}  # with the auto-confirm one
    assert again == {"breach_review_escalation": {"escalated": 0}}
    review.refresh_from_db()
    assert review.escalated_at is not None
    assert review.status == BreachStatus.OPEN
    assert CaseEvent.objects.filter(case=review.case, code=EventCode.BREACH_REVIEW_ESCALATED).count() == 1
    assert _recipients(NotificationKind.BREACH_REVIEW_ESCALATED) == [supervisor.email] * 2


def test_a_confirmed_breach_has_the_case_file_team_and_case_worker_told_once(
    run_jobs, day, seeded, force, case_worker
):
    case = seeded["cases"]["confirmed"]
    prosecution = Prosecution.objects.get(case=case)
    assert prosecution.case_file_team_notified_at is None

    run_jobs(day, "prosecution_resumption")
    run_jobs(day, "prosecution_resumption")

    prosecution.refresh_from_db()
    assert prosecution.case_file_team_notified_at is not None
    notified = _kind(NotificationKind.PROSECUTION_RESUMED).filter(case_reference=case.reference)
    assert {(n.recipient_organisation_id, n.recipient_id) for n in notified} == {
        (force.pk, None),
        (None, case_worker.pk),
    }
    assert notified.count() == 2
    assert CaseEvent.objects.filter(case=case, code=EventCode.CASE_FILE_TEAM_NOTIFIED).count() == 1


def test_the_scheme_confirms_an_undecided_breach_at_its_deadline_with_the_reason_on_record(
    run_jobs, day, seeded
):
    auto, undecided = seeded["cases"]["auto"], seeded["cases"]["undecided"]

    run_jobs(day)

    review = BreachReview.objects.get(case=auto)
    assert review.status == BreachStatus.BREACH_CONFIRMED
    assert review.reasonable_excuse is False
    assert review.decided_by is None and review.decided_at is not None
    assert review.rationale.startswith("No reasonable excuse was given by the deadline of ")
    assert "confirmed automatically under the scheme's rules" in review.rationale
    assert list(review.breached_conditions.all()) == [rehabilitative(auto)]
    [event] = CaseEvent.objects.filter(case=auto, code=EventCode.BREACH_CONFIRMED)
    assert event.notes == review.rationale
    auto.refresh_from_db()
    assert auto.status == CaseStatus.PROSECUTION_RESUMED
    prosecution = Prosecution.objects.get(case=auto)
    assert prosecution.breach_review == review
    assert prosecution.case_file_team_notified_at is not None  # carried out in the same run
    assert Caution.objects.get(case=auto).ceased_on is not None
    assert apology(auto).status == ConditionStatus.WITHDRAWN
    assert rehabilitative(auto).status == ConditionStatus.BREACHED  # found breached (issue 16)
    # The other scheme leaves its undecided review to a person.
    assert BreachReview.objects.get(case=undecided).status == BreachStatus.OPEN
    assert not Prosecution.objects.filter(case=undecided).exists()


def test_a_referral_is_chased_after_its_service_level_and_an_appointment_without_outcome_flagged(
    run_jobs, day, seeded, case_worker, agency, practitioner
):
    referrals = seeded["referrals"]

    run_jobs(day, "referral_chase", "appointment_outcomes")

    late, recent = (Referral.objects.get(pk=referrals[name].pk) for name in ("late", "recent"))
    assert late.chased_at is not None
    assert recent.chased_at is None
    assert _recipients(NotificationKind.REFERRAL_CHASE) == sorted([case_worker.email, agency.name])
    seeded["missing"].refresh_from_db()
    seeded["recorded"].refresh_from_db()
    assert seeded["missing"].outcome_chased_at is not None
    assert seeded["recorded"].outcome_chased_at is None
    [flag] = _kind(NotificationKind.APPOINTMENT_OUTCOME_MISSING)
    assert flag.recipient == practitioner
    assert flag.url == f"/referrals/appointments/{seeded['missing'].pk}/outcome/"


# --- The six-month limit ------------------------------------------------------------------------------
@pytest.fixture
def limit(offence_date):
    return latest_proceedings_date(offence_date)


@pytest.fixture
def summary_case(active_case_for, conditions_due, offence_date, limit):
    far = limit + timedelta(days=10)
    return active_case_for(
        offence=COMMON_ASSAULT, offence_date=offence_date, conditions=conditions_due(far, far)
    )


def _warnings(run_jobs, today):
    return run_jobs(today, "time_limit_warnings")["time_limit_warnings"]


@pytest.mark.every_day
def test_summary_only_time_limit_warns_at_28_and_7_days_each_once_then_says_it_has_passed(
    run_jobs, summary_case, limit, case_worker, supervisor
):
    before = timedelta(days=1)
    assert _warnings(run_jobs, limit - timedelta(days=29)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit - timedelta(days=28)) == {
        "time_limit_warnings": 1,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit - timedelta(days=28)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit - timedelta(days=8)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit - timedelta(days=7)) == {
        "time_limit_warnings": 1,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit) == {"time_limit_warnings": 0, "time_limits_passed": 0}
    assert _warnings(run_jobs, limit + before) == {"time_limit_warnings": 0, "time_limits_passed": 1}
    assert _warnings(run_jobs, limit + 2 * before) == {"time_limit_warnings": 0, "time_limits_passed": 0}

    keys = sorted(
        n.dedupe_key.rsplit(":", 1)[0]
        for n in _kind(NotificationKind.TIME_LIMIT_WARNING).filter(recipient=case_worker)
    )
    assert keys == [f"time-limit:{summary_case.pk}:{lead}" for lead in ("28", "7", "passed")]
    assert _kind(NotificationKind.TIME_LIMIT_WARNING).filter(recipient=supervisor).count() == 3


def test_no_time_limit_warning_for_an_either_way_offence_tried_summarily_for_its_value(
    run_jobs, active_case_for, conditions_due, offence_date, limit
):
    """Criminal damage under £5,000 is tried summarily for its value (its penalty is summary-only's)
    but is either way in law: the six-month limit does not apply to it (issue 14)."""
    far = limit + timedelta(days=10)
    active_case_for(
        offence="Criminal damage (under £5,000)",
        offence_date=offence_date,
        conditions=conditions_due(far, far),
    )

    assert _warnings(run_jobs, limit - timedelta(days=7)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit + timedelta(days=1)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }


@pytest.mark.every_day
def test_time_limit_lead_times_come_from_settings(run_jobs, summary_case, limit, settings):
    settings.TIME_LIMIT_WARNING_DAYS = [14]

    assert _warnings(run_jobs, limit - timedelta(days=28)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }
    assert _warnings(run_jobs, limit - timedelta(days=14)) == {
        "time_limit_warnings": 1,
        "time_limits_passed": 0,
    }


@pytest.mark.every_day
def test_a_completed_case_gets_no_time_limit_warning(run_jobs, summary_case, limit, case_worker):
    for condition in summary_case.conditions.all():
        condition_progress(condition_id=condition.pk, actor=case_worker, to=ConditionStatus.COMPLETE)
    summary_case.refresh_from_db()
    assert summary_case.status == CaseStatus.COMPLETED

    assert _warnings(run_jobs, limit - timedelta(days=7)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }


@pytest.mark.every_day
def test_a_resumed_prosecution_not_yet_started_is_still_warned_of_its_time_limit(
    run_jobs, summary_case, limit, case_worker, decision_maker
):
    """The limit is on starting proceedings: a resumed prosecution with no charge yet is exactly the case
    that must not miss it."""
    review = fail(rehabilitative(summary_case), case_worker)
    breach_review_decide(
        review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(summary_case)])
    )
    prosecution = Prosecution.objects.get(case=summary_case)
    assert prosecution.proceedings_started_on is None

    assert _warnings(run_jobs, limit - timedelta(days=7)) == {
        "time_limit_warnings": 1,
        "time_limits_passed": 0,
    }


@pytest.mark.every_day
def test_no_time_limit_warning_once_the_resumed_prosecution_has_started(
    run_jobs, summary_case, limit, case_worker, decision_maker
):
    review = fail(rehabilitative(summary_case), case_worker)
    breach_review_decide(
        review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(summary_case)])
    )
    prosecution_update(
        case_id=summary_case.pk,
        actor=case_worker,
        method=ProsecutionMethod.CHARGE,
        proceedings_started_on=timezone.localdate(),
        court="Fenshire Magistrates' Court",
        first_hearing_on=None,
        outcome=ProsecutionOutcome.PENDING,
        outcome_on=None,
    )

    assert _warnings(run_jobs, limit - timedelta(days=7)) == {
        "time_limit_warnings": 0,
        "time_limits_passed": 0,
    }


# --- The prosecution-resumption task, queued on commit ---------------------------------------------------
@pytest.mark.every_day
def test_confirming_a_breach_queues_the_prosecution_resumption_on_commit(
    active_case_for,
    conditions_due,
    case_worker,
    decision_maker,
    force,
    eager_worker,
    django_capture_on_commit_callbacks,
    run_jobs,
):
    far = timezone.localdate() + timedelta(days=40)
    case = active_case_for(conditions=conditions_due(far, far))
    review = fail(rehabilitative(case), case_worker)

    with django_capture_on_commit_callbacks(execute=True):
        breach_review_decide(
            review_id=review.pk, actor=decision_maker, **confirmation([rehabilitative(case)])
        )

    prosecution = Prosecution.objects.get(case=case)
    assert prosecution.case_file_team_notified_at is not None
    assert _kind(NotificationKind.PROSECUTION_RESUMED).filter(recipient_organisation=force).count() == 1
    # The daily job finds nothing left to do.
    assert run_jobs(timezone.localdate(), "prosecution_resumption") == {
        "prosecution_resumption": {"case_file_teams_notified": 0}
    }


# --- The command itself ----------------------------------------------------------------------------------
def test_run_daily_jobs_runs_only_the_jobs_asked_for(run_jobs, day):
    result = run_jobs(day, "referral_chase", "weekly_digest")

    assert list(result) == ["referral_chase", "weekly_digest"]
    assert sorted(JobRun.objects.values_list("job", flat=True)) == ["referral_chase", "weekly_digest"]


def test_run_daily_jobs_refuses_a_date_it_cannot_read(db):
    with pytest.raises(CommandError, match="--today must be a date"):
        call_command("run_daily_jobs", "--today", "23/11/2026")

    assert not JobRun.objects.exists()

"""The daily retention job (``retention_review``): which records fall due, the digest to the force's
administrators and supervisors, and that a second run, a second worker or a run after a crash flags
nothing twice."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import UserFactory
from retention_support import make_person_held, make_retained

from cases.models import CaseStatus
from offenderhub.accounts.models import Role
from offenderhub.audit.chain import chain_verify
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.core.models import JobRun
from offenderhub.notifications.models import Notification, NotificationKind
from retention import jobs
from retention.jobs import retention_reviews_flag
from retention.models import RetentionReview

pytestmark = pytest.mark.django_db

# Six years after the cases' end (10 March 2020) is 10 March 2026: the test's "today" is long after.
DAY = date(2027, 6, 16)


def _flagged_people():
    return set(RetentionReview.objects.values_list("person_id", flat=True))


def test_a_person_whose_cases_all_ended_six_years_ago_is_flagged_and_nobody_else(ended_case, settings):
    due = ended_case(ended_on=date(2021, 6, 16)).person  # six years ago today: due today
    recent = ended_case(ended_on=date(2021, 6, 17)).person  # due tomorrow
    both = ended_case(ended_on=date(2018, 1, 1)).person
    ended_case(both, ended_on=date(2024, 1, 1))  # the later case decides: due in 2030
    still_open = ended_case(ended_on=date(2018, 1, 1)).person
    ended_case(still_open, status=CaseStatus.ACTIVE, ended_on=date(2018, 2, 1))
    prosecution_pending = ended_case(status=CaseStatus.PROSECUTION_RESUMED, ended_on=date(2018, 1, 1)).person
    withdrawn = ended_case(status=CaseStatus.WITHDRAWN, ended_on=date(2019, 1, 1)).person

    result = retention_reviews_flag(today=DAY)

    assert result == {"retention_reviews_flagged": 2, "erasure_files_removed": 0}
    assert _flagged_people() == {due.pk, withdrawn.pk}
    assert recent.pk not in _flagged_people() and both.pk not in _flagged_people()
    assert still_open.pk not in _flagged_people() and prosecution_pending.pk not in _flagged_people()
    review = RetentionReview.objects.get(person=due)
    assert (review.status, review.due_on, review.force_id) == ("due", DAY, due.force_id)


def test_each_way_a_case_ends_has_its_own_period_from_the_settings(ended_case, settings):
    settings.RETENTION_REVIEW_YEARS = {**settings.RETENTION_REVIEW_YEARS, "withdrawn": 3, "completed": 10}
    withdrawn = ended_case(status=CaseStatus.WITHDRAWN, ended_on=date(2024, 6, 1)).person
    completed = ended_case(ended_on=date(2018, 6, 1)).person

    retention_reviews_flag(today=DAY)

    assert _flagged_people() == {withdrawn.pk}
    retention_reviews_flag(today=date(2028, 6, 1))
    assert _flagged_people() == {withdrawn.pk, completed.pk}


def test_a_legal_hold_on_the_person_or_one_of_their_cases_keeps_them_out_of_review(ended_case, supervisor):
    held_person = ended_case().person
    make_person_held(supervisor, person=held_person)
    held_case = ended_case()
    make_person_held(supervisor, case=held_case)
    free = ended_case().person

    retention_reviews_flag(today=DAY)

    assert _flagged_people() == {free.pk}


def test_a_record_kept_until_a_date_is_flagged_again_on_that_date_only(ended_case, supervisor):
    person = ended_case().person
    retention_reviews_flag(today=DAY)
    kept = make_retained(supervisor, RetentionReview.objects.get(person=person), until=date(2029, 1, 1))

    assert retention_reviews_flag(today=date(2028, 12, 31))["retention_reviews_flagged"] == 0
    assert retention_reviews_flag(today=date(2029, 1, 1))["retention_reviews_flagged"] == 1
    again = RetentionReview.objects.get(person=person, status="due")
    assert again.pk != kept.pk and again.due_on == date(2029, 1, 1)


def test_the_force_administrators_and_supervisors_get_one_digest_and_the_rows_are_audited(
    ended_case, supervisor, administrator, case_worker, outsider_supervisor
):
    people = [ended_case().person for _ in range(3)]

    retention_reviews_flag(today=DAY)

    digests = Notification.objects.filter(kind=NotificationKind.RETENTION_REVIEW_DUE)
    assert sorted(n.recipient.email for n in digests) == sorted([supervisor.email, administrator.email])
    assert digests[0].subject == "3 records due for retention review"
    assert digests[0].url == "/retention/" and digests[0].case_reference == ""
    for person in people:  # the email says how many, never who
        assert person.family_name not in digests[0].body
    audited = AuditEvent.objects.filter(action=AuditAction.CREATED, reason=jobs.DUE_REASON)
    assert audited.count() == 3 and {a.actor_label for a in audited} == {"system"}
    assert chain_verify().intact


def test_run_daily_jobs_flags_records_for_review_years_later_and_nothing_new_the_second_time(
    ended_case, run_jobs, supervisor
):
    """What issue 15 must show: ``run_daily_jobs --today <years after>`` flags records for review; run
    again for the same date, it flags nothing new."""
    people = [ended_case(ended_on=date(2027, 6, 1)).person for _ in range(2)]
    years_later = date(2034, 9, 1)

    first = run_jobs(years_later, "retention_review")
    second = run_jobs(years_later, "retention_review")

    assert first == {"retention_review": {"retention_reviews_flagged": 2, "erasure_files_removed": 0}}
    assert second == {"retention_review": {"retention_reviews_flagged": 0, "erasure_files_removed": 0}}
    assert _flagged_people() == {p.pk for p in people}
    assert RetentionReview.objects.count() == 2
    assert Notification.objects.filter(kind=NotificationKind.RETENTION_REVIEW_DUE).count() == 1
    runs = JobRun.objects.filter(job="retention_review", today=years_later)
    assert [r.status for r in runs] == ["succeeded", "succeeded"]


def test_a_run_that_fails_half_way_keeps_the_forces_it_finished_and_the_next_run_does_the_rest(
    ended_case, other_force, supervisor, outsider_supervisor, run_jobs, monkeypatch
):
    """Two forces: the run fails while telling the second (after flagging its records, in the same
    transaction), so the first force's reviews and digest stay and the second's are rolled back whole.
    The next run flags the second force's, once; a third flags nothing."""
    ours = ended_case().person
    theirs = ended_case(of_force=other_force).person
    notify = jobs.notify

    def notify_failing_for_the_other_force(**kwargs):
        if outsider_supervisor in kwargs["users"]:
            raise ConnectionError("The database went away")
        return notify(**kwargs)

    monkeypatch.setattr(jobs, "notify", notify_failing_for_the_other_force)
    with pytest.raises(Exception, match="retention_review"):
        run_jobs(DAY, "retention_review")

    assert _flagged_people() == {ours.pk}
    run = JobRun.objects.get(job="retention_review")
    assert run.status == JobRun.Status.FAILED and "The database went away" in run.error

    monkeypatch.setattr(jobs, "notify", notify)
    assert run_jobs(DAY, "retention_review")["retention_review"]["retention_reviews_flagged"] == 1
    assert run_jobs(DAY, "retention_review")["retention_review"]["retention_reviews_flagged"] == 0
    assert _flagged_people() == {ours.pk, theirs.pk}
    assert RetentionReview.objects.count() == 2
    digests = Notification.objects.filter(kind=NotificationKind.RETENTION_REVIEW_DUE)
    assert sorted(n.recipient_id for n in digests) == sorted([supervisor.pk, outsider_supervisor.pk])
    assert chain_verify().intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_person_another_worker_holds_is_left_for_the_next_run(ended_case):
    """What a second worker (or a run that crashed holding its locks) leaves: the locked person is
    skipped, and flagged by the next run, once."""
    from django.db import connections

    held, free = ended_case().person, ended_case().person
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM cases_person WHERE id = %s FOR UPDATE", [held.pk])
        first = retention_reviews_flag(today=DAY)
        other.rollback()
    finally:
        other.close()

    assert first["retention_reviews_flagged"] == 1 and _flagged_people() == {free.pk}
    assert retention_reviews_flag(today=DAY)["retention_reviews_flagged"] == 1
    assert retention_reviews_flag(today=DAY)["retention_reviews_flagged"] == 0
    assert _flagged_people() == {held.pk, free.pk}


@pytest.mark.postgres
def test_the_job_sends_the_same_queries_for_2_people_as_for_40(ended_case, force, supervisor):
    def run(day):
        with CaptureQueriesContext(connection) as queries:
            result = retention_reviews_flag(today=day)
        return result["retention_reviews_flagged"], len(queries)

    for _ in range(2):
        ended_case(ended_on=date(2020, 1, 1))
    small = run(DAY)
    for _ in range(40):
        ended_case(ended_on=date(2020, 1, 2))
    UserFactory(organisation=force, roles=[Role.ADMINISTRATOR])
    large = run(DAY + timedelta(days=1))

    assert (small[0], large[0]) == (2, 40)
    assert small[1] == large[1]


# --- People without a case -------------------------------------------------------------------------------


def at_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def _no_case(force, case_worker, recorded_on, **fields):
    from factories import PersonFactory

    return PersonFactory(force=force, created_by=case_worker, created_at=at_noon(recorded_on), **fields)


def test_a_person_recorded_without_a_case_is_flagged_six_years_after_they_were_recorded(force, case_worker):
    """Before, a person never given a case (or whose cases were all deleted) was never reviewed: their
    names and contact details were kept for ever."""
    due = _no_case(force, case_worker, date(2021, 6, 16))
    not_yet = _no_case(force, case_worker, date(2021, 6, 17))

    assert retention_reviews_flag(today=DAY)["retention_reviews_flagged"] == 1
    assert _flagged_people() == {due.pk}
    assert retention_reviews_flag(today=DAY)["retention_reviews_flagged"] == 0
    assert retention_reviews_flag(today=DAY + timedelta(days=1))["retention_reviews_flagged"] == 1
    assert _flagged_people() == {due.pk, not_yet.pk}


def test_the_period_for_a_person_without_a_case_is_a_setting(force, case_worker, settings):
    settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE = 2
    person = _no_case(force, case_worker, date(2025, 6, 1))

    retention_reviews_flag(today=DAY)

    assert _flagged_people() == {person.pk}


def test_a_person_without_a_case_is_reviewed_from_the_last_thing_done_to_their_record(
    force, case_worker, supervisor
):
    from cases.models import Offence, PersonChange, PersonMerge
    from reporting.models import OutcomeType, ReoffendingImport, SubsequentOffence

    corrected, merged_into, police_record, untouched = (
        _no_case(force, case_worker, date(2019, 1, 1)) for _ in range(4)
    )
    PersonChange.objects.create(
        person=corrected,
        field="phone",
        old_value="",
        new_value="07700 900123",
        reason="Rang in",
        changed_by=case_worker,
        changed_at=at_noon(date(2023, 1, 1)),
    )
    other = _no_case(force, case_worker, date(2019, 1, 1))
    PersonMerge.objects.create(
        force=force,
        kept=merged_into,
        merged=other,
        reason="One person",
        merged_by=supervisor,
        merged_at=at_noon(date(2022, 1, 1)),
    )
    other.merged_into = merged_into
    other.save(update_fields=["merged_into"])
    source = ReoffendingImport.objects.create(
        force=force,
        filename="x.csv",
        sha256="0" * 64,
        rows_total=1,
        rows_added=1,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
        imported_at=at_noon(date(2024, 1, 1)),
    )
    SubsequentOffence.objects.create(
        person=police_record,
        offence=Offence.objects.first(),
        offence_date=date(2018, 5, 1),
        outcome_type=OutcomeType.CAUTION,
        outcome_date=date(2018, 6, 1),
        source=source,
    )

    retention_reviews_flag(today=DAY)

    # The record merged into another is reviewed (and erased) with it, never on its own.
    assert _flagged_people() == {untouched.pk}
    retention_reviews_flag(today=date(2028, 1, 1))
    assert _flagged_people() == {untouched.pk, merged_into.pk}
    retention_reviews_flag(today=date(2030, 1, 1))
    assert _flagged_people() == {untouched.pk, merged_into.pk, corrected.pk, police_record.pk}


def test_a_legal_hold_keeps_a_person_without_a_case_out_of_review(force, case_worker, supervisor):
    held = _no_case(force, case_worker, date(2019, 1, 1))
    make_person_held(supervisor, person=held)

    retention_reviews_flag(today=DAY)

    assert _flagged_people() == set()

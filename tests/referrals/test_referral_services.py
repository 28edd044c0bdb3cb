"""The referral services: each change of state, the case timeline entry attributed to whoever made it
(the partner agency for the partner's work), the audit row, and who is notified (STYLE.md, Tests)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from factories import UserFactory
from referral_support import DESIRED_OUTCOMES, partner_condition

from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus
from cases.services import CaseError
from conditions.models import BreachReview, ConditionStatus
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.notifications.models import Notification, NotificationKind
from referrals.models import (
    Appointment,
    Assignment,
    Attendance,
    DesiredOutcome,
    EndReport,
    NonAttendance,
    Referral,
    ReferralNote,
    ReferralStatus,
    RescheduleRequester,
)
from referrals.services import (
    appointment_record_outcome,
    appointment_reschedule,
    referral_accept,
    referral_assign,
    referral_decline,
    referral_note_add,
    referral_report_submit,
    referral_withdraw,
)


def _events(referral, code):
    return list(
        CaseEvent.objects.filter(case_id=referral.case_id, code=code, details__referral=referral.pk).order_by(
            "id"
        )
    )


def _audit(obj, action=None):
    rows = AuditEvent.objects.for_record(obj)
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("id"))


def _status_changes(referral):
    """The referral's status moves as the audit log records them, oldest first."""
    return [a.changes["status"] for a in _audit(referral, AuditAction.CHANGED) if "status" in a.changes]


def _notifications(kind):
    return list(Notification.objects.filter(kind=kind).order_by("id"))


def _attended(appointment, actor, **overrides):
    kwargs = {
        "attendance": Attendance.ATTENDED,
        "summary": "Talked through a typical weekend and the triggers for drinking.",
        "engagement": "good",
    }
    kwargs.update(overrides)
    return appointment_record_outcome(appointment_id=appointment.pk, actor=actor, **kwargs)


def _missed(appointment, actor, reason=NonAttendance.UNACCEPTABLE):
    return appointment_record_outcome(
        appointment_id=appointment.pk,
        actor=actor,
        attendance=Attendance.DID_NOT_ATTEND,
        non_attendance=reason,
        non_attendance_notes="Said he forgot; no call beforehand.",
    )


def _report(referral, actor, result=EndReport.Result.COMPLETED, rating=DesiredOutcome.Result.ACHIEVED):
    return referral_report_submit(
        referral_id=referral.pk,
        actor=actor,
        result=result,
        summary="Attended every session and set a drinking goal.",
        outcomes={o.pk: (rating, "Seen in the sessions.") for o in referral.outcomes.all()},
    )


# --- Sending ---------------------------------------------------------------------------------------
def test_referral_send_records_the_referral_with_its_desired_outcomes(active_case, send_referral, agency):
    referral = send_referral(active_case)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    assert referral.organisation == agency
    assert referral.condition == partner_condition(active_case)
    assert referral.due_date == partner_condition(active_case).due_date
    assert [o.text for o in referral.outcomes.all()] == DESIRED_OUTCOMES
    assert referral.practitioner is None


def test_referral_send_writes_the_timeline_and_a_disclosure_to_the_agency(
    active_case, send_referral, case_worker, force, agency
):
    referral = send_referral(active_case)

    [event] = _events(referral, EventCode.REFERRAL_SENT)
    assert event.actor == case_worker
    assert event.actor_organisation == force
    assert agency.name in event.summary
    [disclosure] = _audit(referral, AuditAction.DISCLOSED)
    assert disclosure.recipient == str(agency)
    assert disclosure.actor == case_worker
    assert disclosure.owner_organisation == force


def test_referral_sent_goes_to_the_agencys_shared_inbox(active_case, send_referral, agency):
    referral = send_referral(active_case)

    [notification] = _notifications(NotificationKind.REFERRAL_SENT)
    assert notification.recipient_organisation == agency
    assert notification.recipient is None
    assert notification.url == reverse("referrals:detail", args=[referral.pk])
    assert notification.case_reference == active_case.reference


def test_referral_sent_email_leaves_on_commit_with_a_link_and_no_case_details(
    active_case, send_referral, agency, eager_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = send_referral(active_case)

    [email] = mail.outbox
    assert email.to == [agency.email]
    assert active_case.reference in email.body
    assert reverse("referrals:detail", args=[referral.pk]) in email.body
    for detail in ("Whitmore", "Daniel", "Binge drinking", "assault"):
        assert detail not in email.subject
        assert detail not in email.body


def test_second_open_referral_for_the_same_condition_is_refused(referral, send_referral, active_case):
    with pytest.raises(ValidationError) as refused:
        send_referral(active_case)

    assert "condition" in refused.value.message_dict
    assert Referral.objects.filter(case=active_case).count() == 1
    assert len(_notifications(NotificationKind.REFERRAL_SENT)) == 1


def test_condition_can_be_referred_again_once_the_referral_is_declined(
    referral, send_referral, active_case, partner_manager
):
    referral_decline(referral_id=referral.pk, actor=partner_manager, reason="no_capacity", notes="Full.")

    again = send_referral(active_case)

    assert again.pk != referral.pk
    assert again.status == ReferralStatus.SENT


def test_referral_for_a_need_has_no_condition_and_its_report_changes_no_condition(
    active_case, send_referral, partner_manager, practitioner
):
    referral = send_referral(active_case, condition=None)
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    _report(referral, practitioner)

    referral.refresh_from_db()
    assert referral.condition is None
    assert referral.status == ReferralStatus.COMPLETED
    assert partner_condition(active_case).status == ConditionStatus.PENDING


def test_condition_is_referred_only_to_the_agency_that_delivers_it(active_case, send_referral, other_service):
    with pytest.raises(ValidationError) as refused:
        send_referral(active_case, service=other_service)

    assert "service" in refused.value.message_dict
    assert not Referral.objects.exists()


def test_referral_is_due_no_later_than_its_condition(active_case, send_referral):
    condition = partner_condition(active_case)

    with pytest.raises(ValidationError) as refused:
        send_referral(active_case, due_date=condition.due_date + timedelta(days=1))

    assert "due_date" in refused.value.message_dict


def test_partner_staff_cannot_send_referrals(active_case, send_referral, partner_manager):
    with pytest.raises(CaseError):
        send_referral(active_case, actor=partner_manager)

    assert not Referral.objects.exists()


def test_another_forces_case_worker_cannot_refer_the_case(active_case, send_referral, other_force):
    outsider = UserFactory(organisation=other_force, roles=[Role.CASE_WORKER])

    with pytest.raises(CaseError, match="does not exist"):
        send_referral(active_case, actor=outsider)


# --- Accepting and assigning -----------------------------------------------------------------------
def test_referral_accept_assigns_the_practitioner(referral, partner_manager, practitioner):
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.accepted_by == partner_manager
    assert referral.accepted_at is not None
    assert referral.practitioner == practitioner
    [assignment] = Assignment.objects.filter(referral=referral)
    assert (assignment.practitioner, assignment.assigned_by) == (practitioner, partner_manager)


def test_referral_accept_writes_timeline_attributed_to_the_partner_and_an_audit_row(
    referral, partner_manager, practitioner, agency, force
):
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    [accepted] = _events(referral, EventCode.REFERRAL_ACCEPTED)
    assert accepted.actor == partner_manager
    assert accepted.actor_organisation == agency
    assert (accepted.status_before, accepted.status_after) == ("sent", "accepted")
    [assigned] = _events(referral, EventCode.REFERRAL_ASSIGNED)
    assert assigned.actor_organisation == agency
    assert practitioner.full_name in assigned.summary
    [changed] = [a for a in _audit(referral, AuditAction.CHANGED) if "status" in a.changes]
    assert changed.changes == {"status": ["sent", "accepted"]}
    assert changed.actor == partner_manager
    assert changed.actor_organisation == agency
    assert changed.owner_organisation == force


def test_assigned_practitioner_is_notified(referral, partner_manager, practitioner, active_case):
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    [notification] = _notifications(NotificationKind.REFERRAL_ASSIGNED)
    assert notification.recipient == practitioner
    assert notification.case_reference == active_case.reference


def test_accepting_twice_is_harmless(referral, partner_manager, practitioner):
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
    audit_rows = len(_audit(referral))
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert Assignment.objects.filter(referral=referral).count() == 1
    assert len(_events(referral, EventCode.REFERRAL_ACCEPTED)) == 1
    assert len(_events(referral, EventCode.REFERRAL_ASSIGNED)) == 1
    assert len(_audit(referral)) == audit_rows
    assert len(_notifications(NotificationKind.REFERRAL_ASSIGNED)) == 1


def test_practitioner_cannot_accept(referral, practitioner):
    with pytest.raises(CaseError):
        referral_accept(referral_id=referral.pk, actor=practitioner, practitioner=practitioner)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_another_agencys_manager_is_told_the_referral_does_not_exist(
    referral, other_partner_manager, other_practitioner
):
    with pytest.raises(CaseError, match="does not exist"):
        referral_accept(referral_id=referral.pk, actor=other_partner_manager, practitioner=other_practitioner)


def test_accept_refuses_a_practitioner_of_another_agency(referral, partner_manager, other_practitioner):
    with pytest.raises(ValidationError) as refused:
        referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=other_practitioner)

    assert "practitioner" in refused.value.message_dict
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_referral_assign_moves_it_and_keeps_the_history(
    accepted_referral, partner_manager, practitioner, colleague_practitioner, agency
):
    referral_assign(
        referral_id=accepted_referral.pk,
        actor=partner_manager,
        practitioner=colleague_practitioner,
        reason="Jamie is on leave.",
    )

    accepted_referral.refresh_from_db()
    assert accepted_referral.practitioner == colleague_practitioner
    assert [a.practitioner for a in Assignment.objects.filter(referral=accepted_referral)] == [
        colleague_practitioner,
        practitioner,
    ]
    last = _events(accepted_referral, EventCode.REFERRAL_ASSIGNED)[-1]
    assert last.actor_organisation == agency
    assert f"was {practitioner.full_name}" in last.summary
    assert last.notes == "Jamie is on leave."
    [_, notification] = _notifications(NotificationKind.REFERRAL_ASSIGNED)
    assert notification.recipient == colleague_practitioner


def test_referral_assign_writes_an_audit_row(accepted_referral, partner_manager, colleague_practitioner):
    before = len(_audit(accepted_referral))

    referral_assign(
        referral_id=accepted_referral.pk, actor=partner_manager, practitioner=colleague_practitioner
    )

    assert len(_audit(accepted_referral)) == before + 1
    assert _audit(accepted_referral)[-1].actor == partner_manager


def test_assigning_the_same_practitioner_again_changes_nothing(
    accepted_referral, partner_manager, practitioner
):
    referral_assign(referral_id=accepted_referral.pk, actor=partner_manager, practitioner=practitioner)

    assert Assignment.objects.filter(referral=accepted_referral).count() == 1
    assert len(_events(accepted_referral, EventCode.REFERRAL_ASSIGNED)) == 1


def test_practitioner_cannot_reassign(accepted_referral, practitioner, colleague_practitioner):
    with pytest.raises(CaseError):
        referral_assign(
            referral_id=accepted_referral.pk, actor=practitioner, practitioner=colleague_practitioner
        )

    accepted_referral.refresh_from_db()
    assert accepted_referral.practitioner == practitioner


# --- Declining and withdrawing ----------------------------------------------------------------------
def test_referral_decline_records_the_reason_and_tells_the_case_worker(
    referral, partner_manager, agency, case_worker
):
    referral_decline(
        referral_id=referral.pk, actor=partner_manager, reason="no_capacity", notes="Waiting list is full."
    )

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == "no_capacity"
    assert referral.closing_notes == "Waiting list is full."
    assert referral.closed_at is not None
    [event] = _events(referral, EventCode.REFERRAL_DECLINED)
    assert event.actor_organisation == agency
    assert (event.status_before, event.status_after) == ("sent", "declined")
    assert _status_changes(referral) == [["sent", "declined"]]
    [notification] = _notifications(NotificationKind.REFERRAL_DECLINED)
    assert notification.recipient == case_worker


def test_declining_twice_is_harmless(referral, partner_manager):
    for _ in range(2):
        referral_decline(referral_id=referral.pk, actor=partner_manager, reason="no_capacity", notes="Full.")

    assert len(_events(referral, EventCode.REFERRAL_DECLINED)) == 1
    assert len(_notifications(NotificationKind.REFERRAL_DECLINED)) == 1


def test_decline_needs_a_reason_from_the_list_and_an_explanation(referral, partner_manager):
    with pytest.raises(ValidationError) as refused:
        referral_decline(referral_id=referral.pk, actor=partner_manager, reason="bored", notes=" ")

    assert set(refused.value.message_dict) == {"reason", "notes"}
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_practitioner_cannot_decline(accepted_referral, practitioner):
    with pytest.raises(CaseError):
        referral_decline(referral_id=accepted_referral.pk, actor=practitioner, reason="risk", notes="No.")


def test_referral_withdraw_by_the_case_worker_tells_the_agency(accepted_referral, case_worker, force, agency):
    referral_withdraw(
        referral_id=accepted_referral.pk, actor=case_worker, reason="wrong_service", notes="Needs housing."
    )

    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.WITHDRAWN
    assert accepted_referral.withdraw_reason == "wrong_service"
    [event] = _events(accepted_referral, EventCode.REFERRAL_WITHDRAWN)
    assert event.actor_organisation == force
    assert _status_changes(accepted_referral)[-1] == ["accepted", "withdrawn"]
    [notification] = Notification.objects.filter(recipient_organisation=agency).exclude(
        kind=NotificationKind.REFERRAL_SENT
    )
    assert notification.url == reverse("referrals:detail", args=[accepted_referral.pk])


def test_partner_cannot_withdraw(accepted_referral, partner_manager):
    with pytest.raises(CaseError):
        referral_withdraw(referral_id=accepted_referral.pk, actor=partner_manager, reason="other")


# --- Appointments -----------------------------------------------------------------------------------
def test_appointment_book_records_it_on_the_timeline_as_the_partners(
    accepted_referral, book, practitioner, agency
):
    appointment = book(accepted_referral, days_ago=-3)

    assert appointment.referral == accepted_referral
    assert appointment.created_by == practitioner
    [event] = _events(accepted_referral, EventCode.APPOINTMENT_BOOKED)
    assert event.actor == practitioner
    assert event.actor_organisation == agency
    assert event.details["appointment"] == appointment.pk


def test_appointment_book_writes_an_audit_row(accepted_referral, book, practitioner):
    before = AuditEvent.objects.filter(actor=practitioner).count()

    book(accepted_referral, days_ago=-3)

    assert AuditEvent.objects.filter(actor=practitioner).count() == before + 1


def test_appointments_are_booked_only_on_accepted_referrals(referral, book, partner_manager):
    with pytest.raises(CaseError):
        book(referral, actor=partner_manager)

    assert not Appointment.objects.exists()


def test_police_do_not_book_the_partners_appointments(accepted_referral, book, case_worker):
    with pytest.raises(CaseError):
        book(accepted_referral, actor=case_worker)


def test_appointment_reschedule_keeps_the_old_one_with_who_asked_and_why(
    accepted_referral, book, practitioner, agency
):
    old = book(accepted_referral, days_ago=-2)
    new_time = old.starts_at + timedelta(days=7)

    new = appointment_reschedule(
        appointment_id=old.pk,
        actor=practitioner,
        starts_at=new_time,
        requested_by=RescheduleRequester.PERSON,
        reason="Starts a new job that week.",
    )

    old.refresh_from_db()
    assert old.rescheduled_to == new
    assert old.reschedule_requested_by == RescheduleRequester.PERSON
    assert old.reschedule_reason == "Starts a new job that week."
    assert (new.starts_at, new.format, new.setting) == (new_time, old.format, old.setting)
    [event] = _events(accepted_referral, EventCode.APPOINTMENT_RESCHEDULED)
    assert event.actor_organisation == agency
    assert "the person" in event.summary


def test_rescheduling_twice_is_harmless(accepted_referral, book, practitioner):
    old = book(accepted_referral, days_ago=-2)
    kwargs = {
        "actor": practitioner,
        "starts_at": old.starts_at + timedelta(days=7),
        "requested_by": RescheduleRequester.AGENCY,
        "reason": "Room not available.",
    }

    first = appointment_reschedule(appointment_id=old.pk, **kwargs)
    second = appointment_reschedule(appointment_id=old.pk, **kwargs)

    assert first == second
    assert Appointment.objects.filter(referral=accepted_referral).count() == 2
    assert len(_events(accepted_referral, EventCode.APPOINTMENT_RESCHEDULED)) == 1


def test_appointment_reschedule_writes_an_audit_row(accepted_referral, book, practitioner):
    old = book(accepted_referral, days_ago=-2)
    before = AuditEvent.objects.filter(actor=practitioner).count()

    appointment_reschedule(
        appointment_id=old.pk,
        actor=practitioner,
        starts_at=old.starts_at + timedelta(days=7),
        requested_by=RescheduleRequester.AGENCY,
        reason="Room not available.",
    )

    assert AuditEvent.objects.filter(actor=practitioner).count() == before + 1


def test_first_attended_session_starts_the_work(accepted_referral, book, practitioner, agency):
    appointment = book(accepted_referral)

    _attended(appointment, practitioner)

    appointment.refresh_from_db()
    assert appointment.attendance == Attendance.ATTENDED
    assert appointment.outcome_recorded_by == practitioner
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.IN_PROGRESS
    assert accepted_referral.first_contact_at == appointment.starts_at
    [outcome] = _events(accepted_referral, EventCode.APPOINTMENT_OUTCOME)
    assert outcome.actor_organisation == agency
    assert "Attended" in outcome.summary
    started = CaseEvent.objects.get(case_id=accepted_referral.case_id, status_after="in_progress")
    assert started.actor_organisation == agency
    assert _status_changes(accepted_referral)[-1] == ["accepted", "in_progress"]
    assert not _notifications(NotificationKind.DID_NOT_ATTEND)


def test_missed_session_with_an_unacceptable_reason_notifies_the_case_worker(
    accepted_referral, book, practitioner, case_worker, agency
):
    appointment = book(accepted_referral)

    _missed(appointment, practitioner)

    appointment.refresh_from_db()
    assert appointment.attendance == Attendance.DID_NOT_ATTEND
    assert appointment.non_attendance == NonAttendance.UNACCEPTABLE
    [event] = _events(accepted_referral, EventCode.APPOINTMENT_OUTCOME)
    assert event.actor_organisation == agency
    assert "unacceptable" in event.summary.lower()
    [notification] = _notifications(NotificationKind.DID_NOT_ATTEND)
    assert notification.recipient == case_worker
    assert notification.case_reference == accepted_referral.case.reference
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.ACCEPTED


def test_recording_the_same_outcome_twice_is_harmless(accepted_referral, book, practitioner):
    appointment = book(accepted_referral)

    _missed(appointment, practitioner)
    _missed(appointment, practitioner)

    assert len(_events(accepted_referral, EventCode.APPOINTMENT_OUTCOME)) == 1
    assert len(_notifications(NotificationKind.DID_NOT_ATTEND)) == 1


def test_appointment_record_outcome_writes_an_audit_row(accepted_referral, book, practitioner):
    appointment = book(accepted_referral)
    before = AuditEvent.objects.filter(actor=practitioner).count()

    _missed(appointment, practitioner)

    assert AuditEvent.objects.filter(actor=practitioner).count() == before + 1


def test_concern_ticked_for_the_case_worker_notifies_them(accepted_referral, book, practitioner, case_worker):
    appointment = book(accepted_referral)

    _attended(
        appointment,
        practitioner,
        concerns="Mentioned having nowhere to stay next week.",
        alert_case_worker=True,
    )

    [notification] = _notifications(NotificationKind.CONCERN_RAISED)
    assert notification.recipient == case_worker


def test_concern_not_ticked_notifies_nobody(accepted_referral, book, practitioner):
    _attended(book(accepted_referral), practitioner, concerns="Seemed tired.")

    assert not _notifications(NotificationKind.CONCERN_RAISED)


def test_outcome_of_a_future_appointment_is_refused(accepted_referral, book, practitioner):
    appointment = book(accepted_referral, days_ago=-1)

    with pytest.raises(CaseError):
        _attended(appointment, practitioner)

    appointment.refresh_from_db()
    assert appointment.attendance == ""


# --- Notes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("author", ["case_worker", "practitioner", "partner_manager"])
def test_either_side_can_write_a_note(request, accepted_referral, author):
    user = request.getfixturevalue(author)

    note = referral_note_add(
        referral_id=accepted_referral.pk, actor=user, text="Called to confirm the address."
    )

    assert note.organisation_id == user.organisation_id
    [event] = _events(accepted_referral, EventCode.REFERRAL_NOTE)
    assert event.actor == user
    assert event.actor_organisation_id == user.organisation_id
    assert event.notes == "Called to confirm the address."


def test_referral_note_add_writes_an_audit_row(accepted_referral, practitioner):
    before = AuditEvent.objects.filter(actor=practitioner).count()

    referral_note_add(referral_id=accepted_referral.pk, actor=practitioner, text="Left a voicemail.")

    assert AuditEvent.objects.filter(actor=practitioner).count() == before + 1


def test_another_agency_cannot_write_notes(accepted_referral, other_partner_manager):
    with pytest.raises(CaseError, match="does not exist"):
        referral_note_add(referral_id=accepted_referral.pk, actor=other_partner_manager, text="Hello.")

    assert not ReferralNote.objects.exists()


# --- The end-of-intervention report -------------------------------------------------------------------
def test_completed_report_completes_the_condition(accepted_referral, book, practitioner, case_worker, agency):
    _attended(book(accepted_referral), practitioner)

    report = _report(accepted_referral, practitioner)

    assert report.result == EndReport.Result.COMPLETED
    assert {o.result for o in accepted_referral.outcomes.all()} == {DesiredOutcome.Result.ACHIEVED}
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.COMPLETED
    assert accepted_referral.closed_at is not None
    condition = partner_condition(accepted_referral.case)
    assert condition.status == ConditionStatus.COMPLETE
    [event] = _events(accepted_referral, EventCode.REFERRAL_REPORT)
    assert event.actor_organisation == agency
    condition_event = CaseEvent.objects.get(case_id=accepted_referral.case_id, status_after="complete")
    assert condition_event.actor_organisation == agency
    assert _status_changes(accepted_referral)[-1] == ["in_progress", "completed"]
    [notification] = _notifications(NotificationKind.REPORT_SUBMITTED)
    assert notification.recipient == case_worker
    accepted_referral.case.refresh_from_db()
    assert accepted_referral.case.status == CaseStatus.ACTIVE  # the letter of apology is still to come


def test_completed_report_on_the_last_condition_completes_the_case(
    active_case_for, terms, send_referral, partner_manager, practitioner
):
    case = active_case_for(conditions=[terms(hours=Decimal("3"))])
    referral = send_referral(case)
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)

    _report(referral, practitioner)

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert partner_condition(case).status == ConditionStatus.COMPLETE


def test_not_completed_report_fails_the_condition_and_opens_a_breach_review(
    accepted_referral, practitioner, case_worker
):
    _report(
        accepted_referral,
        practitioner,
        result=EndReport.Result.NOT_COMPLETED,
        rating=DesiredOutcome.Result.NOT_ACHIEVED,
    )

    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.NOT_COMPLETED
    case = accepted_referral.case
    case.refresh_from_db()
    condition = partner_condition(case)
    assert condition.status == ConditionStatus.FAILED
    assert case.status == CaseStatus.BREACH_REVIEW
    [review] = BreachReview.objects.filter(case=case)
    assert review.is_open
    assert list(review.conditions.all()) == [condition]
    [notification] = _notifications(NotificationKind.REPORT_SUBMITTED)
    assert notification.recipient == case_worker


def test_submitting_the_same_report_twice_is_harmless(accepted_referral, practitioner):
    first = _report(accepted_referral, practitioner)
    second = _report(accepted_referral, practitioner)

    assert first.pk == second.pk
    assert EndReport.objects.count() == 1
    assert len(_events(accepted_referral, EventCode.REFERRAL_REPORT)) == 1
    assert len(_notifications(NotificationKind.REPORT_SUBMITTED)) == 1


def test_a_report_with_a_different_result_after_the_first_is_refused(accepted_referral, practitioner):
    _report(accepted_referral, practitioner)

    with pytest.raises(CaseError):
        _report(accepted_referral, practitioner, result=EndReport.Result.NOT_COMPLETED)

    assert partner_condition(accepted_referral.case).status == ConditionStatus.COMPLETE


def test_report_must_rate_every_desired_outcome(accepted_referral, practitioner):
    first = accepted_referral.outcomes.first()

    with pytest.raises(ValidationError):
        referral_report_submit(
            referral_id=accepted_referral.pk,
            actor=practitioner,
            result=EndReport.Result.COMPLETED,
            summary="Done.",
            outcomes={first.pk: (DesiredOutcome.Result.ACHIEVED, "")},
        )

    assert not EndReport.objects.exists()
    assert partner_condition(accepted_referral.case).status == ConditionStatus.PENDING


def test_report_is_refused_before_the_referral_is_accepted(referral, partner_manager):
    with pytest.raises(CaseError):
        _report(referral, partner_manager)

    assert not EndReport.objects.exists()


def test_report_notification_names_nobody(accepted_referral, practitioner):
    _report(accepted_referral, practitioner)

    [notification] = _notifications(NotificationKind.REPORT_SUBMITTED)
    for detail in ("Whitmore", "Daniel", "drinking goal", practitioner.full_name):
        assert detail not in notification.subject
        assert detail not in notification.body

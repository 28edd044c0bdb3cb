"""Working days in England and Wales: weekends and bank holidays (the ``holidays`` calendar) are skipped
by service levels and chase times; legal limits stay in calendar days and months."""

from datetime import date, timedelta

import holidays
import pytest
from django.utils import timezone
from job_support import at_ten

from cases.models import CaseEvent
from cases.rules import latest_proceedings_date
from offenderhub.core.workdays import add_working_days, is_working_day
from offenderhub.notifications.models import Notification, NotificationKind
from referrals.jobs import appointment_outcomes_chase, referral_response_due, referrals_chase
from referrals.models import Appointment, Referral
from referrals.services import referral_accept

WEDNESDAY_23_DECEMBER_2026 = date(2026, 12, 23)


def test_the_christmas_bank_holidays_of_2026_are_in_the_calendar():
    calendar = holidays.UK(subdiv="ENG", years=[2026, 2027])

    assert date(2026, 12, 25) in calendar  # Christmas Day, a Friday
    assert date(2026, 12, 26) in calendar  # Boxing Day, a Saturday...
    assert date(2026, 12, 28) in calendar  # ...so the Monday after is the bank holiday
    assert date(2027, 1, 1) in calendar
    assert date(2026, 12, 24) not in calendar  # Christmas Eve is a working day
    assert [is_working_day(date(2026, 12, d)) for d in range(23, 32)] == [
        True,  # Wed 23
        True,  # Thu 24
        False,  # Fri 25 Christmas Day
        False,  # Sat 26
        False,  # Sun 27
        False,  # Mon 28 Boxing Day (substitute)
        True,  # Tue 29
        True,  # Wed 30
        True,  # Thu 31
    ]
    assert not is_working_day(date(2027, 1, 1))


def test_three_working_days_from_wednesday_23_december_2026_is_wednesday_30_december():
    """Thursday 24 December (1), Tuesday 29 (2), Wednesday 30 (3): the 25th, the weekend and the 28th
    are skipped. Christmas Eve is a working day, so the answer is the 30th, not the 31st."""
    due = add_working_days(WEDNESDAY_23_DECEMBER_2026, 3)

    assert due == date(2026, 12, 30)
    assert due.strftime("%A") == "Wednesday"
    assert add_working_days(WEDNESDAY_23_DECEMBER_2026, 4) == date(2026, 12, 31)
    assert add_working_days(WEDNESDAY_23_DECEMBER_2026, 5) == date(2027, 1, 4)  # past New Year's Day


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday + 1: Monday
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # a week of working days
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
        (date(2026, 12, 25), 1, date(2026, 12, 29)),  # counted from a bank holiday
        (date(2027, 3, 25), 2, date(2027, 3, 31)),  # Good Friday 26 March, Easter Monday 29 March 2027
    ],
)
def test_add_working_days(start, days, due):
    assert add_working_days(start, days) == due


def test_legal_limits_stay_in_calendar_months_whatever_the_holidays():
    # Six calendar months from an offence on 25 June 2026 is Christmas Day: not moved to a working day.
    assert latest_proceedings_date(date(2026, 6, 25)) == date(2026, 12, 25)
    assert latest_proceedings_date(date(2026, 8, 31)) == date(2027, 2, 28)


# --- Through the chase job ----------------------------------------------------------------------------
@pytest.fixture
def christmas_referral(db, active_case_for, conditions_due, send_referral, partner_service):
    """A referral to a service with a 3-working-day service level, sent on Wednesday 23 December 2026."""
    partner_service.first_contact_working_days = 3
    partner_service.save(update_fields=["first_contact_working_days"])
    far = timezone.localdate() + timedelta(days=60)
    referral = send_referral(active_case_for(conditions=conditions_due(far, far)))
    Referral.objects.filter(pk=referral.pk).update(sent_at=at_ten(WEDNESDAY_23_DECEMBER_2026))
    return Referral.objects.select_related("service").get(pk=referral.pk)


def test_a_referral_sent_before_christmas_is_due_after_the_bank_holidays_and_chased_the_day_after(
    christmas_referral, case_worker
):
    assert referral_response_due(christmas_referral) == date(2026, 12, 30)

    # Not chased over Christmas, nor on the day it is due: the agency has until the end of that day.
    for day in [date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30)]:
        assert referrals_chase(today=day) == {"referrals_chased": 0}, day
    assert referrals_chase(today=date(2026, 12, 31)) == {"referrals_chased": 1}
    assert referrals_chase(today=date(2027, 1, 4)) == {"referrals_chased": 0}  # once

    christmas_referral.refresh_from_db()
    assert christmas_referral.chased_at is not None
    assert (
        Notification.objects.filter(kind=NotificationKind.REFERRAL_CHASE, recipient=case_worker).count() == 1
    )
    [event] = CaseEvent.objects.filter(case=christmas_referral.case, summary__contains="chased")
    assert "no response by 30 December 2026 (3 working days)" in event.summary


def test_a_referral_due_before_new_year_is_not_chased_until_it_is_overdue(christmas_referral):
    """With a 4-working-day service level it is due on Thursday 31 December: not chased that day."""
    christmas_referral.service.first_contact_working_days = 4
    christmas_referral.service.save(update_fields=["first_contact_working_days"])

    assert referrals_chase(today=date(2026, 12, 31)) == {"referrals_chased": 0}
    assert referrals_chase(today=date(2027, 1, 4)) == {"referrals_chased": 1}


def test_an_appointment_without_outcome_is_flagged_on_the_second_working_day_after_it(
    db, active_case_for, conditions_due, send_referral, book, partner_manager, practitioner
):
    """Christmas Eve 2025 was a Wednesday; Thursday 25 and Friday 26 were bank holidays. Two working
    days after it: Monday 29 (1), Tuesday 30 December 2025 (2), when it is flagged."""
    far = timezone.localdate() + timedelta(days=60)
    referral = send_referral(active_case_for(conditions=conditions_due(far, far)))
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
    appointment = book(referral, date(2025, 12, 24))

    for day in [date(2025, 12, 26), date(2025, 12, 28), date(2025, 12, 29)]:
        assert appointment_outcomes_chase(today=day) == {"appointment_outcomes_chased": 0}, day
    assert appointment_outcomes_chase(today=date(2025, 12, 30)) == {"appointment_outcomes_chased": 1}
    assert appointment_outcomes_chase(today=date(2025, 12, 31)) == {"appointment_outcomes_chased": 0}

    assert Appointment.objects.get(pk=appointment.pk).outcome_chased_at is not None
    assert (
        Notification.objects.filter(
            kind=NotificationKind.APPOINTMENT_OUTCOME_MISSING, recipient=practitioner
        ).count()
        == 1
    )

"""Partner work that flows (issue 16, part 1): accepting a referral chooses no practitioner for the
manager and says who is a practitioner; a session that already happened is recorded with one form,
once, or not at all."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from factories import UserFactory
from pytest_django.asserts import assertContains

from offenderhub.accounts.models import Role
from referrals.models import Appointment, Attendance, Referral, ReferralStatus


def _date_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def _options(html, select_name):
    select = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option([^>]*)>([^<]*)</option>", select)


# --- Accept and assign: nobody chosen for the manager; who is a practitioner is said ------------------


def test_accept_chooses_nobody_and_lists_practitioners_first_saying_so(
    client_for, referral, partner_manager, practitioner, agency
):
    UserFactory(
        full_name="Aaron Able", organisation=agency, roles=[Role.PARTNER_PRACTITIONER, Role.PARTNER_MANAGER]
    )
    html = client_for(partner_manager).get(reverse("referrals:accept", args=[referral.pk])).content.decode()

    options = _options(html, "practitioner")
    assert options[0] == (' value="" selected', "Choose who will deliver it")
    assert [label for _, label in options[1:]] == [
        "Aaron Able (practitioner and manager)",
        "Jamie Cole (practitioner)",
        "Helen Price (manager)",
    ]


def test_accepting_without_choosing_a_practitioner_is_refused_with_a_message(
    client_for, referral, partner_manager
):
    response = client_for(partner_manager).post(reverse("referrals:accept", args=[referral.pk]), {})

    assertContains(response, "Choose who will deliver the intervention", status_code=400)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


# --- A session that already happened, in one form -----------------------------------------------------


def _session(day, **overrides):
    return {
        **_date_fields("on", day),
        "at": "10:00",
        "duration_minutes": "60",
        "format": "in_person",
        "setting": "one_to_one",
        "location": "Compass, 4 Mill Lane",
        "attendance": "attended",
        "summary": "Talked through the drinking diary; agreed two alcohol-free days.",
        "engagement": "good",
        **overrides,
    }


def test_a_session_that_happened_is_recorded_with_one_form_and_once(
    client_for, accepted_referral, practitioner
):
    client = client_for(practitioner)
    url = reverse("referrals:session", args=[accepted_referral.pk])
    assert client.get(url).status_code == 200
    data = _session(timezone.localdate() - timedelta(days=2))

    first = client.post(url, data)
    again = client.post(url, data)  # a double click, or the back button and submit

    assert first.status_code == again.status_code == 302
    appointment = Appointment.objects.get(referral=accepted_referral)
    assert appointment.attendance == Attendance.ATTENDED
    assert appointment.outcome_recorded_by == practitioner
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.IN_PROGRESS


def test_a_session_in_the_future_is_refused_and_nothing_is_saved(client_for, accepted_referral, practitioner):
    response = client_for(practitioner).post(
        reverse("referrals:session", args=[accepted_referral.pk]),
        _session(timezone.localdate() + timedelta(days=2)),
    )

    assertContains(response, "A session that has not happened yet is booked, not recorded.", status_code=400)
    assert not Appointment.objects.exists()


def test_a_session_without_its_summary_is_refused_and_no_appointment_is_left_behind(
    client_for, accepted_referral, practitioner
):
    response = client_for(practitioner).post(
        reverse("referrals:session", args=[accepted_referral.pk]),
        _session(timezone.localdate() - timedelta(days=1), summary=""),
    )

    assertContains(response, "Summarise the session.", status_code=400)
    assert not Appointment.objects.exists()


def test_only_the_agency_records_a_session(client_for, accepted_referral, case_worker, other_agency):
    url = reverse("referrals:session", args=[accepted_referral.pk])
    outsider = UserFactory(organisation=other_agency, roles=[Role.PARTNER_PRACTITIONER])
    day = timezone.localdate() - timedelta(days=1)

    assert client_for(case_worker).post(url, _session(day)).status_code == 403
    assert client_for(outsider).post(url, _session(day)).status_code == 404
    assert not Appointment.objects.exists()
    assert Referral.objects.get().status == ReferralStatus.ACCEPTED


def test_a_session_already_recorded_another_way_is_refused_and_kept(
    client_for, accepted_referral, practitioner
):
    url = reverse("referrals:session", args=[accepted_referral.pk])
    client = client_for(practitioner)
    day = timezone.localdate() - timedelta(days=2)
    client.post(url, _session(day))

    response = client.post(
        url, _session(day, attendance="did_not_attend", non_attendance="unacceptable", summary="")
    )

    assertContains(response, "The outcome of this appointment is already recorded.", status_code=400)
    assert Appointment.objects.get(referral=accepted_referral).attendance == Attendance.ATTENDED

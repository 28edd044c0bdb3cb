"""The weekly digest: whoever asked for one gets no email per notification, and one email on Monday
listing them; a second run sends nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from offenderhub.notifications.models import Notification, NotificationKind
from offenderhub.notifications.services import notification_preferences_set

pytestmark = [pytest.mark.django_db, pytest.mark.every_day]  # the jobs run on every kind of day


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=5)


@pytest.fixture
def monday(day):
    """The first Monday after ``day`` (the digest day, ``settings.DIGEST_WEEKDAY = 0``)."""
    return day + timedelta(days=7 - day.weekday())


@pytest.fixture
def notified(
    day, active_case_for, conditions_due, run_jobs, eager_worker, django_capture_on_commit_callbacks
):
    """On ``day`` a condition is due in three days (a reminder to the case worker and the agency) and
    another has fallen due (a breach review, to the case worker). Their emails are sent, eagerly, as
    the jobs' transactions commit."""
    far = day + timedelta(days=40)
    reminded = active_case_for(conditions=conditions_due(day + timedelta(days=3), far))
    overdue = active_case_for(conditions=conditions_due(day - timedelta(days=1), far))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = run_jobs(day, "condition_reminders", "overdue_conditions")
    assert counts == {
        "condition_reminders": {"reminders": 1},
        "overdue_conditions": {"overdue_conditions": 1, "breach_reviews_opened": 1},
    }
    return reminded, overdue


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_a_case_worker_who_asked_for_a_digest_gets_one_email_on_monday_listing_the_notifications(
    case_worker, agency, monday, run_jobs, settings, request
):
    notification_preferences_set(user=case_worker, email_digest=True)
    reminded, overdue = request.getfixturevalue("notified")

    # No email per notification for the case worker; the agency (no digest) has its reminder.
    assert _to(case_worker.email) == []
    assert [m.subject for m in _to(agency.email)] == [
        Notification.objects.get(kind=NotificationKind.CONDITION_DUE, recipient_organisation=agency).subject
    ]
    mine = Notification.objects.filter(recipient=case_worker)
    assert set(mine.values_list("kind", flat=True)) >= {
        NotificationKind.CONDITION_DUE,
        NotificationKind.BREACH_REVIEW_OPENED,
    }
    assert not mine.filter(emailed_at__isnull=False).exists()

    assert run_jobs(monday - timedelta(days=1), "weekly_digest") == {"weekly_digest": {"digests": 0}}
    assert run_jobs(monday, "weekly_digest") == {"weekly_digest": {"digests": 1}}

    [digest] = _to(case_worker.email)
    assert digest.subject == f"Your {settings.SERVICE_NAME} notifications"
    count = mine.count()
    assert f"{count} notification{'s' if count > 1 else ''} since your last digest" in digest.body
    for notification in mine:
        assert f"- {notification.subject} ({notification.case_reference})" in digest.body
    assert reminded.reference in digest.body and overdue.reference in digest.body
    assert not mine.filter(emailed_at=None).exists()
    [(html, mimetype)] = digest.alternatives
    assert mimetype == "text/html"

    sent = len(mail.outbox)
    assert run_jobs(monday, "weekly_digest") == {"weekly_digest": {"digests": 0}}
    assert run_jobs(monday + timedelta(days=7), "weekly_digest") == {"weekly_digest": {"digests": 0}}
    assert len(mail.outbox) == sent


def test_an_agency_that_asked_for_a_digest_gets_its_shared_inbox_in_one_email(
    partner_manager,
    agency,
    case_worker,
    monday,
    run_jobs,
    send_referral,
    request,
    django_capture_on_commit_callbacks,
):
    notification_preferences_set(user=partner_manager, email_digest=False, agency_digest=True)
    reminded, _ = request.getfixturevalue("notified")
    with django_capture_on_commit_callbacks(execute=True):
        send_referral(reminded)

    assert _to(agency.email) == []
    assert len(_to(case_worker.email)) == 2  # the case worker still has one email each

    assert run_jobs(monday, "weekly_digest") == {"weekly_digest": {"digests": 1}}

    [digest] = _to(agency.email)
    theirs = Notification.objects.filter(recipient_organisation=agency)
    assert sorted(theirs.values_list("kind", flat=True)) == [
        NotificationKind.CONDITION_DUE,
        NotificationKind.REFERRAL_SENT,
    ]
    assert "2 notifications since your last digest" in digest.body
    for notification in theirs:
        assert f"- {notification.subject} ({reminded.reference})" in digest.body
    assert not theirs.filter(emailed_at=None).exists()
    assert run_jobs(monday, "weekly_digest") == {"weekly_digest": {"digests": 0}}

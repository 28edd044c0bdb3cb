"""notify: the inbox rows, their dedupe keys, and emails sent once after the transaction commits."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from factories import UserFactory

from offenderhub.accounts.models import Role
from offenderhub.celery import app as celery_app
from offenderhub.notifications.models import Notification, NotificationKind
from offenderhub.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notify,
    notify_many,
    render_email,
)
from offenderhub.notifications.tasks import send_notification_emails

REFERENCE = "OH-2025-0042"
CASE_URL = "/cases/42/"
SITE_URL = "https://offenderhub.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def _concern(**kwargs):
    kwargs.setdefault("kind", NotificationKind.CONCERN_RAISED)
    kwargs.setdefault("url", CASE_URL)
    kwargs.setdefault("case_reference", REFERENCE)
    return notify(**kwargs)


# --- The inbox rows -------------------------------------------------------------------------------
def test_notify_creates_one_notification_per_user_and_per_organisation(case_worker, supervisor, agency):
    created = _concern(users=[case_worker, supervisor], organisations=[agency])

    assert len(created) == 3
    rows = Notification.objects.filter(pk__in=[n.pk for n in created])
    assert {(n.recipient_id, n.recipient_organisation_id) for n in rows} == {
        (case_worker.pk, None),
        (supervisor.pk, None),
        (None, agency.pk),
    }
    for notification in rows:
        assert notification.kind == NotificationKind.CONCERN_RAISED
        assert notification.subject == f"Concern raised: {REFERENCE}"
        assert notification.url == CASE_URL
        assert notification.case_reference == REFERENCE
        assert f"{SITE_URL}{CASE_URL}" in notification.body
        assert notification.read_at is None
        assert notification.emailed_at is None
        assert notification.dedupe_key == ""


def test_notify_names_each_recipient_once_and_skips_inactive_ones(case_worker, supervisor, agency):
    supervisor.is_active = False
    supervisor.save()

    created = _concern(users=[case_worker, case_worker, supervisor], organisations=[agency, agency])

    assert sorted((n.recipient_id or 0, n.recipient_organisation_id or 0) for n in created) == [
        (0, agency.pk),
        (case_worker.pk, 0),
    ]


def test_notify_without_recipients_does_nothing(db):
    assert _concern(users=[], organisations=[]) == []
    assert not Notification.objects.exists()


def test_notify_twice_with_the_same_dedupe_key_creates_one_notification(case_worker, agency):
    first = _concern(users=[case_worker], organisations=[agency], dedupe_key="concern:7")
    second = _concern(users=[case_worker], organisations=[agency], dedupe_key="concern:7")

    assert len(first) == 2
    assert second == []
    assert Notification.objects.count() == 2
    assert set(Notification.objects.values_list("dedupe_key", flat=True)) == {
        f"concern:7:u{case_worker.pk}",
        f"concern:7:o{agency.pk}",
    }


def test_dedupe_key_is_per_recipient(case_worker, supervisor):
    _concern(users=[case_worker], dedupe_key="concern:7")

    again = _concern(users=[case_worker, supervisor], dedupe_key="concern:7")

    assert [n.recipient for n in again] == [supervisor]
    assert Notification.objects.filter(recipient=case_worker).count() == 1


def test_dedupe_collision_in_the_same_transaction_is_skipped(case_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _concern(users=[case_worker], dedupe_key="chase:1")
        _concern(users=[case_worker], dedupe_key="chase:1")

    assert Notification.objects.count() == 1
    assert len(callbacks) == 1  # only the call that created something queues an email


def test_notify_many_makes_each_items_notifications_with_one_email_job(
    case_worker, supervisor, agency, django_capture_on_commit_callbacks
):
    items = [
        {
            "users": [case_worker],
            "organisations": [agency],
            "url": "/cases/1/",
            "case_reference": "OH-1",
            "dedupe_key": "due:1",
        },
        {"users": [supervisor], "url": "/cases/2/", "case_reference": "OH-2", "dedupe_key": "due:2"},
        {"users": [supervisor], "url": "/cases/2/", "case_reference": "OH-2", "dedupe_key": "due:2"},
        {"users": [case_worker], "url": "/cases/3/", "case_reference": "OH-3"},
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        created = notify_many(kind=NotificationKind.CONDITION_DUE, items=items)
        again = notify_many(kind=NotificationKind.CONDITION_DUE, items=items[:3])

    assert sorted(
        (n.case_reference, n.recipient_id or 0, n.recipient_organisation_id or 0) for n in created
    ) == sorted(
        [
            ("OH-1", case_worker.pk, 0),
            ("OH-1", 0, agency.pk),
            ("OH-2", supervisor.pk, 0),
            ("OH-3", case_worker.pk, 0),
        ]
    )
    assert Notification.objects.get(case_reference="OH-2").subject == "Condition due soon: OH-2"
    assert again == []
    assert len(callbacks) == 1


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "cases/1/"])
def test_notify_refuses_a_link_outside_the_service(case_worker, url):
    with pytest.raises(ValueError):
        _concern(users=[case_worker], url=url)
    assert not Notification.objects.exists()


def test_notify_refuses_an_unknown_kind(case_worker):
    with pytest.raises(ValueError):
        _concern(users=[case_worker], kind="case_deleted")


@pytest.mark.parametrize("recipients", ["neither", "both"])
def test_database_requires_exactly_one_recipient(case_worker, agency, recipients):
    row = Notification(kind=NotificationKind.DIGEST, subject="s", body="b", url="/")
    if recipients == "both":
        row.recipient, row.recipient_organisation = case_worker, agency
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


# --- What the message says ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_kind_has_a_short_email_with_the_link_and_no_personal_details(kind):
    context = {
        "case_reference": REFERENCE,
        "link": f"{SITE_URL}{CASE_URL}",
        "service_name": "Offender Hub",
        "count": 3,
        # What a careless caller might pass: no template may show it.
        "person": "Jordan Smith",
        "offence": "Common assault",
    }

    subject, text, html = render_email(kind, context)

    assert subject and "\n" not in subject and len(subject) <= 200
    assert f"{SITE_URL}{CASE_URL}" in text
    assert f'href="{SITE_URL}{CASE_URL}"' in html
    not_about_one_case = (
        NotificationKind.DIGEST,
        NotificationKind.AUDIT_CHAIN_BROKEN,
        NotificationKind.RETENTION_REVIEW_DUE,
        NotificationKind.ERASURE_AWAITING_APPROVAL,
    )
    if kind not in not_about_one_case:
        assert REFERENCE in subject
        assert f"Case reference: {REFERENCE}" in text
        assert REFERENCE in html
    for message in (subject, text, html):
        assert "Jordan" not in message
        assert "assault" not in message.lower()
    assert len(text) < 600


def test_email_has_link_and_reference_and_does_not_name_anyone(
    case_worker, practitioner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        created = notify(
            kind=NotificationKind.DID_NOT_ATTEND,
            users=[case_worker],
            url=CASE_URL,
            case_reference=REFERENCE,
            context={"person": "Jordan Smith", "practitioner": practitioner},
        )

    send_notification_emails([n.pk for n in created])

    [email] = mail.outbox
    assert email.to == [case_worker.email]
    assert email.subject == f"Appointment not attended: {REFERENCE}"
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    for body in (email.body, html):
        assert f"{SITE_URL}{CASE_URL}" in body
        assert REFERENCE in body
        for name in ("Jordan", "Smith", case_worker.full_name, practitioner.full_name):
            assert name not in body


# --- Sending the emails once ----------------------------------------------------------------------
def test_emails_are_queued_when_the_transaction_commits(case_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _concern(users=[case_worker])

    assert len(callbacks) == 1
    assert mail.outbox == []  # sent by the worker, not in the request


def test_email_job_sends_each_email_once_however_often_it_runs(
    case_worker, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        ids = [n.pk for n in _concern(users=[case_worker], organisations=[agency])]

    assert send_notification_emails(ids) == 2
    assert send_notification_emails(ids) == 0

    assert sorted(email.to[0] for email in mail.outbox) == sorted([case_worker.email, agency.email])
    assert Notification.objects.filter(emailed_at=None).count() == 0


@pytest.fixture
def eager_worker():
    """Jobs run in the test's own process, as soon as they are queued (configuration, not mocks)."""
    saved = celery_app.conf.get("task_always_eager")
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=saved)


def test_emails_are_sent_once_after_commit(
    case_worker, agency, eager_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        created = _concern(users=[case_worker], organisations=[agency], dedupe_key="concern:9")
        assert mail.outbox == []  # nothing leaves before the commit
    with django_capture_on_commit_callbacks(execute=True):
        _concern(users=[case_worker], organisations=[agency], dedupe_key="concern:9")

    assert len(mail.outbox) == 2
    send_notification_emails([n.pk for n in created])  # a retried job
    assert len(mail.outbox) == 2


def test_organisation_without_a_shared_address_gets_no_email(
    agency_without_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        [notification] = _concern(organisations=[agency_without_email])

    assert send_notification_emails([notification.pk]) == 0
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None


class FailingBackend(BaseEmailBackend):
    error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise self.error


@pytest.fixture
def failing_mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    yield FailingBackend
    FailingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_failed_send_is_released_so_a_retry_sends_it(
    case_worker, settings, failing_mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        ids = [n.pk for n in _concern(users=[case_worker])]

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_emails(ids)
    assert Notification.objects.get().emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_notification_emails(ids) == 1
    assert len(mail.outbox) == 1


def test_address_refused_for_good_is_not_retried(
    case_worker, failing_mail_server, django_capture_on_commit_callbacks
):
    failing_mail_server.error = smtplib.SMTPRecipientsRefused({case_worker.email: (550, b"No such user")})
    with django_capture_on_commit_callbacks():
        ids = [n.pk for n in _concern(users=[case_worker])]

    assert send_notification_emails(ids) == 0  # logged, not raised: retrying cannot help

    assert Notification.objects.get().emailed_at is None


# --- Reading ----------------------------------------------------------------------------------------
def test_mark_read_is_a_no_op_the_second_time(case_worker):
    [notification] = _concern(users=[case_worker])

    first = notification_mark_read(notification_id=notification.pk, user=case_worker)
    second = notification_mark_read(notification_id=notification.pk, user=case_worker)

    assert first.read_at is not None
    assert second.read_at == first.read_at


def test_mark_all_read_marks_own_and_agency_inbox_only(practitioner, partner_manager, agency, other_agency):
    own = _concern(users=[practitioner])
    shared = _concern(organisations=[agency])
    others = _concern(users=[partner_manager], organisations=[other_agency])

    assert notification_mark_all_read(user=practitioner) == 2

    assert all(Notification.objects.get(pk=n.pk).read_at for n in own + shared)
    assert not any(Notification.objects.get(pk=n.pk).read_at for n in others)


def test_police_users_do_not_see_an_organisation_inbox(force):
    case_worker = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
    _concern(organisations=[force])

    assert notification_mark_all_read(user=case_worker) == 0


@pytest.mark.parametrize("kind", [k for k in NotificationKind if k != NotificationKind.DIGEST])
@pytest.mark.parametrize("reference", ["", "OH-2026-000123", "<b>&'\"</b>"])
def test_emails_rendered_for_many_at_once_are_exactly_those_rendered_one_by_one(kind, reference):
    """Set-based jobs render each distinct text once (``_EmailRenderer``): the result must not differ."""
    from datetime import date

    from offenderhub.notifications.services import _EmailRenderer

    renderer = _EmailRenderer(kind)
    for n, days_left in enumerate([28, 7, -3, 7]):
        context = {
            "kind": kind,
            "case_reference": reference and f"{reference}{n}",
            "link": f"https://hub.example/cases/{n}/?a=1&b=<2>",
            "service_name": "Offender Hub",
            "days_left": days_left,
            "latest_proceedings_date": date(2026, 12, 1),
            "victim_notification_due_on": date(2026, 12, 5) if n % 2 else None,
            "problem": "Row #3 changed",
        }
        assert renderer.render(context) == render_email(kind, context)

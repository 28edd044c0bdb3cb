"""The email outbox: no email is lost when the broker is down or a process dies, and none is sent twice.

A notification is its own outbox entry. The job queued when it commits is best effort: with the broker
down the request answers as usual and the failure is one log line; the sweep (every minute, and when a
worker starts) emails whatever that job did not, each email claimed first so that two sweeps, or a
sweep beside the job, send it once."""

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from broker_support import (
    broker_down,
    celery_configured,
    redis_configured,
    unreachable_redis_url,
    worker_running,
)
from celery import signals
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from factories import UserFactory

from offenderhub.celery import BEAT_SCHEDULE, SWEEPS
from offenderhub.core.queueing import enqueue
from offenderhub.notifications.mail import NOTIFICATION_HEADER
from offenderhub.notifications.models import EmailStatus, Notification, NotificationKind
from offenderhub.notifications.selectors import notifications_awaiting_email_count
from offenderhub.notifications.services import notification_outbox_send, notify
from offenderhub.notifications.tasks import send_notification_emails, send_outbox_emails
from referrals.models import ReferralStatus
from referrals.services import referral_send

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CASE_URL = "/cases/42/"

broker_down = broker_down  # the fixture, by name


def _conditions_conftest():
    """tests/conditions/conftest.py, loaded under a name of its own (as tests/jobs does): its fixtures
    drive a case to each stage of the journey through the real services."""
    path = BASE_DIR / "tests" / "conditions" / "conftest.py"
    spec = importlib.util.spec_from_file_location("outbox_tests_condition_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_journey = _conditions_conftest()
scheme = _journey.scheme
partner_service = _journey.partner_service
terms = _journey.terms
default_conditions = _journey.default_conditions
caution_kwargs = _journey.caution_kwargs
eligible_case_for = _journey.eligible_case_for
assessed_case_for = _journey.assessed_case_for
agreed_case_for = _journey.agreed_case_for
active_case_for = _journey.active_case_for
active_case = _journey.active_case


def _concern(**kwargs):
    return notify(kind=NotificationKind.CONCERN_RAISED, url=CASE_URL, case_reference="OH-2027-0042", **kwargs)


def _emails_per_notification() -> dict[int, int]:
    """How many emails went out for each notification (by the header every notification email has)."""
    counts = {}
    for message in mail.outbox:
        pk = int(message.extra_headers[NOTIFICATION_HEADER])
        counts[pk] = counts.get(pk, 0) + 1
    return counts


def _wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


# --- Queueing, best effort ---------------------------------------------------------------------------
def test_queueing_with_the_broker_down_logs_one_line_and_returns_at_once(broker_down, caplog):
    ids = list(range(101, 111))

    with caplog.at_level(logging.INFO):
        queued = enqueue(send_notification_emails, ids)

    assert queued is False
    # One line, naming the task and the ids (shortened); and no reconnection loop (the result store's
    # "Connection to Redis lost: Retry (n/20)", a second a try) before giving up.
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "offenderhub.core.queueing"
    assert record.getMessage().startswith(
        "Not queued: offenderhub.notifications.tasks.send_notification_emails([101, 102, 103, 104, 105, "
        "... 10 ids]): OperationalError"
    )
    assert "Retry" not in caplog.text


@pytest.mark.redis
def test_queueing_does_not_wait_for_a_result_store_that_is_down(caplog):
    with redis_configured() as app, celery_configured(result_backend=unreachable_redis_url()):
        with caplog.at_level(logging.INFO):
            assert enqueue(send_notification_emails, [1]) is True
        assert app.control.purge() == 1  # the job is on the queue

    assert "Retry" not in caplog.text  # no subscription to a result nobody reads


def test_queueing_by_name_with_the_broker_down_is_logged_too(broker_down, caplog):
    assert enqueue("conditions.tasks.prosecution_resumption", 7) is False

    assert "Not queued: conditions.tasks.prosecution_resumption(7)" in caplog.text


def test_queueing_on_commit_with_the_broker_down_does_not_undo_the_work(
    broker_down, case_worker, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [notification] = _concern(users=[case_worker])

    assert Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).exists()
    assert f"send_notification_emails([{notification.pk}])" in caplog.text


# --- Broker down during a request, the email sent once it returns -----------------------------------
@pytest.fixture
def sent_referral(active_case, case_worker, partner_service):
    """A referral sent to the partner agency, waiting for its decision."""
    condition = active_case.conditions.get(kind="rehabilitative")
    return referral_send(
        case_id=active_case.pk,
        actor=case_worker,
        service=partner_service,
        reason="Binge drinking at weekends led to the assault.",
        desired_outcomes=["Understand how drink affects behaviour"],
        due_date=condition.due_date,
        condition=condition,
        needs=["drugs_alcohol"],
    )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_declining_with_the_broker_down_answers_as_usual_and_the_email_follows_when_it_returns(
    sent_referral, broker_down, client_for, partner_manager, case_worker, caplog
):
    mail.outbox.clear()

    response = client_for(partner_manager).post(
        reverse("referrals:decline", args=[sent_referral.pk]),
        {"reason": "out_of_area", "notes": "We do not cover that postcode."},
    )

    assert response.status_code == 302
    assert response.url == reverse("referrals:workspace")
    sent_referral.refresh_from_db()
    assert sent_referral.status == ReferralStatus.DECLINED
    declined = Notification.objects.get(kind=NotificationKind.REFERRAL_DECLINED, recipient=case_worker)
    assert declined.email_status == EmailStatus.PENDING
    assert f"Not queued: offenderhub.notifications.tasks.send_notification_emails([{declined.pk}])" in (
        caplog.text
    )
    assert mail.outbox == []

    # The broker is back and a worker starts: it sweeps the outbox at once.
    with redis_configured() as app, worker_running(app):
        signals.worker_ready.send(sender=None)  # what a starting worker sends once it consumes
        assert _wait_for(lambda: not Notification.objects.filter(email_status=EmailStatus.PENDING).exists())
        assert send_outbox_emails.apply_async(ignore_result=False).get(timeout=30) == 0  # a second sweep

    [email] = [m for m in mail.outbox if m.to == [case_worker.email]]
    assert email.subject == declined.subject
    assert _emails_per_notification() == {
        n.pk: 1 for n in Notification.objects.filter(email_status=EmailStatus.SENT)
    }
    assert _emails_per_notification()[declined.pk] == 1


def test_the_sweeps_are_scheduled_every_minute_and_run_when_a_worker_starts():
    scheduled = {entry["task"]: entry for entry in BEAT_SCHEDULE.values()}
    for task in SWEEPS:
        assert scheduled[task]["schedule"] == 60.0
        assert scheduled[task]["options"]["expires"] < 60  # a missed run is not queued twice
    assert set(SWEEPS) == {
        "offenderhub.notifications.tasks.send_outbox_emails",
        "conditions.tasks.prosecution_resumption_sweep",
        "subjectaccess.tasks.subject_access_export_sweep",
    }


# --- A process killed between the commit and the queueing ------------------------------------------
KILLED_BEFORE_QUEUEING = """
import os, signal, sys
import django
django.setup()
from django.db import transaction
from offenderhub.accounts.models import User
from offenderhub.core import queueing
from offenderhub.notifications.services import notify

# The process dies the moment it would queue the email job: after its transaction has committed.
queueing.enqueue = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
with transaction.atomic():
    notify(
        kind="concern_raised",
        users=User.objects.filter(pk__in=[int(pk) for pk in sys.argv[1:]]),
        url="/cases/42/",
        case_reference="OH-2027-0042",
    )
"""


def _database_url() -> str:
    """This test database, for another process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class SlowMemoryBackend(MemoryBackend):
    """The test mailbox, a few milliseconds a message like a real server, so that sweeps overlap."""

    def send_messages(self, messages):
        time.sleep(0.005)
        return super().send_messages(messages)


def _in_threads(target, count):
    """Run ``target()`` in ``count`` threads released together; each closes its connection at the end."""
    start = threading.Barrier(count)
    results = []

    def run():
        try:
            start.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # reported by the assertions
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emails_of_a_process_killed_before_queueing_are_each_sent_once_by_two_sweeps_at_once(force, settings):
    users = UserFactory.create_batch(25, organisation=force)
    process = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", KILLED_BEFORE_QUEUEING, *[str(u.pk) for u in users]],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "offenderhub.settings_test",
        },
        capture_output=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    waiting = Notification.objects.filter(kind=NotificationKind.CONCERN_RAISED)
    assert waiting.count() == 25 and set(waiting.values_list("email_status", flat=True)) == {"pending"}
    assert notifications_awaiting_email_count() == 25
    settings.EMAIL_BACKEND = f"{__name__}.SlowMemoryBackend"

    results = _in_threads(lambda: notification_outbox_send(batch_size=4), 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["emails_sent"] for r in results) == 25
    assert _emails_per_notification() == {n.pk: 1 for n in waiting}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert not waiting.exclude(email_status=EmailStatus.SENT).exists()
    assert notifications_awaiting_email_count() == 0
    assert notification_outbox_send() == {"emails_sent": 0, "more": False}  # a re-run sends nothing
    assert len(mail.outbox) == 25


# --- What the sweep looks at, and what it leaves -------------------------------------------------
@pytest.fixture
def committed_without_a_job(django_capture_on_commit_callbacks):
    """``committed_without_a_job(**notify kwargs)``: notifications made and committed, their email job
    never queued (its on-commit callback dropped, as when the process dies)."""

    def make(**kwargs):
        with django_capture_on_commit_callbacks(execute=False):
            return _concern(**kwargs)

    return make


def test_the_outbox_skips_those_left_for_the_digest_or_with_nowhere_to_send(
    committed_without_a_job, case_worker, supervisor, agency_without_email, django_assert_num_queries
):
    supervisor.email_digest = True
    supervisor.save(update_fields=["email_digest"])
    [to_worker, to_supervisor, to_quiet_agency] = [
        committed_without_a_job(users=[case_worker])[0],
        committed_without_a_job(users=[supervisor])[0],
        committed_without_a_job(organisations=[agency_without_email])[0],
    ]
    statuses = dict(Notification.objects.values_list("pk", "email_status"))
    assert statuses == {
        to_worker.pk: EmailStatus.PENDING,
        to_supervisor.pk: EmailStatus.DIGEST,
        to_quiet_agency.pk: EmailStatus.NOT_SENT,
    }

    assert notification_outbox_send() == {"emails_sent": 1, "more": False}
    assert [m.to for m in mail.outbox] == [[case_worker.email]]
    with django_assert_num_queries(1):  # one look at the (empty) outbox, nothing else
        assert notification_outbox_send() == {"emails_sent": 0, "more": False}
    assert Notification.objects.get(pk=to_supervisor.pk).email_status == EmailStatus.DIGEST


def test_a_recipient_who_asked_for_the_digest_since_is_left_for_it(committed_without_a_job, case_worker):
    [notification] = committed_without_a_job(users=[case_worker])
    case_worker.email_digest = True
    case_worker.save(update_fields=["email_digest"])

    assert notification_outbox_send()["emails_sent"] == 0

    assert mail.outbox == []
    assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.DIGEST


def test_a_long_backlog_is_sent_in_bounded_runs(committed_without_a_job, case_worker, supervisor):
    for _ in range(3):
        committed_without_a_job(users=[case_worker, supervisor])

    first = notification_outbox_send(batch_size=2, limit=4)
    second = notification_outbox_send(batch_size=2, limit=4)

    assert (first, second) == ({"emails_sent": 4, "more": True}, {"emails_sent": 2, "more": False})
    assert _emails_per_notification() == {n.pk: 1 for n in Notification.objects.all()}


def test_the_sweep_task_queues_the_next_run_while_a_backlog_remains(
    committed_without_a_job, case_worker, settings, monkeypatch
):
    from offenderhub.notifications import services

    for _ in range(3):
        committed_without_a_job(users=[case_worker])
    monkeypatch.setattr(services, "OUTBOX_RUN_LIMIT", 2)

    with celery_configured(task_always_eager=True):  # the next run is queued, and so runs, here
        send_outbox_emails.delay()

    assert len(mail.outbox) == 3
    assert notifications_awaiting_email_count() == 0


# --- A sender that dies, a mail server that fails ------------------------------------------------
def test_an_email_claimed_by_a_sender_that_died_is_sent_once_the_claim_expires(
    committed_without_a_job, case_worker, time_machine
):
    [notification] = committed_without_a_job(users=[case_worker])
    # A worker claimed it and was killed before sending it.
    Notification.objects.filter(pk=notification.pk).update(
        email_status=EmailStatus.SENDING, email_claimed_at=timezone.now()
    )

    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    assert notification_outbox_send()["emails_sent"] == 0  # it may still be sending
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    assert notification_outbox_send()["emails_sent"] == 1

    assert _emails_per_notification() == {notification.pk: 1}
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT and notification.emailed_at is not None


class DownMailServer(MemoryBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("Connection refused")


class RefusingMailServer(MemoryBackend):
    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"No such user")})


def test_a_mail_server_down_stops_the_sweep_and_leaves_every_email_waiting(
    committed_without_a_job, case_worker, supervisor, settings
):
    committed_without_a_job(users=[case_worker, supervisor])
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"

    with pytest.raises(ConnectionRefusedError):
        notification_outbox_send()

    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.PENDING}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_outbox_send()["emails_sent"] == 2


def test_an_address_refused_for_good_is_not_tried_again(
    committed_without_a_job, case_worker, settings, caplog
):
    [notification] = committed_without_a_job(users=[case_worker])
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"

    assert notification_outbox_send()["emails_sent"] == 0

    assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.NOT_SENT
    assert f"Notification {notification.pk}: email refused for good (550)" in caplog.text
    assert case_worker.email not in caplog.text  # no personal data in the log
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_outbox_send()["emails_sent"] == 0


# --- A readable worker log in development -------------------------------------------------------
def test_development_logs_each_email_as_one_line_and_keeps_it_whole_in_a_file(
    committed_without_a_job, case_worker, settings, tmp_path, caplog
):
    settings.EMAIL_BACKEND = "offenderhub.notifications.mail.DevelopmentEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    [notification] = committed_without_a_job(users=[case_worker])

    with caplog.at_level(logging.INFO, logger="offenderhub.notifications.mail"):
        assert notification_outbox_send()["emails_sent"] == 1

    [record] = [r for r in caplog.records if r.name == "offenderhub.notifications.mail"]
    assert record.levelno == logging.INFO
    line = record.getMessage()
    assert "\n" not in line
    subject = notification.subject
    assert line.startswith(f"Email for notification {notification.pk} to 1 recipient: {subject!r}")
    assert case_worker.email not in line
    [saved] = tmp_path.iterdir()
    assert str(saved) in line
    content = saved.read_text()
    assert f"To: {case_worker.email}" in content
    assert notification.body.strip().splitlines()[0] in content


def test_development_settings_choose_the_one_line_email_log_unless_told_otherwise(tmp_path):
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND, getattr(settings, 'EMAIL_FILE_PATH', ''))"
    )

    def email_backend(**env):
        environment = {k: v for k, v in os.environ.items() if k != "EMAIL_URL"}
        environment.update(
            DJANGO_SETTINGS_MODULE="offenderhub.settings", OFFENDERHUB_VAR_DIR=str(tmp_path), **env
        )
        out = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", show],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.split()

    assert email_backend(DEBUG="True") == [
        "offenderhub.notifications.mail.DevelopmentEmailBackend",
        str(tmp_path / "mail"),
    ]
    assert email_backend(DEBUG="True", EMAIL_URL="consolemail://")[0] == (
        "django.core.mail.backends.console.EmailBackend"
    )

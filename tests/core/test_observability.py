"""Operable: /livez and /readyz, a request id on every response and log line, JSON logs without
personal data, Prometheus metrics for allowed scrapers only, Sentry without personal data, and the
whole under gunicorn with several workers."""

import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from factories import UserFactory

from offenderhub.accounts.models import Role
from offenderhub.celery import app as celery_app
from offenderhub.core import observability
from offenderhub.core.models import JobRun
from offenderhub.core.observability import (
    TASK_HEADER,
    JsonFormatter,
    LogContextFilter,
    RequestIdMiddleware,
    current_request_id,
)
from offenderhub.core.sentry import before_send, sentry_configure
from offenderhub.core.services import heartbeat_record

BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_at():
    """``broker_at(url)`` points the Celery app at another broker; its settings come back afterwards."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def point(url):
        celery_app.conf.update(broker_url=url, broker_transport_options={})

    yield point
    celery_app.conf.update(saved)


@pytest.fixture
def unreachable_broker(broker_at):
    broker_at(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there


@pytest.fixture
def hung_broker(broker_at):
    """A broker that accepts the connection and then never answers, like a wedged Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # the kernel completes connections; nobody ever reads them
        broker_at(f"redis://127.0.0.1:{server.getsockname()[1]}/0")
        yield


# --- /livez and /readyz ------------------------------------------------------------------------------
def test_livez_answers_without_touching_the_database_or_the_broker(client, unreachable_broker):
    # No ``db`` fixture: pytest-django fails the test if anything queries the database.
    response = client.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_database_and_broker(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "broker"}
    assert report["checks"]["database"]["status"] == "ok"
    assert report["checks"]["broker"]["status"] == "ok"


def test_readyz_is_unavailable_when_the_broker_is_down(client, db, unreachable_broker):
    started = time.monotonic()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"status": "unavailable", "error": "OperationalError"}
    assert response.json()["checks"]["database"]["status"] == "ok"
    assert time.monotonic() - started < 2


def test_readyz_gives_up_on_a_broker_that_never_answers(client, db, settings, hung_broker):
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    started = time.monotonic()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "unavailable"
    assert time.monotonic() - started < 4  # two attempts of 0.5 s, not the client's default minutes


def test_readyz_is_unavailable_when_the_database_is_down(client, db):
    from django.db import OperationalError

    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "unavailable", "error": "OperationalError"}


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/healthz", "/metrics"])
def test_probes_and_metrics_are_not_redirected_to_https(client, db, settings, path):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(path).status_code == 200
    assert client.get("/login/").status_code == 301  # while pages are


# --- X-Request-ID ---------------------------------------------------------------------------------------
def test_a_request_id_is_made_when_none_is_sent(client, db):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]

    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize("sent", ["abc-123", "Root=1-67891233-abcdef012345678912345678", "a" * 128])
def test_a_sane_request_id_is_honoured(client, db, sent):
    response = client.get("/login/", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent", ["a" * 129, "two words", "<script>", "x\u00e9", "-leading-dash", "", "id;rm -rf"]
)
def test_an_unsafe_request_id_is_replaced(client, db, sent):
    response = client.get("/login/", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32


def test_request_id_is_on_not_found_pages(client, client_for, case_worker):
    assert client.get("/no-such-page/", HTTP_X_REQUEST_ID="nf-1")["X-Request-ID"] == "nf-1"
    response = client_for(case_worker).get("/no-such-page/", HTTP_X_REQUEST_ID="nf-2")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "nf-2"


def test_request_id_is_on_redirects(client, db, settings):
    to_login = client.get("/cases/", HTTP_X_REQUEST_ID="redir-1")
    settings.SECURE_SSL_REDIRECT = True
    to_https = Client().get("/login/", HTTP_X_REQUEST_ID="redir-2")  # a new client reads the setting

    assert (to_login.status_code, to_login["X-Request-ID"]) == (302, "redir-1")
    assert (to_https.status_code, to_https["X-Request-ID"]) == (301, "redir-2")


def test_request_id_is_on_server_errors(client, db, monkeypatch):
    monkeypatch.setattr("offenderhub.core.views.health_report", mock.Mock(side_effect=RuntimeError))
    client.raise_request_exception = False

    response = client.get("/healthz", HTTP_X_REQUEST_ID="boom-1")

    assert response.status_code == 500
    assert response["X-Request-ID"] == "boom-1"
    assert "this reference: <strong>boom-1</strong>" in response.content.decode()  # for the administrator


def test_request_id_is_on_static_files(client, db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve static/ as the collected files would be
    settings.WHITENOISE_AUTOREFRESH = True

    response = client.get("/static/css/app.css", HTTP_X_REQUEST_ID="static-1")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "static-1"


# --- Log lines -------------------------------------------------------------------------------------------
@pytest.fixture
def json_log():
    """What the root logger writes, through the production filter and JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


def test_a_log_line_inside_a_request_carries_its_ids_and_no_email(rf, json_log, case_worker):
    def view(request):
        logging.getLogger("offenderhub.example").warning("Reminder for %s not sent", case_worker.email)
        return HttpResponse()

    request = rf.get("/", HTTP_X_REQUEST_ID="req-42")
    request.user = case_worker

    RequestIdMiddleware(view)(request)

    (line,) = [line for line in json_log() if line["logger"] == "offenderhub.example"]
    assert line["request_id"] == "req-42"
    assert line["user_id"] == case_worker.pk
    assert line["organisation_id"] == case_worker.organisation_id
    assert line["level"] == "WARNING"
    assert line["message"] == "Reminder for [email] not sent"
    assert line["time"].endswith("+00:00")
    assert case_worker.email not in json.dumps(line)
    assert current_request_id() is None  # nothing leaks into what runs after the request


def test_djangos_log_of_a_refused_page_names_ids_only(client_for, case_worker, json_log):
    response = client_for(case_worker).get("/audit/?q=Priya+Shah", HTTP_X_REQUEST_ID="req-403")

    assert response.status_code == 403
    (line,) = [line for line in json_log() if line["logger"] == "django.request"]
    assert line["message"] == "Forbidden (Permission denied): /audit/"
    assert (line["request_id"], line["user_id"], line["organisation_id"]) == (
        "req-403",
        case_worker.pk,
        case_worker.organisation_id,
    )
    text = json.dumps(line)
    for personal in (case_worker.email, case_worker.full_name, "Priya"):
        assert personal not in text  # not the user, and not the query string


def test_a_log_line_outside_any_request_has_empty_ids(json_log):
    logging.getLogger("offenderhub.example").warning("Nightly sweep started")

    (line,) = json_log()
    assert (line["request_id"], line["user_id"], line["organisation_id"]) == (None, None, None)


def _python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "SENTRY_DSN")}
    environment.update(DJANGO_SETTINGS_MODULE="offenderhub.settings_test", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOG_ONE_LINE = "import django, logging; django.setup(); logging.getLogger('offenderhub.x').warning('hello')"


def test_production_logs_one_json_object_per_line_on_standard_output():
    result = _python(LOG_ONE_LINE, DEBUG="False")

    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert {"request_id", "user_id", "organisation_id"} <= set(line)
    assert (line["logger"], line["message"]) == ("offenderhub.x", "hello")


def test_development_logs_are_readable_text():
    result = _python(LOG_ONE_LINE, DEBUG="True")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("WARNING offenderhub.x [None] hello")


# --- Jobs carry the request id ---------------------------------------------------------------------------
def test_a_job_queued_during_a_request_carries_its_request_id(db):
    queue = f"observability-test-{uuid.uuid4().hex}"
    token = observability.request_id_var.set("req-queued")
    try:
        celery_app.send_task("offenderhub.core.tasks.heartbeat", queue=queue)
    finally:
        observability.request_id_var.reset(token)

    with celery_app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue)
        try:
            message = simple.get(timeout=5)
            message.ack()
        finally:
            simple.queue.delete()
            simple.close()
    assert message.headers[TASK_HEADER] == "req-queued"


def test_a_worker_logs_under_the_request_id_of_the_job_it_runs():
    task = mock.Mock()
    task.name = "offenderhub.core.tasks.heartbeat"
    task.request.get = {TASK_HEADER: "req-from-web"}.get

    observability._task_started(task_id="t-1", task=task)
    inside = current_request_id()
    observability._task_finished(task_id="t-1")

    assert inside == "req-from-web"
    assert current_request_id() is None


# --- /metrics ----------------------------------------------------------------------------------------------
METRIC_FAMILIES = [
    "offenderhub_http_requests_total",
    "offenderhub_http_request_duration_seconds",
    "offenderhub_job_runs_total",
    "offenderhub_job_last_success_timestamp_seconds",
    "offenderhub_job_last_run_failed",
    "offenderhub_worker_last_seen_timestamp_seconds",
    "offenderhub_notifications_awaiting_email",
    "offenderhub_queue_depth",
    "offenderhub_audit_events_last_hour",
    "offenderhub_metrics_part_up",
]


def _samples(body: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics_are_served_to_loopback_without_login_or_session(client, db):
    response = client.get("/metrics")  # the test client comes from 127.0.0.1

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    for family in METRIC_FAMILIES:
        assert f"# TYPE {family} " in body
    assert "sessionid" not in response.cookies


def test_metrics_count_requests_by_url_name_not_path(client, client_for, supervisor):
    client_for(supervisor).get(f"/organisations/{supervisor.organisation_id}/")
    client.get("/no-such-page/")

    samples = _samples(client.get("/metrics").content.decode())

    key = 'offenderhub_http_requests_total{method="GET",status="200",view="accounts:organisation"}'
    assert samples[key] >= 1
    assert samples['offenderhub_http_requests_total{method="GET",status="404",view="unresolved"}'] >= 1
    assert not [name for name in samples if "/organisations/" in name]


def test_metrics_show_job_failures_workers_and_notifications(client, db, case_worker):
    from offenderhub.notifications.models import Notification
    from offenderhub.notifications.selectors import notifications_awaiting_email_count

    JobRun.objects.create(job="referral_chase", today="2027-03-01", status=JobRun.Status.SUCCEEDED)
    JobRun.objects.create(job="referral_chase", today="2027-03-02", status=JobRun.Status.FAILED)
    JobRun.objects.create(job="weekly_digest", today="2027-03-01", status=JobRun.Status.SUCCEEDED)
    heartbeat_record()
    Notification.objects.create(
        recipient=case_worker, kind="condition_due", subject="Condition due", body="-", url="/"
    )

    body = client.get("/metrics").content.decode()
    samples = _samples(body)

    assert samples['offenderhub_job_runs_total{job="referral_chase",status="failed"}'] == 1
    assert samples['offenderhub_job_runs_total{job="referral_chase",status="succeeded"}'] == 1
    assert samples['offenderhub_job_last_run_failed{job="referral_chase"}'] == 1
    assert samples['offenderhub_job_last_run_failed{job="weekly_digest"}'] == 0
    assert 'offenderhub_worker_last_seen_timestamp_seconds{worker="default"}' in samples
    assert samples["offenderhub_notifications_awaiting_email"] == notifications_awaiting_email_count() >= 1
    assert samples['offenderhub_queue_depth{queue="celery"}'] >= 0
    assert all(
        value == 1 for name, value in samples.items() if name.startswith("offenderhub_metrics_part_up")
    )
    for personal in (case_worker.email, case_worker.full_name, "Condition due"):
        assert personal not in body


def test_metrics_still_answer_when_the_broker_is_down(client, db, unreachable_broker):
    samples = _samples(client.get("/metrics").content.decode())

    assert samples['offenderhub_metrics_part_up{part="queue"}'] == 0
    assert samples['offenderhub_metrics_part_up{part="jobs"}'] == 1
    assert not [name for name in samples if name.startswith("offenderhub_queue_depth{")]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("127.0.0.1", True), ("10.20.30.40", True), ("203.0.113.5", False), ("::ffff:10.1.1.1", True)],
)
def test_metrics_are_refused_outside_the_allowed_networks(client, db, settings, address, allowed):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32", "10.0.0.0/8"]

    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == (200 if allowed else 404)
    assert (b"offenderhub_http_requests_total" in response.content) is allowed


def test_metrics_through_an_undeclared_proxy_are_refused(client, db):
    # A reverse proxy on the same machine makes every visitor look like 127.0.0.1.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 404


def test_metrics_behind_declared_proxies_check_the_forwarded_address(client, db, settings):
    settings.PROXY_COUNT = 1
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    inside = client.get("/metrics", REMOTE_ADDR="172.17.0.2", HTTP_X_FORWARDED_FOR="10.9.8.7")
    outside = client.get("/metrics", REMOTE_ADDR="172.17.0.2", HTTP_X_FORWARDED_FOR="10.9.8.7, 198.51.100.7")

    assert (inside.status_code, outside.status_code) == (200, 404)


@pytest.mark.parametrize(
    ("configured", "sent", "status"),
    [
        ("s3cret-token", "Bearer s3cret-token", 200),
        ("s3cret-token", "bearer s3cret-token", 200),
        ("s3cret-token", "Bearer s3cret-tokeN", 404),
        ("s3cret-token", "Basic s3cret-token", 404),
        ("s3cret-token", "", 404),
        ("", "Bearer ", 404),
    ],
)
def test_metrics_with_a_token_from_anywhere(client, db, settings, configured, sent, status):
    settings.METRICS_TOKEN = configured
    headers = {"HTTP_AUTHORIZATION": sent} if sent else {}

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5", **headers)

    assert response.status_code == status


def test_signed_in_users_from_outside_get_no_metrics(client_for, db, force):
    administrator = UserFactory(organisation=force, roles=[Role.ADMINISTRATOR])

    response = client_for(administrator).get("/metrics", REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 404


def test_metrics_refuse_post(client, db):
    assert client.post("/metrics").status_code == 405


# --- Sentry ----------------------------------------------------------------------------------------------
def test_sentry_is_not_started_without_a_dsn():
    with mock.patch("sentry_sdk.init") as init:
        started = sentry_configure(dsn="", environment="production", release="")

    assert started is False
    init.assert_not_called()


def test_sentry_is_started_without_personal_data_when_a_dsn_is_set():
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    with mock.patch("sentry_sdk.init") as init:
        started = sentry_configure(dsn="https://key@sentry.example/1", environment="staging", release="abc")

    assert started is True
    options = init.call_args.kwargs
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert (options["environment"], options["release"]) == ("staging", "abc")
    assert {type(i) for i in options["integrations"]} == {DjangoIntegration, CeleryIntegration}
    assert options["before_send"] is before_send


SENTRY_FROM_SETTINGS = (
    "from unittest import mock; import sentry_sdk; init = mock.patch('sentry_sdk.init').start(); "
    "import django; django.setup(); "
    "print(init.call_count, init.call_args.kwargs['send_default_pii'] if init.call_args else '-')"
)


@pytest.mark.parametrize(("dsn", "printed"), [("", "0 -"), ("https://key@sentry.example/1", "1 False")])
def test_settings_start_sentry_only_with_a_dsn(dsn, printed):
    result = _python(SENTRY_FROM_SETTINGS, SENTRY_DSN=dsn, LOG_FORMAT="text")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == printed


def test_sentry_events_lose_request_bodies_cookies_query_strings_and_emails():
    event = {
        "request": {
            "method": "POST",
            "url": "https://offenderhub.example.org/cases/?q=Priya+Shah",
            "query_string": "q=Priya+Shah",
            "data": {"notes": "Lives at 1 High Street"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc", "Authorization": "Bearer x", "X-Request-ID": "req-7"},
            "env": {"REMOTE_ADDR": "192.0.2.1"},
        },
        "user": {"id": 12, "email": "priya.shah@fenshire-police.example", "ip_address": "192.0.2.1"},
        "logentry": {"message": "Could not email %s", "params": ["priya.shah@fenshire-police.example"]},
        "exception": {
            "values": [{"type": "IntegrityError", "value": "Key (email)=(a.b@example.org) exists"}]
        },
        "extra": {"request": "<WSGIRequest: GET '/cases/?q=Priya'>", "status_code": 500},
    }

    cleaned = before_send(event, {})

    assert cleaned["request"] == {
        "method": "POST",
        "url": "https://offenderhub.example.org/cases/",
        "headers": {"X-Request-ID": "req-7"},
    }
    assert cleaned["user"] == {"id": 12}
    assert cleaned["logentry"]["params"] == ["[email]"]
    assert cleaned["exception"]["values"][0]["value"] == "Key (email)=([email]) exists"
    assert "request" not in cleaned["extra"]
    assert "Priya" not in json.dumps(cleaned) and "@" not in json.dumps(cleaned)


# --- Under gunicorn ----------------------------------------------------------------------------------------
def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http:// to our own server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of our own, so that the test can stop it."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],  # noqa: S607
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


@pytest.fixture
def gunicorn(db, tmp_path, private_redis):
    """The web app under gunicorn.conf.py with two workers, on the test database and the private Redis."""
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "DEBUG", "LOG_FORMAT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="offenderhub.settings_test",
        DATABASE_URL=database_url,
        REDIS_URL=private_redis[1],
        ALLOWED_HOSTS="127.0.0.1",
        OFFENDERHUB_VAR_DIR=str(tmp_path / "var"),
        PORT=str(port),
        GUNICORN_WORKERS="2",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "gunicorn.conf.py",
                "offenderhub.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if _get(base + "/livez")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
    yield base, log
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.postgres
def test_gunicorn_serves_pages_probes_and_metrics_from_every_worker(gunicorn, private_redis):
    base, log = gunicorn

    for path in ("/login/?next=/cases/%3Fq%3DPriya", "/livez", "/readyz"):
        status, headers, _ = _get(base + path)
        assert status == 200, path
        assert len(headers["X-Request-ID"]) == 32
    assert _get(base + "/login/", {"X-Request-ID": "gunicorn-1"})[1]["X-Request-ID"] == "gunicorn-1"

    livez = 'offenderhub_http_requests_total{method="GET",status="200",view="livez"}'
    before = _samples(_get(base + "/metrics")[2])[livez]
    for _ in range(10):
        _get(base + "/livez")
    # Ten more answers, from whichever worker took each: the counts of both workers are added up.
    assert _samples(_get(base + "/metrics")[2])[livez] == before + 10

    private_redis[0].kill()
    private_redis[0].wait()
    started = time.monotonic()
    status, headers, body = _get(base + "/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["broker"]["status"] == "unavailable"
    assert time.monotonic() - started < 5
    assert "X-Request-ID" in headers
    assert _get(base + "/livez")[0] == 200

    time.sleep(0.5)  # let the access log lines reach the file
    access = [json.loads(line) for line in log.read_text().splitlines() if '"gunicorn.access"' in line]
    assert {"time", "level", "logger", "message", "method", "path", "status", "request_id"} <= set(access[0])
    assert any(line["request_id"] == "gunicorn-1" for line in access)
    assert any(line["path"] == "/readyz" and line["status"] == 503 for line in access)
    assert "Priya" not in log.read_text()  # query strings are never logged

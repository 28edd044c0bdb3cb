"""One client address for the lock-out, the audit log and /metrics: behind the declared proxies the
address they recorded, never one the client wrote itself."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.core.client_ip import client_ip

FORGED = "198.51.100.66"
REAL = "203.0.113.7"
PROXY = "10.0.0.2"


def _request(remote_addr, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_proxies_the_forwarded_header_is_ignored(settings):
    settings.PROXY_COUNT = 0

    assert client_ip(_request(REAL, forwarded=FORGED)) == REAL
    assert client_ip(_request(PROXY, forwarded=f"{FORGED}, {REAL}")) == PROXY


def test_behind_one_proxy_the_address_it_recorded_is_the_client(settings):
    settings.PROXY_COUNT = 1

    assert client_ip(_request(PROXY, forwarded=REAL)) == REAL
    # A client that sends its own X-Forwarded-For: the proxy appends the real address to it.
    assert client_ip(_request(PROXY, forwarded=f"{FORGED}, {REAL}")) == REAL
    assert client_ip(_request(PROXY, forwarded=f"{FORGED}, 10.1.2.3, {REAL}")) == REAL


def test_behind_two_proxies_the_outer_ones_record_is_the_client(settings):
    settings.PROXY_COUNT = 2

    assert client_ip(_request(PROXY, forwarded=f"{FORGED}, {REAL}, 10.0.0.9")) == REAL


def test_a_connection_from_outside_the_trusted_proxies_is_judged_by_its_own_address(settings):
    # Port 8000 published: a request that goes around the proxy cannot choose its address.
    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]

    assert client_ip(_request(REAL, forwarded=FORGED)) == REAL
    assert client_ip(_request("10.0.0.5", forwarded=REAL)) == REAL


def test_a_request_without_the_header_is_its_connecting_address(settings):
    settings.PROXY_COUNT = 1

    assert client_ip(_request(PROXY)) == PROXY


def test_addresses_are_normalised(settings):
    settings.PROXY_COUNT = 1

    assert client_ip(_request("::ffff:10.0.0.2", forwarded="[2001:db8::1]:4711")) == "2001:db8::1"
    assert client_ip(_request(PROXY, forwarded="::ffff:203.0.113.7")) == REAL
    assert client_ip(_request(PROXY, forwarded="not-an-address")) is None
    settings.PROXY_COUNT = 0
    assert client_ip(_request("::ffff:203.0.113.7")) == REAL


@pytest.mark.django_db
def test_audit_and_lock_out_record_the_same_address_behind_a_proxy(client, settings, case_worker):
    settings.PROXY_COUNT = 1

    client.post(
        "/login/",
        {"username": case_worker.email, "password": "not-the-password-1"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {REAL}",
    )

    assert AccessAttempt.objects.get().ip_address == REAL
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip_address == REAL


@pytest.mark.django_db
def test_without_proxies_audit_and_lock_out_ignore_a_forged_header(client, settings, case_worker):
    settings.PROXY_COUNT = 0

    client.post(
        "/login/",
        {"username": case_worker.email, "password": "not-the-password-1"},
        REMOTE_ADDR=REAL,
        HTTP_X_FORWARDED_FOR=FORGED,
    )

    assert AccessAttempt.objects.get().ip_address == REAL
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip_address == REAL


@pytest.mark.django_db
def test_forged_addresses_do_not_escape_the_account_lock_out(client, settings, case_worker):
    settings.PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": case_worker.email, "password": "not-the-password-1"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, {REAL}",
        )

    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT

"""The absolute session lifetime: however busy, a session ends SESSION_ABSOLUTE_LIFETIME_HOURS after
its sign-in, beside the idle timeout, and the person is told why on the sign-in page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from factories import PASSWORD
from pytest_django.asserts import assertContains, assertRedirects

from offenderhub.accounts.middleware import SIGNED_IN_AT_SESSION_KEY
from offenderhub.accounts.two_factor import current_code
from offenderhub.audit.models import AuditAction, AuditEvent

BUSY = timedelta(minutes=25)  # a request this often keeps the session clear of the 30-minute idle timeout


def _keep_busy(client, time_machine, until):
    """A request every 25 minutes until ``until``; returns the last response."""
    response = None
    while timezone.now() + BUSY < until:
        time_machine.move_to(timezone.localtime() + BUSY)
        response = client.get("/")
        assert response.status_code == 200, f"signed out early, at {timezone.localtime():%H:%M}"
    return response


def test_absolute_lifetime_is_twelve_hours_by_default():
    assert settings.SESSION_ABSOLUTE_LIFETIME_HOURS == 12
    assert settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600 > settings.SESSION_COOKIE_AGE


def test_a_busy_session_ends_twelve_hours_after_sign_in(client_for, case_worker, time_machine):
    client = client_for(case_worker)
    signed_in = timezone.now()
    assert client.get("/").status_code == 200

    _keep_busy(client, time_machine, signed_in + timedelta(hours=12) - timedelta(minutes=1))
    time_machine.move_to(timezone.localtime(signed_in) + timedelta(hours=12, minutes=1))
    response = client.get("/cases/")

    assertRedirects(response, "/login/?next=/cases/", fetch_redirect_response=False)
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"])
    assertContains(page, "You were signed out because you signed in more than 12 hours ago")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=case_worker).count() == 1


def test_the_lifetime_counts_from_the_sign_in_itself(case_worker, time_machine, settings):
    settings.SESSION_ABSOLUTE_LIFETIME_HOURS = 1
    device = TOTPDevice.objects.create(user=case_worker, confirmed=True)
    client = Client()
    client.post("/login/", {"username": case_worker.email, "password": PASSWORD})
    signed_in_at = client.session[SIGNED_IN_AT_SESSION_KEY]
    assert abs(signed_in_at - timezone.now().timestamp()) < 5
    time_machine.move_to(timezone.localtime() + timedelta(minutes=20))
    client.post("/account/two-factor/", {"code": current_code(device)})
    assert client.session[SIGNED_IN_AT_SESSION_KEY] == signed_in_at  # the code does not restart it

    time_machine.move_to(timezone.localtime() + timedelta(minutes=25))
    assert client.get("/").status_code == 200
    time_machine.move_to(timezone.localtime() + timedelta(minutes=16))  # 61 minutes after the password
    assert client.get("/")["Location"].startswith("/login/")


@pytest.mark.parametrize("hours", [2, 12])
def test_the_lifetime_follows_the_setting(client_for, case_worker, time_machine, settings, hours):
    settings.SESSION_ABSOLUTE_LIFETIME_HOURS = hours
    client = client_for(case_worker)
    start = timezone.now()
    client.get("/")

    _keep_busy(client, time_machine, start + timedelta(hours=hours) - timedelta(minutes=1))
    time_machine.move_to(timezone.localtime(start) + timedelta(hours=hours, minutes=1))

    assert client.get("/")["Location"].startswith("/login/")


def test_signing_in_again_starts_a_new_lifetime(client_for, case_worker, time_machine):
    client = client_for(case_worker)
    client.get("/")
    time_machine.move_to(timezone.localtime() + timedelta(hours=12, minutes=1))
    assert client.get("/")["Location"].startswith("/login/")

    client.post("/login/", {"username": case_worker.email, "password": PASSWORD})
    client.post("/account/two-factor/", {"code": current_code(TOTPDevice.objects.get(user=case_worker))})

    assert client.get("/").status_code == 200
    assert abs(client.session[SIGNED_IN_AT_SESSION_KEY] - timezone.now().timestamp()) < 5

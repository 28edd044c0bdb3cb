"""Signing in and out, lock-out after repeated failures, the idle timeout and password rules."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone
from factories import PASSWORD
from pytest_django.asserts import assertContains, assertRedirects, assertTemplateUsed

from offenderhub.audit.models import AuditAction, AuditEvent


def _sign_in(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def _signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_login_page_has_one_form_with_csrf_token(client, db):
    response = client.get("/login/")

    assert response.content.decode().count("<form") == 1
    assertContains(response, 'name="csrfmiddlewaretoken"')
    assertContains(response, 'name="username"')


def test_user_signs_in_with_email_and_password(client, case_worker):
    response = _sign_in(client, case_worker.email, PASSWORD)

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert _signed_in_user_id(client) == str(case_worker.pk)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == case_worker
    assert event.actor_label == case_worker.email
    assert event.actor_organisation == case_worker.organisation
    assert event.ip_address == "127.0.0.1"
    case_worker.refresh_from_db()
    assert case_worker.last_login is not None


def test_email_is_not_case_sensitive_at_sign_in(client, case_worker):
    response = _sign_in(client, case_worker.email.upper(), PASSWORD)

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(case_worker.pk)


def test_sign_in_follows_next_on_this_site_only(client, supervisor):
    response = client.post(
        "/login/", {"username": supervisor.email, "password": PASSWORD, "next": "https://evil.example/"}
    )

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_wrong_password_is_refused_and_audited(client, case_worker):
    response = _sign_in(client, case_worker.email, "not-the-password-1")

    assert response.status_code == 200
    assertContains(response, "Enter a correct email address and password")
    assert _signed_in_user_id(client) is None
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert case_worker.email in event.actor_label
    assert event.actor is None
    assert event.ip_address == "127.0.0.1"
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_inactive_user_cannot_sign_in(client, case_worker):
    case_worker.is_active = False
    case_worker.save(update_fields=["is_active"])

    response = _sign_in(client, case_worker.email, PASSWORD)

    assert response.status_code == 200
    assert _signed_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_account_is_locked_after_repeated_failures(client, case_worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, case_worker.email, "not-the-password-1")

    response = _sign_in(client, case_worker.email, PASSWORD)

    assert response.status_code == 429
    assertTemplateUsed(response, "registration/locked_out.html")
    assertContains(response, "Your account is locked", status_code=429)
    assert _signed_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    # The refused attempt during the lock-out is a failed sign-in too.
    assert (
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == settings.AXES_FAILURE_LIMIT + 1
    )
    locked = AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT)
    assert locked.exists()
    assert all(case_worker.email in event.actor_label for event in locked)
    assert (
        AccessAttempt.objects.get(username=case_worker.email).failures_since_start
        >= settings.AXES_FAILURE_LIMIT
    )


def test_changing_the_case_of_the_email_does_not_dodge_the_lock_out(client, case_worker):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = case_worker.email.upper() if attempt % 2 else case_worker.email.title()
        _sign_in(client, email, "not-the-password-1")

    response = _sign_in(client, case_worker.email, PASSWORD)

    assert response.status_code == 429
    assert _signed_in_user_id(client) is None
    assert AccessAttempt.objects.get().username == case_worker.email


def test_successful_sign_in_clears_earlier_failures(client, case_worker):
    _sign_in(client, case_worker.email, "not-the-password-1")

    _sign_in(client, case_worker.email, PASSWORD)

    assert not AccessAttempt.objects.exists()


def test_failures_below_the_limit_do_not_lock_the_account(client, case_worker):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, case_worker.email, "not-the-password-1")

    response = _sign_in(client, case_worker.email, PASSWORD)

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(case_worker.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()


def test_logout_needs_post(client_for, case_worker):
    client = client_for(case_worker)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert _signed_in_user_id(client) == str(case_worker.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()


def test_logout_signs_out_and_is_audited(client_for, case_worker):
    client = client_for(case_worker)

    response = client.post("/logout/")

    assertRedirects(response, "/login/", fetch_redirect_response=False)
    assert _signed_in_user_id(client) is None
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert event.actor == case_worker


# --- Idle timeout --------------------------------------------------------------------------------------
def test_session_lasts_the_idle_timeout():
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    assert settings.SESSION_REFRESH_SECONDS < settings.SESSION_COOKIE_AGE


def test_a_request_pushes_the_session_expiry_back(client_for, case_worker):
    client = client_for(case_worker)
    client.get("/")
    session = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=2))
    idle = timedelta(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES)

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_REFRESH_SECONDS)):
        before = timezone.now()
        assert client.get("/").status_code == 200
        expires = Session.objects.get(pk=session.pk).expire_date
        assert before + idle - timedelta(seconds=5) <= expires <= timezone.now() + idle


def test_requests_within_the_refresh_interval_write_nothing(client_for, case_worker):
    client = client_for(case_worker)
    client.get("/")
    session = Session.objects.get(session_key=client.session.session_key)
    soon = timezone.now() + timedelta(minutes=2)
    Session.objects.filter(pk=session.pk).update(expire_date=soon)

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_REFRESH_SECONDS - 5)):
        assert client.get("/").status_code == 200

    assert Session.objects.get(pk=session.pk).expire_date == soon


def test_expired_session_is_treated_as_anonymous(client_for, case_worker):
    client = client_for(case_worker)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/")

    assertRedirects(response, "/login/?next=/", fetch_redirect_response=False)


# --- Passwords -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("password", ["password123", "Xk9#mQ2vL", "123456789012345", "qwertyuiop"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_similar_to_email_is_refused(case_worker):
    with pytest.raises(ValidationError):
        validate_password(case_worker.email.split("@")[0] + "x", user=case_worker)


def test_long_uncommon_password_is_accepted(case_worker):
    validate_password(PASSWORD, user=case_worker)

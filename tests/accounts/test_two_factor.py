"""Two-factor sign-in: a correct password alone reaches nothing but the code page; a code from the
authenticator app (or a recovery code, once) reaches the service; first sign-in sets the app up; an
administrator of the person's own organisation can reset it."""

import os
import re
import subprocess
import sys
from base64 import b32decode
from binascii import hexlify
from datetime import timedelta
from io import StringIO
from urllib.parse import quote

import pytest
from broker_support import celery_configured
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from factories import PASSWORD, UserFactory
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from offenderhub.accounts.models import Role
from offenderhub.accounts.two_factor import current_code, recovery_codes_replace
from offenderhub.audit.models import AuditAction, AuditEvent

CODE_PAGE = "/account/two-factor/"
SET_UP_PAGE = "/account/two-factor/set-up/"
RECOVERY_PAGE = "/account/two-factor/recovery-code/"
CODES_PAGE = "/account/two-factor/recovery-codes/"


@pytest.fixture
def jobs_run_at_once():
    """Queued jobs (the account emails) run in the test process, so mail.outbox shows them."""
    with celery_configured(task_always_eager=True):
        yield


@pytest.fixture
def enrolled(force):
    """A supervisor and administrator of the force, with an authenticator app set up."""
    user = UserFactory(
        full_name="Grace Okafor", organisation=force, roles=[Role.SUPERVISOR, Role.ADMINISTRATOR]
    )
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


def _device(user):
    return TOTPDevice.objects.get(user=user, confirmed=True)


def _password_only(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _verified(client):
    return DEVICE_ID_SESSION_KEY in client.session


# --- A password alone is not enough ----------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/cases/",
        "/organisations/",
        "/notifications/",
        "/audit/",
        "/reports/",
        "/reports/export/status.csv",  # a download, not a page
        "/admin/",
        "/admin/accounts/user/",
        "/account/password/",
        "/account/two-factor/recovery-codes/",
    ],
)
def test_correct_password_alone_reaches_only_the_code_page(enrolled, path):
    client = _password_only(enrolled)

    response = client.get(path)

    assertRedirects(response, f"{CODE_PAGE}?next={quote(path)}", fetch_redirect_response=False)
    assert not _verified(client)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED).exists()


def test_a_form_posted_with_a_password_alone_is_not_acted_on(enrolled):
    client = _password_only(enrolled)

    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": "x", "new_password2": "x"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(CODE_PAGE)
    enrolled.refresh_from_db()
    assert enrolled.check_password(PASSWORD)


def test_code_page_asks_for_the_code(enrolled):
    client = _password_only(enrolled)

    response = client.get(CODE_PAGE)

    assert response.status_code == 200
    assertContains(response, "Enter your security code")
    assertContains(response, 'autocomplete="one-time-code"')
    assertContains(response, RECOVERY_PAGE)
    assertNotContains(response, "moj-primary-navigation")  # nor the inbox's count, before the code


def test_sign_out_needs_no_code(enrolled):
    client = _password_only(enrolled)

    response = client.post("/logout/")

    assertRedirects(response, "/login/", fetch_redirect_response=False)
    assert client.get(CODE_PAGE).status_code == 302
    assert client.get(CODE_PAGE)["Location"].startswith("/login/")


# --- The code --------------------------------------------------------------------------------------
def test_wrong_code_is_refused_with_a_message_and_audited(enrolled):
    client = _password_only(enrolled)
    wrong = f"{(int(current_code(_device(enrolled))) + 1) % 1_000_000:06d}"

    response = client.post(CODE_PAGE, {"code": wrong})

    assert response.status_code == 200
    assertContains(response, "There is a problem")
    assertContains(response, "The security code is not right")
    assert not _verified(client)
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor == enrolled
    assert event.reason == "Wrong security code"
    assert event.owner_organisation == enrolled.organisation


def test_empty_code_is_refused(enrolled):
    response = _password_only(enrolled).post(CODE_PAGE, {"code": ""})

    assertContains(response, "Enter the security code from your authenticator app")


def test_right_code_reaches_home_under_a_new_session_key(enrolled):
    client = _password_only(enrolled)
    key_before = client.session.session_key

    response = client.post(CODE_PAGE, {"code": current_code(_device(enrolled))})

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert _verified(client)
    assert client.session.session_key != key_before
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_code_page_goes_on_to_the_page_asked_for(enrolled):
    client = _password_only(enrolled)
    asked = client.get("/organisations/")["Location"]

    response = client.post(asked, {"code": current_code(_device(enrolled))})

    assertRedirects(response, "/organisations/", fetch_redirect_response=False)


def test_the_code_page_never_goes_on_to_another_site(enrolled):
    client = _password_only(enrolled)

    response = client.post(
        f"{CODE_PAGE}?next=https://evil.example/", {"code": current_code(_device(enrolled))}
    )

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_a_code_works_once(enrolled, time_machine):
    code = current_code(_device(enrolled))
    _password_only(enrolled).post(CODE_PAGE, {"code": code})
    other = _password_only(enrolled)

    response = other.post(CODE_PAGE, {"code": code})

    assertContains(response, "The security code is not right")
    assert not _verified(other)


def test_after_a_wrong_code_the_next_must_wait(enrolled, time_machine):
    client = _password_only(enrolled)
    client.post(CODE_PAGE, {"code": "000000" if current_code(_device(enrolled)) != "000000" else "111111"})

    too_soon = client.post(CODE_PAGE, {"code": current_code(_device(enrolled))})
    time_machine.move_to(timezone.localtime() + timedelta(seconds=2))
    later = client.post(CODE_PAGE, {"code": current_code(_device(enrolled))})

    assertContains(too_soon, "Too many wrong codes. Wait")
    assertRedirects(later, "/", fetch_redirect_response=False)


def test_another_persons_session_device_does_not_verify(enrolled, force):
    """The session names the device that verified it; a device of someone else's counts for nothing."""
    client = _password_only(enrolled)
    stranger = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=stranger, confirmed=True).persistent_id
    session.save()

    assert client.get("/").status_code == 302


# --- Recovery codes --------------------------------------------------------------------------------
def test_recovery_codes_work_once_each(enrolled, time_machine):
    first, second, *_ = recovery_codes_replace(enrolled)
    client = _password_only(enrolled)

    response = client.post(RECOVERY_PAGE, {"code": first.upper()})  # as typed, in capitals

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(
        action=AuditAction.LOGIN, reason__startswith="Signed in with a recovery code"
    )
    assert event.reason == "Signed in with a recovery code (9 left)"
    assert event.actor == enrolled

    again = _password_only(enrolled)
    refused = again.post(RECOVERY_PAGE, {"code": first})
    assertContains(refused, "The recovery code is not right, or has been used")
    assert not _verified(again)
    time_machine.move_to(timezone.localtime() + timedelta(seconds=2))  # the wait after a wrong code
    assertRedirects(again.post(RECOVERY_PAGE, {"code": second}), "/", fetch_redirect_response=False)
    assert StaticToken.objects.filter(device__user=enrolled).count() == 8


def test_a_security_code_is_not_a_recovery_code(enrolled):
    recovery_codes_replace(enrolled)
    client = _password_only(enrolled)

    response = client.post(RECOVERY_PAGE, {"code": current_code(_device(enrolled))})

    assert response.status_code == 200
    assert not _verified(client)


def test_recovery_codes_of_another_person_do_not_work(enrolled, force):
    stranger = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
    TOTPDevice.objects.create(user=stranger, confirmed=True)
    (code, *_) = recovery_codes_replace(stranger)
    recovery_codes_replace(enrolled)
    client = _password_only(enrolled)

    client.post(RECOVERY_PAGE, {"code": code})

    assert not _verified(client)
    assert StaticToken.objects.filter(device__user=stranger, token=code).exists()


# --- Setting up the authenticator app ---------------------------------------------------------------
def _secret_on(page) -> bytes:
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page.content.decode()).group(1)
    return b32decode(secret.replace(" ", ""))


def _code_for(secret: bytes) -> str:
    return f"{totp(secret):06d}"


def test_first_sign_in_sets_up_the_app_and_shows_recovery_codes_once(force, time_machine):
    user = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
    client = _password_only(user)

    assertRedirects(client.get("/cases/"), f"{CODE_PAGE}?next=/cases/", fetch_redirect_response=False)
    assertRedirects(
        client.get(f"{CODE_PAGE}?next=/cases/"),
        f"{SET_UP_PAGE}?next=%2Fcases%2F",
        fetch_redirect_response=False,
    )
    page = client.get(f"{SET_UP_PAGE}?next=/cases/")
    assertContains(page, "Set up your authenticator app")
    assertContains(page, 'src="data:image/svg+xml')
    secret = _secret_on(page)
    assert hexlify(secret).decode() == TOTPDevice.objects.get(user=user).key
    assert _secret_on(client.get(SET_UP_PAGE)) == secret  # the same app, however often it is opened
    wrong = f"{(int(_code_for(secret)) + 1) % 1_000_000:06d}"
    assertContains(
        client.post(f"{SET_UP_PAGE}?next=/cases/", {"code": wrong}), "The security code is not right"
    )
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    time_machine.move_to(timezone.localtime() + timedelta(seconds=2))  # the wait after a wrong code
    response = client.post(f"{SET_UP_PAGE}?next=/cases/", {"code": _code_for(secret)})

    assertRedirects(response, f"{CODES_PAGE}?next=%2Fcases%2F", fetch_redirect_response=False)
    assert TOTPDevice.objects.get(user=user).confirmed
    codes_page = client.get(f"{CODES_PAGE}?next=/cases/")
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assertContains(
        client.post(f"{CODES_PAGE}?next=/cases/", {}), "Confirm that you have saved your recovery codes"
    )
    assertRedirects(
        client.post(f"{CODES_PAGE}?next=/cases/", {"saved": "on"}), "/cases/", fetch_redirect_response=False
    )
    assert client.get("/cases/").status_code == 200
    assertRedirects(client.get(CODES_PAGE), "/", fetch_redirect_response=False)  # shown once
    assert AuditEvent.objects.filter(
        actor=user, action=AuditAction.CHANGED, reason="Second factor set up (authenticator app)"
    ).exists()
    # A recovery code shown then works at a later sign-in.
    later = _password_only(user)
    assertRedirects(later.post(RECOVERY_PAGE, {"code": codes[3]}), "/", fetch_redirect_response=False)


def test_someone_with_an_app_cannot_set_up_another_with_the_password_alone(enrolled):
    client = _password_only(enrolled)

    response = client.get(SET_UP_PAGE)

    assertRedirects(response, CODE_PAGE, fetch_redirect_response=False)
    assert TOTPDevice.objects.filter(user=enrolled).count() == 1


def test_the_set_up_page_shows_no_script_or_inline_style(force):
    page = _password_only(UserFactory(organisation=force, roles=[Role.CASE_WORKER])).get(SET_UP_PAGE)

    assertNotContains(page, "style=")
    assertNotContains(page, "<script>")
    assert "img-src 'self' data:" in page["Content-Security-Policy"]


# --- An administrator's reset ----------------------------------------------------------------------
def _reset_url(user):
    return f"/admin/accounts/user/{user.pk}/second-factor/reset/"


def test_administrator_resets_a_colleagues_second_factor(
    client_for, administrator, enrolled, jobs_run_at_once, django_capture_on_commit_callbacks
):
    recovery_codes_replace(enrolled)
    colleague_session = client_for(enrolled)
    admin = client_for(administrator)
    assertContains(admin.get(f"/admin/accounts/user/{enrolled.pk}/change/"), _reset_url(enrolled))
    assertContains(admin.get(_reset_url(enrolled)), "Reset the second factor of Grace Okafor")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(_reset_url(enrolled))

    assertRedirects(response, f"/admin/accounts/user/{enrolled.pk}/change/", fetch_redirect_response=False)
    assert not TOTPDevice.objects.filter(user=enrolled).exists()
    assert not StaticDevice.objects.filter(user=enrolled).exists()
    event = AuditEvent.objects.get(
        action=AuditAction.CHANGED, reason="Second factor reset by an administrator"
    )
    assert event.actor == administrator
    assert event.object_id == str(enrolled.pk)
    assert event.owner_organisation == enrolled.organisation
    (email,) = mail.outbox
    assert email.to == [enrolled.email]
    assert "second factor was reset" in email.subject
    assert "set up your authenticator app again" in email.body
    # The colleague's session loses its second factor at once, and sets up a new app.
    assertRedirects(colleague_session.get("/"), f"{CODE_PAGE}?next=/", fetch_redirect_response=False)
    assertRedirects(colleague_session.get(CODE_PAGE), SET_UP_PAGE, fetch_redirect_response=False)


def test_resetting_twice_is_harmless(client_for, administrator, enrolled, jobs_run_at_once):
    admin = client_for(administrator)
    admin.post(_reset_url(enrolled))

    response = admin.post(_reset_url(enrolled))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(reason="Second factor reset by an administrator").count() == 1


def test_another_organisations_administrator_cannot_reset(client_for, outsider_administrator, enrolled):
    admin = client_for(outsider_administrator)

    assert admin.get(_reset_url(enrolled)).status_code == 404
    assert admin.post(_reset_url(enrolled)).status_code == 404
    assert TOTPDevice.objects.filter(user=enrolled).exists()
    assert not AuditEvent.objects.filter(reason="Second factor reset by an administrator").exists()


def test_someone_who_is_not_an_administrator_cannot_reset(client_for, supervisor, enrolled):
    response = client_for(supervisor).post(_reset_url(enrolled))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert TOTPDevice.objects.filter(user=enrolled).exists()


def test_administrator_cannot_reset_their_own(client_for, enrolled):
    assert client_for(enrolled).post(_reset_url(enrolled)).status_code == 403
    assert TOTPDevice.objects.filter(user=enrolled, name="Phone").exists()


# --- The setting and the demo ----------------------------------------------------------------------
def test_two_factor_can_be_turned_off_for_a_demo_only(enrolled, settings):
    settings.TWO_FACTOR_REQUIRED = False
    settings.DEBUG = False
    assert _password_only(enrolled).get("/").status_code == 302  # production settings: still asked

    settings.DEBUG = True
    assert _password_only(enrolled).get("/").status_code == 200


def test_settings_refuse_to_start_without_two_factor_when_debug_is_off():
    env = {**os.environ, "DEBUG": "False", "TWO_FACTOR_REQUIRED": "False", "SECRET_KEY": "x" * 50}
    refused = subprocess.run(
        [sys.executable, "-c", "import offenderhub.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    allowed = subprocess.run(
        [sys.executable, "-c", "import offenderhub.settings"],
        env={**env, "DEBUG": "True"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )

    assert refused.returncode != 0
    assert "TWO_FACTOR_REQUIRED=False is for a demo only" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def test_demo_users_sign_in_with_the_code_the_command_prints(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_codes", stdout=out)
    lines = dict(line.split() for line in out.getvalue().strip().splitlines())
    assert len(lines) == 12
    assert all(re.fullmatch(r"\d{6}", code) for code in lines.values())
    from offenderhub.core.demo import DEMO_PASSWORD

    client = Client()
    client.post("/login/", {"username": "admin@fenshire-police.example", "password": DEMO_PASSWORD})
    response = client.post(CODE_PAGE, {"code": lines["admin@fenshire-police.example"]})

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert client.get("/admin/").status_code == 200


def test_demo_codes_never_prints_an_app_a_person_set_up(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    user = TOTPDevice.objects.get(user__email="supervisor@fenshire-police.example").user
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="Own phone", confirmed=True)
    out = StringIO()

    call_command("demo_codes", user.email, stdout=out)

    assert "no demo authenticator" in out.getvalue()
    with pytest.raises(CommandError, match="not a demo user"):
        call_command("demo_codes", "someone@else.example", stdout=StringIO())

"""Passwords people manage themselves: changing one's own (with the current one), resetting it by an
emailed link that works once and for an hour and says nothing about who has an account, the NCSC's
rules, and every change audited and emailed. A reset never skips the second factor."""

import re
from datetime import timedelta

import pytest
from broker_support import celery_configured
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from factories import PASSWORD, UserFactory
from pytest_django.asserts import assertContains, assertRedirects

from offenderhub.accounts.models import Role
from offenderhub.accounts.passwords import ServiceWordsValidator, made_of_words
from offenderhub.accounts.two_factor import current_code
from offenderhub.audit.models import AuditAction, AuditEvent

NEW_PASSWORD = "lantern-orchard-velvet-42"
RESET_PAGE = "/account/password-reset/"
CHANGE_PAGE = "/account/password/"


@pytest.fixture(autouse=True)
def jobs_run_at_once():
    """Account emails are sent by a job: here it runs in the test process, into mail.outbox."""
    with celery_configured(task_always_eager=True):
        yield


@pytest.fixture
def person(force):
    user = UserFactory(
        full_name="Priya Shah",
        email="priya.shah@fenshire-police.example",
        organisation=force,
        roles=[Role.CASE_WORKER],
    )
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


def _change(client, old, new, confirm=None):
    return client.post(
        CHANGE_PAGE,
        {"old_password": old, "new_password1": new, "new_password2": new if confirm is None else confirm},
    )


# --- Changing one's own password ---------------------------------------------------------------------
def test_person_changes_their_password_audited_and_emailed(
    client_for, person, django_capture_on_commit_callbacks
):
    client = client_for(person)
    other_session = client_for(person)
    page = client.get(CHANGE_PAGE)
    assertContains(page, "Change your password")
    assert page.content.decode().count("<form") == 2  # this one and the header's "Sign out", not nested

    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client, PASSWORD, NEW_PASSWORD)

    assertRedirects(response, "/", fetch_redirect_response=False)
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, reason="Password changed")
    assert event.actor == person
    assert event.object_id == str(person.pk)
    assert event.owner_organisation == person.organisation
    (email,) = mail.outbox
    assert email.to == [person.email]
    assert email.subject == "Your Offender Hub password was changed"
    assert NEW_PASSWORD not in email.body
    assert client.get("/").status_code == 200  # this session carries on, second factor and all
    assert other_session.get("/")["Location"].startswith("/login/")  # every other session ends


def test_wrong_current_password_changes_nothing(client_for, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client_for(person), "not-my-password-9", NEW_PASSWORD)

    assertContains(response, "There is a problem")
    assertContains(response, "Your old password was entered incorrectly")
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(reason="Password changed").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-1", "at least 12 characters"),
        ("password1234", "too common"),
        ("priya.shah.fenshire", "too similar to the"),
        ("OffenderHub-2026!", "too easy to guess"),
        ("Fenshire-Constabulary-1", "too easy to guess"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(client_for, person, new, message):
    response = _change(client_for(person), PASSWORD, new)

    assertContains(response, message)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_new_passwords_must_match(client_for, person):
    assertContains(_change(client_for(person), PASSWORD, NEW_PASSWORD, "something-else-1234"), "didn’t match")


def test_no_composition_rules_a_long_lower_case_passphrase_is_fine(person):
    validate_password("correct horse battery staple", user=person)


def test_anonymous_person_cannot_open_the_change_page(client, db):
    assert client.get(CHANGE_PAGE)["Location"].startswith("/login/")


def test_the_admins_own_password_page_is_the_same_page(client_for, administrator):
    response = client_for(administrator).get("/admin/password_change/")

    assertRedirects(response, CHANGE_PAGE, fetch_redirect_response=False)


def test_an_administrator_setting_a_password_tells_the_person(
    client_for, administrator, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(administrator).post(
            f"/admin/accounts/user/{person.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert [email.to for email in mail.outbox] == [[person.email]]
    assert AuditEvent.objects.filter(
        actor=administrator, action=AuditAction.CHANGED, object_id=str(person.pk)
    )


# --- The deny-list of the service's own words ---------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("OffenderHub2026!", True),
        ("police-police-police", True),
        ("Fenshire-Constabulary-99", True),  # the person's organisation
        ("Fenshire-otter-kettle-99", False),
        ("hubcap-tangerine-9", False),
        ("0000000000000", False),  # no letters: the numeric and common validators' business
    ],
)
def test_service_words_validator(person, password, refused):
    validator = ServiceWordsValidator()
    if refused:
        with pytest.raises(ValidationError):
            validator.validate(password, user=person)
    else:
        validator.validate(password, user=person)


def test_made_of_words():
    assert made_of_words("offenderhubpolice", frozenset({"offender", "hub", "police"}))
    assert not made_of_words("offenderhubx", frozenset({"offender", "hub"}))


# --- Reset by email ------------------------------------------------------------------------------------
def _ask_for_reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RESET_PAGE, {"email": email})


def _link_in(email) -> str:
    return re.search(r"https?://\S+/account/password-reset/\S+/\S+/", email.body).group(0)


def test_reset_page_answers_the_same_for_unknown_addresses(
    client, person, django_capture_on_commit_callbacks
):
    known = _ask_for_reset(client, person.email.upper(), django_capture_on_commit_callbacks)
    unknown = _ask_for_reset(client, "nobody@fenshire-police.example", django_capture_on_commit_callbacks)

    assertRedirects(known, "/account/password-reset/sent/", fetch_redirect_response=False)
    assert unknown.status_code == known.status_code
    assert unknown["Location"] == known["Location"]
    assert [email.to for email in mail.outbox] == [[person.email]]
    sent = client.get(known["Location"])
    assertContains(sent, "If the address you entered belongs to an account")
    assertContains(sent, "60 minutes")


def test_no_reset_email_for_a_deactivated_account(client, person, django_capture_on_commit_callbacks):
    person.is_active = False
    person.save(update_fields=["is_active"])

    response = _ask_for_reset(client, person.email, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert mail.outbox == []


def test_reset_link_sets_a_new_password_once_and_the_second_factor_is_still_asked(
    client, person, django_capture_on_commit_callbacks
):
    _ask_for_reset(client, person.email, django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert email.subject == "Reset your Offender Hub password"
    link = _link_in(email)
    mail.outbox.clear()

    form = client.get(link, follow=True)
    assertContains(form, "Set a new password")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )

    assertRedirects(response, "/login/", fetch_redirect_response=False)
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert client.get("/")["Location"].startswith("/login/")  # the link signed nobody in
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, reason="Password reset with an emailed link")
    assert event.actor == person
    assert [e.subject for e in mail.outbox] == ["Your Offender Hub password was changed"]
    # Used once: the link no longer works.
    assertContains(Client().get(link, follow=True), "This link has expired")
    # Signing in with the new password still asks for the code.
    client.post("/login/", {"username": person.email, "password": NEW_PASSWORD})
    assertRedirects(client.get("/"), "/account/two-factor/?next=/", fetch_redirect_response=False)
    device = TOTPDevice.objects.get(user=person)
    assertRedirects(
        client.post("/account/two-factor/", {"code": current_code(device)}),
        "/",
        fetch_redirect_response=False,
    )


def test_reset_link_expires_after_an_hour(client, person, time_machine, django_capture_on_commit_callbacks):
    _ask_for_reset(client, person.email, django_capture_on_commit_callbacks)
    link = _link_in(mail.outbox[0])

    time_machine.move_to(timezone.localtime() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))

    assertContains(client.get(link, follow=True), "This link has expired")
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_a_reset_link_for_one_person_does_not_work_for_another(
    client, person, force, django_capture_on_commit_callbacks
):
    other = UserFactory(organisation=force, roles=[Role.CASE_WORKER])
    _ask_for_reset(client, person.email, django_capture_on_commit_callbacks)
    uid, token = _link_in(mail.outbox[0]).rstrip("/").split("/")[-2:]
    other_uid = urlsafe_base64_encode(force_bytes(other.pk))

    assertContains(client.get(f"{RESET_PAGE}{other_uid}/{token}/", follow=True), "This link has expired")
    assert uid != other_uid


def test_reset_page_queues_the_same_job_for_unknown_addresses(
    client, person, monkeypatch, django_capture_on_commit_callbacks
):
    """The page does the same work whoever asks, so its time says nothing about who has an account:
    one job each, the one for an unknown address emailing nobody."""
    queued = []
    monkeypatch.setattr(
        "offenderhub.accounts.emails.enqueue", lambda task, *args: queued.append(args) or True
    )

    _ask_for_reset(client, person.email, django_capture_on_commit_callbacks)
    _ask_for_reset(client, "nobody@fenshire-police.example", django_capture_on_commit_callbacks)

    assert [(user_id, kind) for user_id, kind, _ in queued] == [
        (person.pk, "password_reset"),
        (None, "password_reset"),
    ]

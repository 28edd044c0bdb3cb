"""Lock-out holds across addresses: an account is locked by failures from anywhere, and one address
is locked by failures against any accounts. Neither tells whether an account exists."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from factories import PASSWORD, UserFactory
from pytest_django.asserts import assertTemplateUsed

from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"


def _sign_in(client, email, password, address):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def _address(n):
    return f"203.0.113.{n}"


def _is_locked_out(response):
    return response.status_code == 429 and "registration/locked_out.html" in [
        t.name for t in response.templates
    ]


def test_failures_from_many_addresses_lock_the_account(client, settings, case_worker):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, case_worker.email, WRONG, _address(n))

    response = _sign_in(client, case_worker.email, PASSWORD, _address(99))

    assert _is_locked_out(response)
    assertTemplateUsed(response, "registration/locked_out.html")
    assert client.session.get(SESSION_KEY) is None
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, ip_address=_address(99)).exists()


def test_failures_below_the_limit_from_many_addresses_lock_nothing(client, settings, case_worker):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, case_worker.email, WRONG, _address(n))

    response = _sign_in(client, case_worker.email, PASSWORD, _address(99))

    assert response.status_code == 302
    assert client.session.get(SESSION_KEY) == str(case_worker.pk)


def test_locked_account_signs_in_again_after_the_cool_off(client, settings, case_worker, time_machine):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, case_worker.email, WRONG, _address(n))

    time_machine.shift(timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
    response = _sign_in(client, case_worker.email, PASSWORD, _address(99))

    assert response.status_code == 302


def test_failures_against_many_accounts_lock_the_address(client, settings, force):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    victims = UserFactory.create_batch(4, organisation=force, roles=[Role.CASE_WORKER])
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        _sign_in(client, victims[n % len(victims)].email, WRONG, _address(1))
    bystander = UserFactory(organisation=force, roles=[Role.CASE_WORKER])

    from_there = _sign_in(client, bystander.email, PASSWORD, _address(1))
    from_elsewhere = _sign_in(client, victims[0].email, PASSWORD, _address(2))

    # No account reached its own limit (two failures each), but the address is locked for everyone.
    assert _is_locked_out(from_there)
    assert from_elsewhere.status_code == 302


def test_failures_below_the_address_limit_do_not_lock_the_address(client, settings, force):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    victims = UserFactory.create_batch(4, organisation=force, roles=[Role.CASE_WORKER])
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        _sign_in(client, victims[n % len(victims)].email, WRONG, _address(1))
    bystander = UserFactory(organisation=force, roles=[Role.CASE_WORKER])

    assert _sign_in(client, bystander.email, PASSWORD, _address(1)).status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_failures_against_others(
    client, settings, case_worker, supervisor
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, case_worker.email, WRONG, _address(1))
    assert _sign_in(client, supervisor.email, PASSWORD, _address(1)).status_code == 302
    client.logout()

    _sign_in(client, case_worker.email, WRONG, _address(1))
    response = _sign_in(client, case_worker.email, PASSWORD, _address(1))

    assert _is_locked_out(response)


def test_a_successful_sign_in_clears_only_its_own_account(client, case_worker, supervisor):
    _sign_in(client, case_worker.email, WRONG, _address(1))
    _sign_in(client, supervisor.email, WRONG, _address(1))

    _sign_in(client, supervisor.email, PASSWORD, _address(1))

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [case_worker.email]


def test_the_responses_do_not_tell_whether_an_account_exists(client, settings, case_worker):
    nobody = "no.such.person@fenshire-police.example"
    wrong_password = _sign_in(client, case_worker.email, WRONG, _address(1))
    no_account = _sign_in(client, nobody, WRONG, _address(2))
    assert wrong_password.status_code == no_account.status_code == 200
    assert wrong_password.context["form"].errors == no_account.context["form"].errors

    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, case_worker.email, WRONG, _address(10 + n))
        _sign_in(client, nobody, WRONG, _address(20 + n))
    existing_locked = _sign_in(client, case_worker.email, PASSWORD, _address(30))
    missing_locked = _sign_in(client, nobody, PASSWORD, _address(31))

    assert _is_locked_out(existing_locked)
    assert _is_locked_out(missing_locked)
    assert case_worker.email not in existing_locked.content.decode()
    assert nobody not in missing_locked.content.decode()


# --- The lock-out pages in the admin ----------------------------------------------------------------
def _attempt_records(user, address):
    """One record of each kind django-axes keeps about sign-ins to ``user``'s account."""
    from axes.models import AccessFailureLog, AccessLog
    from django.utils import timezone

    common = {
        "username": user.email,
        "ip_address": address,
        "user_agent": "Mozilla/5.0",
        "http_accept": "text/html",
        "path_info": "/login/",
        "attempt_time": timezone.now(),
    }
    return {
        "accessattempt": AccessAttempt.objects.create(
            **common, get_data="", post_data="", failures_since_start=5
        ),
        "accesslog": AccessLog.objects.create(**common),
        "accessfailurelog": AccessFailureLog.objects.create(**common, locked_out=True),
    }


@pytest.fixture
def wessex_user(db):
    from factories import OrganisationFactory

    wessex = OrganisationFactory(name="Wessex Police")
    return UserFactory(organisation=wessex, roles=[Role.CASE_WORKER], email="kim.wells@wessex-police.example")


@pytest.mark.parametrize("model", ["accessattempt", "accesslog", "accessfailurelog"])
def test_an_administrator_gets_404_for_every_other_forces_lock_out_record(
    client_for, administrator, case_worker, wessex_user, model
):
    own = _attempt_records(case_worker, "203.0.113.1")[model]
    theirs = _attempt_records(wessex_user, "198.51.100.9")[model]
    client = client_for(administrator)
    base = f"/admin/axes/{model}/"

    listing = client.get(base)
    assert listing.status_code == 200
    assert case_worker.email in listing.content.decode()
    assert wessex_user.email not in listing.content.decode()
    assert "198.51.100.9" not in listing.content.decode()
    assert client.get(f"{base}?q=wessex").context["cl"].result_count == 0
    assert client.get(f"{base}{own.pk}/change/").status_code == 200
    for page in ("change", "delete", "history"):
        assert client.get(f"{base}{theirs.pk}/{page}/").status_code == 404
    assert client.post(f"{base}{theirs.pk}/delete/", {"post": "yes"}).status_code in (403, 404)
    client.post(base, {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"})
    assert type(theirs).objects.filter(pk=theirs.pk).exists()


def test_an_administrator_unlocks_an_account_of_their_own_force(client_for, administrator, case_worker):
    attempt = _attempt_records(case_worker, "203.0.113.1")["accessattempt"]

    response = client_for(administrator).post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(actor=administrator, action=AuditAction.DELETED).exists()


def test_attempts_against_unknown_accounts_are_for_superusers_only(client_for, administrator, force):
    from django.utils import timezone

    AccessAttempt.objects.create(
        username="no.such.person@fenshire-police.example",
        ip_address="203.0.113.1",
        user_agent="x",
        http_accept="",
        path_info="/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    superuser = UserFactory(organisation=force, roles=[], is_superuser=True)

    assert client_for(administrator).get("/admin/axes/accessattempt/").context["cl"].result_count == 0
    assert client_for(superuser).get("/admin/axes/accessattempt/").context["cl"].result_count == 1


def test_an_administrator_cannot_clear_every_organisations_expired_attempts(client_for, administrator):
    page = client_for(administrator).get("/admin/axes/accessattempt/")

    actions = [value for value, _label in page.context["action_form"].fields["action"].choices]
    assert "delete_selected" in actions
    assert "cleanup_expired_attempts" not in actions

"""Single sign-on through the force's identity provider, end to end against a real provider.

Each test starts the provider of oidc_provider.py on a loopback port and drives the whole code flow
through mozilla-django-oidc: the sign-in page's button, the provider's authorisation endpoint (fetched
like a browser would, which sends it back with a code), and the callback, which exchanges the code
for tokens, checks them and signs in (or refuses) the person."""

import urllib.error
import urllib.request
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from factories import PASSWORD, UserFactory
from oidc_provider import Person, TestProvider
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from offenderhub.accounts.models import Role, SignInMethod, User
from offenderhub.accounts.oidc import SSO_ONLY, SingleSignOnBackend, provider_logout_url
from offenderhub.accounts.two_factor import IDENTITY_PROVIDER_SESSION_KEY
from offenderhub.audit.models import AuditAction, AuditEvent

CLIENT_ID = "offender-hub-tests"
CLIENT_SECRET = "a-secret-for-the-tests-only"
SSO_BACKEND = f"{SingleSignOnBackend.__module__}.{SingleSignOnBackend.__qualname__}"


@pytest.fixture
def provider(settings):
    with TestProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as provider:
        settings.OIDC_ISSUER = provider.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        yield provider


@pytest.fixture
def sso_force(force):
    """Fenshire signs in through the provider; Marshire (``other_force``) still uses passwords."""
    force.sign_in_method = SignInMethod.SINGLE_SIGN_ON
    force.save(update_fields=["sign_in_method"])
    return force


@pytest.fixture
def sso_user(sso_force, area):
    return UserFactory(full_name="Priya Shah", organisation=sso_force, area=area, roles=[Role.CASE_WORKER])


class _StayAtProvider(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), _StayAtProvider)


def _at_provider(url) -> str:
    """Open the provider's page as the browser would; return where it sends the browser back to."""
    try:
        _browser.open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        if answer.code == 302:
            return answer.headers["Location"]
        raise
    raise AssertionError("The provider did not send the browser back.")


def _to_provider(client, next_url=None) -> str:
    response = client.get("/sso/start/" + (f"?next={quote(next_url)}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def _back_from_provider(client, provider, next_url=None) -> str:
    """The callback address the provider sends the browser back to, not yet followed."""
    authorize = _to_provider(client, next_url)
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    back = urlsplit(_at_provider(authorize))
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", "/sso/callback/")
    return f"{back.path}?{back.query}"


def _sign_in_with_sso(client, provider, next_url=None):
    return client.get(_back_from_provider(client, provider, next_url))


def _signed_in_through_provider(user):
    """A client signed in as ``user`` the way a single sign-on leaves it, without the round trip."""
    client = Client()
    client.force_login(user, backend=SSO_BACKEND)
    session = client.session
    session[IDENTITY_PROVIDER_SESSION_KEY] = True
    session.save()
    return client


def _signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def _refusal(response):
    """The message the sign-in page shows after a refused single sign-on."""
    assertRedirects(response, "/login/", fetch_redirect_response=False)
    return [str(m) for m in response.wsgi_request._messages]


def _failures():
    """Failed sign-ins: one row for each refusal, saying why."""
    return AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)


# --- Configuration ---------------------------------------------------------------------------------------
def test_without_a_provider_the_login_page_has_no_sso_button_and_sso_is_not_found(client, db):
    response = client.get("/login/")

    assertNotContains(response, "single-sign-on")
    assert client.get("/sso/start/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_with_a_provider_the_login_page_offers_sso_keeping_next(client, provider, db):
    response = client.get("/login/?next=/organisations/")

    assertContains(response, 'id="single-sign-on"')
    assertContains(response, 'href="/sso/start/?next=/organisations/"')
    assert response.content.decode().count("<form") == 1  # the button is a link, not a second form


def test_sso_start_sends_the_browser_to_the_provider_with_state_nonce_and_pkce(client, provider, db):
    authorize = urlsplit(_to_provider(client))

    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{provider.issuer}/authorize"
    assert params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid email"
    assert params["redirect_uri"] == "http://testserver/sso/callback/"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["code_challenge"]
    assert params["state"] in client.session["oidc_states"]


def test_provider_unreachable_returns_to_login_page_saying_so(client, settings, db):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing answers
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET

    response = client.get("/sso/start/", follow=True)

    assertContains(response, "cannot be reached")
    assert _signed_in_user_id(client) is None


# --- Signing in -------------------------------------------------------------------------------------------
def test_verified_email_of_sso_organisation_user_signs_in(client, provider, sso_user):
    provider.person = Person(email=sso_user.email.upper())  # matched ignoring case

    response = _sign_in_with_sso(client, provider)

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert _signed_in_user_id(client) == str(sso_user.pk)
    assert client.session["_auth_user_backend"] == SSO_BACKEND
    home = client.get("/")  # no second factor asked: the provider asked for its own
    assert home.status_code == 200
    assert home.context["user"] == sso_user
    (token_request,) = provider.token_requests
    assert token_request["code_verifier"] and token_request["client_secret"] == CLIENT_SECRET
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert login.actor == sso_user
    assert login.actor_organisation == sso_user.organisation
    assert login.path == "/sso/callback/"  # the spent code and state are not kept
    assert login.ip_address == "127.0.0.1"
    assert not _failures().exists()


def test_explicit_endpoints_work_without_discovery(client, provider, sso_user, settings):
    settings.OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.issuer}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.issuer}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.issuer}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.issuer}/jwks"
    provider.person = Person(email=sso_user.email)

    _sign_in_with_sso(client, provider)

    assert _signed_in_user_id(client) == str(sso_user.pk)


def test_sso_takes_no_names_or_roles_from_the_provider(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    provider.id_token_claims = {"name": "Someone Else", "roles": ["administrator"], "groups": ["admins"]}

    _sign_in_with_sso(client, provider)

    sso_user.refresh_from_db()
    assert _signed_in_user_id(client) == str(sso_user.pk)
    assert sso_user.full_name == "Priya Shah"
    assert set(sso_user.role_assignments.values_list("role", flat=True)) == {Role.CASE_WORKER}
    assert User.objects.count() == 1


def test_sso_follows_next_on_this_site(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)

    response = _sign_in_with_sso(client, provider, next_url="/cases/")

    assertRedirects(response, "/cases/", fetch_redirect_response=False)


def test_sso_keeps_no_tokens(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)

    _sign_in_with_sso(client, provider)

    session = client.session
    assert "oidc_access_token" not in session and "oidc_id_token" not in session
    for event in AuditEvent.objects.all():
        assert "code=" not in event.path and "state=" not in event.path


# --- Refusals ---------------------------------------------------------------------------------------------
def test_unverified_email_is_refused_and_audited(client, provider, sso_user):
    provider.person = Person(email=sso_user.email, email_verified=False)

    response = _sign_in_with_sso(client, provider)

    assert "has not verified your email address" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    failure = _failures().get()
    assert failure.reason == "Single sign-on refused: Email not verified"
    assert failure.actor is None
    assert failure.actor_label == f"single sign-on as {sso_user.email}"
    assert not failure.object_id  # only a verified address names an account
    assert failure.path == "/sso/callback/"
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_unknown_email_is_refused_and_no_account_is_created(client, provider, sso_force):
    provider.person = Person(email="stranger@fenshire.police.example")

    response = _sign_in_with_sso(client, provider)

    assert "There is no Offender Hub account" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    assert not User.objects.exists()
    assert _failures().get().reason == "Single sign-on refused: No account with this email"


def test_user_of_a_password_organisation_is_refused(client, provider, sso_force, outsider_supervisor):
    provider.person = Person(email=outsider_supervisor.email)

    response = _sign_in_with_sso(client, provider)

    assert "signs in with a password" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    failure = _failures().get()
    assert failure.reason == "Single sign-on refused: Organisation signs in with passwords"
    assert failure.object_id == str(outsider_supervisor.pk)
    assert failure.owner_organisation == outsider_supervisor.organisation  # its administrators see it


def test_inactive_user_is_refused(client, provider, sso_user):
    sso_user.is_active = False
    sso_user.save(update_fields=["is_active"])
    provider.person = Person(email=sso_user.email)

    response = _sign_in_with_sso(client, provider)

    assert "deactivated" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    assert _failures().get().reason == "Single sign-on refused: Account deactivated"


def test_id_token_signed_with_another_key_is_refused(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    provider.sign_with_wrong_key = True

    response = _sign_in_with_sso(client, provider)

    assert "could not be checked" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    assert "verification failed" in _failures().get().reason


def test_id_token_with_another_nonce_is_refused(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    provider.id_token_claims = {"nonce": "a-nonce-from-another-sign-in"}

    response = _sign_in_with_sso(client, provider)

    assert "could not be checked" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    assert "Nonce" in _failures().get().reason


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"aud": "another-client"}, "ID token for another client"),
        ({"aud": [CLIENT_ID, "another-client"], "azp": "another-client"}, "ID token for another client"),
        ({"iss": "https://impostor.example"}, "ID token from another issuer"),
    ],
)
def test_id_token_for_another_client_or_from_another_issuer_is_refused(
    client, provider, sso_user, claims, detail
):
    provider.person = Person(email=sso_user.email)
    provider.id_token_claims = claims

    response = _sign_in_with_sso(client, provider)

    _refusal(response)
    assert _signed_in_user_id(client) is None
    assert _failures().get().reason == f"Single sign-on refused: {detail}"


def test_userinfo_about_another_person_is_refused(client, provider, sso_user):
    provider.person = Person(email="stranger@fenshire.police.example")
    provider.userinfo_claims = {"sub": "someone-else", "email": sso_user.email}

    response = _sign_in_with_sso(client, provider)

    _refusal(response)
    assert _signed_in_user_id(client) is None
    assert _failures().get().reason == "Single sign-on refused: UserInfo is about another subject"


def test_expired_id_token_is_refused(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    provider.id_token_claims = {"exp": 1_000_000_000}  # 2001

    response = _sign_in_with_sso(client, provider)

    _refusal(response)
    assert _signed_in_user_id(client) is None
    assert "expired" in _failures().get().reason


def test_a_callback_is_good_once(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    callback = _back_from_provider(client, provider)
    client.get(callback)
    client.post("/logout/")

    response = client.get(callback)

    assert "not started in this browser" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None
    failure = _failures().get()
    assert failure.reason == "Single sign-on refused: Unknown state"
    assert failure.path == "/sso/callback/"  # the code and state are not kept


def test_a_callback_started_in_another_browser_is_refused(client, provider, sso_user):
    """Login CSRF: someone else's code, sent to this browser, signs nobody in."""
    provider.person = Person(email=sso_user.email)
    callback = _back_from_provider(client, provider)

    other_browser = Client()
    response = other_browser.get(callback)

    _refusal(response)
    assert _signed_in_user_id(other_browser) is None


def test_provider_refusal_returns_to_login_page(client, provider, sso_force):
    provider.person = None  # the person cancels at the provider

    response = _sign_in_with_sso(client, provider)

    assert "did not sign you in" in _refusal(response)[0]
    failure = _failures().get()
    assert failure.reason == "Single sign-on refused: Provider error 'access_denied'"
    assert failure.path == "/sso/callback/"
    assert client.session["oidc_states"] == {}


def test_sso_refusals_are_not_counted_as_guessed_passwords(client, provider, sso_user):
    """The provider authenticated the person; only passwords are guessed here, and counted."""
    provider.person = Person(email=sso_user.email, email_verified=False)

    _sign_in_with_sso(client, provider)

    assert not AccessAttempt.objects.exists()
    assert _failures().count() == 1


# --- Second factor at the provider -------------------------------------------------------------------------
def test_with_mfa_claim_required_an_id_token_without_it_is_refused(client, provider, sso_user, settings):
    settings.OIDC_REQUIRE_MFA_CLAIM = True
    provider.person = Person(email=sso_user.email)
    provider.amr = ["pwd"]

    response = _sign_in_with_sso(client, provider)

    assert "did not confirm a second factor" in _refusal(response)[0]
    assert _signed_in_user_id(client) is None


def test_with_mfa_claim_required_an_id_token_saying_mfa_signs_in(client, provider, sso_user, settings):
    settings.OIDC_REQUIRE_MFA_CLAIM = True
    provider.person = Person(email=sso_user.email)
    provider.amr = ["pwd", "mfa"]

    _sign_in_with_sso(client, provider)

    assert _signed_in_user_id(client) == str(sso_user.pk)
    assert client.get("/").status_code == 200


# --- Passwords ----------------------------------------------------------------------------------------------
def test_password_sign_in_is_refused_for_sso_organisation_user(client, provider, sso_user):
    response = client.post("/login/", {"username": sso_user.email, "password": PASSWORD})

    assert response.status_code == 200
    assertContains(response, SSO_ONLY.replace("'", "&#x27;"))
    assertContains(response, 'id="single-sign-on"')
    assert _signed_in_user_id(client) is None
    failure = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failure.object_id == str(sso_user.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_wrong_password_of_sso_organisation_user_gets_the_usual_message(client, provider, sso_user):
    response = client.post("/login/", {"username": sso_user.email, "password": "not-the-password-1"})

    assertContains(response, "Enter a correct email address and password")
    assertNotContains(response, "identity provider")


def test_sso_organisation_user_cannot_use_password_even_when_sso_is_off(client, sso_user):
    response = client.post("/login/", {"username": sso_user.email, "password": PASSWORD})

    assertContains(response, "not set up for this service")
    assert _signed_in_user_id(client) is None


def test_password_organisation_user_still_signs_in_with_password(
    client, provider, sso_force, outsider_supervisor
):
    response = client.post("/login/", {"username": outsider_supervisor.email, "password": PASSWORD})

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert _signed_in_user_id(client) == str(outsider_supervisor.pk)


# --- Sessions ---------------------------------------------------------------------------------------------
def test_switching_an_organisation_to_passwords_ends_its_sso_sessions(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    _sign_in_with_sso(client, provider)
    sso_user.organisation.sign_in_method = SignInMethod.PASSWORD
    sso_user.organisation.save(update_fields=["sign_in_method"])

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_switching_an_organisation_to_sso_ends_its_password_sessions(client_for, case_worker):
    client = client_for(case_worker)
    assert client.get("/").status_code == 200
    case_worker.organisation.sign_in_method = SignInMethod.SINGLE_SIGN_ON
    case_worker.organisation.save(update_fields=["sign_in_method"])

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_sign_out_ends_the_local_session(client, provider, sso_user):
    provider.person = Person(email=sso_user.email)
    _sign_in_with_sso(client, provider)

    response = client.post("/logout/")

    assertRedirects(response, "/login/", fetch_redirect_response=False)
    assert _signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=sso_user).count() == 1


def test_sign_out_continues_at_the_provider_when_configured(client, provider, sso_user, settings):
    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{provider.issuer}/logout"
    provider.person = Person(email=sso_user.email)
    _sign_in_with_sso(client, provider)

    response = client.post("/logout/")

    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.issuer}/logout"
    assert parse_qs(location.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://testserver/login/"],
    }
    assert _signed_in_user_id(client) is None


def test_password_session_signs_out_here_only(client_for, case_worker, settings, rf):
    settings.OIDC_OP_LOGOUT_ENDPOINT = "https://idp.example/logout"

    response = client_for(case_worker).post("/logout/")

    assertRedirects(response, "/login/", fetch_redirect_response=False)
    assert provider_logout_url(rf.get("/")).startswith("https://idp.example/logout?client_id=")


# --- Who sees and changes the sign-in method ---------------------------------------------------------------
def test_organisation_page_shows_how_its_people_sign_in(sso_force, supervisor):
    response = _signed_in_through_provider(supervisor).get(f"/organisations/{sso_force.pk}/")

    assertContains(response, "sign in with: single sign-on")


def test_administrator_sees_but_cannot_change_the_sign_in_method(sso_force, administrator):
    client = _signed_in_through_provider(administrator)
    url = f"/admin/accounts/organisation/{sso_force.pk}/change/"

    page = client.get(url)
    client.post(url, {"name": sso_force.name, "email": sso_force.email, "sign_in_method": "password"})

    assert page.status_code == 200
    assert "sign_in_method" not in page.context["adminform"].form.fields
    assertContains(page, "Single sign-on through the force")
    sso_force.refresh_from_db()
    assert sso_force.sign_in_method == SignInMethod.SINGLE_SIGN_ON


def test_superuser_changes_the_sign_in_method(client_for, force):
    superuser = UserFactory(organisation=None, is_superuser=True)
    client = client_for(superuser)
    url = f"/admin/accounts/organisation/{force.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert "sign_in_method" in form.fields

    response = client.post(
        url,
        {
            "name": force.name,
            "kind": force.kind,
            "email": force.email,
            "sign_in_method": SignInMethod.SINGLE_SIGN_ON,
            "is_active": "on",
            "areas-TOTAL_FORMS": "0",
            "areas-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    force.refresh_from_db()
    assert force.sign_in_method == SignInMethod.SINGLE_SIGN_ON

"""Single sign-on through the force's own OpenID Connect identity provider (mozilla-django-oidc).

An organisation signs in one way only (``Organisation.sign_in_method``):

- **Single sign-on**: its people sign in through the provider configured for this deployment
  (README, "Single sign-on"). The provider vouches for a verified email address, which is matched,
  ignoring case, to an existing active user of a single sign-on organisation. The provider never
  creates an account and gives no roles or names: administrators still add people and grant roles
  here. Their password sign-in is refused, even with the right password.
- **Password**: its people sign in with a password (and a second factor); the provider's word for
  one of them is refused.

The library runs the authorisation code flow: it keeps a state and a nonce for each sign-in it
starts (and checks both on the way back), sends a PKCE challenge, exchanges the code for tokens and
checks the ID token's signature against the provider's published keys. This module adds what it
leaves to each site: the ID token's issuer and audience, a UserInfo answer about the same subject, a
verified email, and an audit row for every sign-in refused, with the reason and never a token.

Two factors: the force's provider enforces its own multi-factor authentication, so a session signed
in through it counts as having given its second factor (``two_factor.mark_verified_by_identity_provider``).
With ``OIDC_REQUIRE_MFA_CLAIM`` the ID token must also say so, in its ``amr`` claim.
"""

import functools
import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from .two_factor import mark_verified_by_identity_provider

logger = logging.getLogger(__name__)

# The session remembers whose sign-in the provider made, so the second-factor check can honour it.
SSO_SESSION_KEY = "_sso_user_id"

# ``amr`` values (RFC 8176) that say the provider asked for more than a password.
MFA_AMR_VALUES = frozenset({"mfa", "otp"})

# What each refusal tells the person at the sign-in page. The audit row keeps the technical detail.
UNVERIFIABLE = (
    "Your identity provider's answer could not be checked, so you have not been signed in. Try again; "
    "if it happens again, tell your IT service desk."
)
NOT_STARTED_HERE = (
    "That sign-in was not started in this browser, or took too long. Start again with the single "
    "sign-on button."
)
PROVIDER_ERROR = "Your identity provider did not sign you in. Try again, or tell your IT service desk."
PROVIDER_UNREACHABLE = "Your identity provider cannot be reached at the moment. Try again in a few minutes."
EMAIL_NOT_VERIFIED = (
    "Your identity provider has not verified your email address, so it cannot be matched to an "
    "Offender Hub account. Ask your IT service desk."
)
NO_ACCOUNT = (
    "There is no Offender Hub account for the email address your identity provider gave. "
    "Ask your organisation's administrator to add you."
)
ACCOUNT_INACTIVE = "This account has been deactivated. Ask your administrator."
USES_PASSWORDS = (
    "Your organisation signs in with a password and a second factor, not through single sign-on. "
    "Use the form on this page."
)
NO_SECOND_FACTOR = (
    "Your identity provider did not confirm a second factor. Sign in again and complete it, or tell "
    "your IT service desk."
)
SSO_ONLY = (
    "Your organisation signs in through its identity provider, not with a password. "
    "Use the “Sign in with your organisation's account” button."
)
SSO_ONLY_UNAVAILABLE = (
    "Your organisation signs in through its identity provider, which is not set up for this service "
    "at the moment. Ask your administrator."
)


class SingleSignOnRefused(Exception):
    """A sign-in through the provider that must not succeed: ``message`` for the person, ``detail``
    for the audit log, ``account`` when the email matched one."""

    def __init__(self, message, *, detail, account=None, email=""):
        super().__init__(detail)
        self.message = message
        self.detail = detail
        self.account = account
        self.email = email


# --- Configuration -----------------------------------------------------------------------------------
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def sso_enabled() -> bool:
    """Single sign-on is on when this deployment names a provider (README, "Single sign-on")."""
    return bool(
        getattr(settings, "OIDC_RP_CLIENT_ID", "")
        and (getattr(settings, "OIDC_ISSUER", "") or getattr(settings, "OIDC_OP_AUTHORIZATION_ENDPOINT", ""))
    )


@functools.cache
def provider_metadata(issuer: str) -> dict:
    """The provider's discovery document, fetched once per process (an error is not remembered)."""
    response = requests.get(
        issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    metadata = response.json()
    if metadata.get("issuer") != issuer:  # OpenID Connect Discovery, section 4.3
        raise ImproperlyConfigured(
            f"The provider at {issuer} names another issuer: {metadata.get('issuer')!r}."
        )
    return metadata


def sso_setting(name, *default):
    """A setting, the library's way; an endpoint not set explicitly comes from ``OIDC_ISSUER``'s
    discovery document."""
    value = getattr(settings, name, None)
    if not value and name in DISCOVERED and getattr(settings, "OIDC_ISSUER", ""):
        return provider_metadata(settings.OIDC_ISSUER)[DISCOVERED[name]]
    if value is None:
        if default:
            return default[0]
        raise ImproperlyConfigured(f"Setting {name} not found")
    return value


# --- Whose sign-in method is which --------------------------------------------------------------------
def signs_in_with_sso(user) -> bool:
    organisation = getattr(user, "organisation", None)
    return organisation is not None and organisation.uses_single_sign_on


def user_signed_in_with_sso(request) -> bool:
    """Whether this session's user signed in through the force's provider (and may still): such a
    session signs out at the provider too."""
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and request.session.get(SSO_SESSION_KEY) == str(user.pk)
        and sso_enabled()
        and signs_in_with_sso(user)
    )


def _session_user(user_id, *, single_sign_on: bool):
    """The user of a session signed in one way, while that is still their organisation's way: an
    organisation switched to the other method signs its people out at their next request."""
    UserModel = get_user_model()
    try:
        user = UserModel._default_manager.select_related("organisation").get(pk=user_id)
    except UserModel.DoesNotExist:
        return None
    if not user.is_active or signs_in_with_sso(user) is not single_sign_on:
        return None
    return user


# --- Passwords ------------------------------------------------------------------------------------------
def password_refused_for_sso(request) -> bool:
    """Whether the last password sign-in on ``request`` was right but refused: single sign-on only."""
    return getattr(request, "password_refused_for_sso", False)


def sso_only_message() -> str:
    return SSO_ONLY if sso_enabled() else SSO_ONLY_UNAVAILABLE


class PasswordBackend(ModelBackend):
    """Email and password, for the people of organisations that sign in with passwords.

    The right password of someone whose organisation uses single sign-on is refused (and counted as
    a failure, like a wrong one); only then does the sign-in page say why, as Django does for a
    deactivated account, so the message tells nothing to someone who does not know the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and signs_in_with_sso(user):
            if request is not None:
                request.password_refused_for_sso = True
            raise PermissionDenied("This organisation signs in through single sign-on.")
        return user

    def get_user(self, user_id):
        return _session_user(user_id, single_sign_on=False)


# --- The provider ---------------------------------------------------------------------------------------
class SingleSignOnBackend(OIDCAuthenticationBackend):
    """Signs in an existing user the force's provider vouches for; never creates one."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, passwords included: the provider's settings
        # (and its discovery document, over the network) are read only when its callback arrives.
        self.UserModel = get_user_model()

    def authenticate(self, request, **credentials):
        """Only the callback's credentials (a nonce and a PKCE verifier) are the provider's."""
        if request is None or "nonce" not in credentials or "code_verifier" not in credentials:
            return None
        if not sso_enabled():
            return None
        refusal = user = None
        try:
            super().__init__()
            user = super().authenticate(request, **credentials)
        except SingleSignOnRefused as exc:
            refusal = exc
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException, ImproperlyConfigured) as exc:
            # A bad signature, a replayed nonce, an unknown key, a refused code, a provider down.
            refusal = SingleSignOnRefused(UNVERIFIABLE, detail=f"{type(exc).__name__}: {exc}")
        _forget_callback_query(request)
        if refusal is not None:
            sso_refuse(request, refusal)
            # Raised, not None: Django would then report a failed sign-in of nobody in particular
            # (a second, emptier audit row, and a lock-out count, though no password was guessed).
            # The callback view catches it.
            raise refusal
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        """The existing user for the provider's verified email; never a new one, nothing copied."""
        self._check_id_token(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):  # OpenID Connect Core, section 5.3.2
            raise SingleSignOnRefused(UNVERIFIABLE, detail="UserInfo is about another subject")
        claims = {**payload, **userinfo}
        email = str(claims.get("email") or "").strip()
        if not email:
            raise SingleSignOnRefused(NO_ACCOUNT, detail="No email claim")
        if claims.get("email_verified") not in (True, "true"):
            raise SingleSignOnRefused(EMAIL_NOT_VERIFIED, detail="Email not verified", email=email)
        account = self.filter_users_by_claims(claims).select_related("organisation").first()
        if account is None:
            raise SingleSignOnRefused(NO_ACCOUNT, detail="No account with this email", email=email)
        if not account.is_active:
            raise SingleSignOnRefused(
                ACCOUNT_INACTIVE, detail="Account deactivated", account=account, email=email
            )
        if not signs_in_with_sso(account):
            raise SingleSignOnRefused(
                USES_PASSWORDS, detail="Organisation signs in with passwords", account=account, email=email
            )
        return account

    def _check_id_token(self, payload):
        """What the library leaves to the site: the token is from our provider, for us, and (when
        required) after a second factor."""
        issuer = getattr(settings, "OIDC_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SingleSignOnRefused(UNVERIFIABLE, detail="ID token from another issuer")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        client_id = self.OIDC_RP_CLIENT_ID
        if client_id not in audiences or (len(audiences) > 1 and payload.get("azp") != client_id):
            raise SingleSignOnRefused(UNVERIFIABLE, detail="ID token for another client")
        if settings.OIDC_REQUIRE_MFA_CLAIM and not MFA_AMR_VALUES.intersection(payload.get("amr") or []):
            raise SingleSignOnRefused(
                NO_SECOND_FACTOR, detail=f"No second factor in amr {payload.get('amr')!r}"
            )

    def filter_users_by_claims(self, claims):
        email = str(claims.get("email") or "").strip()
        return self.UserModel.objects.filter(email__iexact=email) if email else self.UserModel.objects.none()

    def get_user(self, user_id):
        return _session_user(user_id, single_sign_on=True)


def _forget_callback_query(request):
    """The code and state in the callback's address are spent once exchanged: keep them out of
    everything that records a request (the audit log's path, the lock-out records)."""
    request.GET = QueryDict()
    request.META["QUERY_STRING"] = ""


def sso_refuse(request, refusal: SingleSignOnRefused):
    """Audit a refused sign-in through the provider, and keep the reason for the sign-in page."""
    account = refusal.account
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        request=request,
        obj=account,
        object_label=f"User #{account.pk}" if account else None,
        owner_organisation=account.organisation if account else None,
        actor_label=f"single sign-on as {refusal.email}"[:254],
        reason=f"Single sign-on refused: {refusal.detail}"[:500],
    )
    logger.warning("Single sign-on refused: %s", refusal.detail)
    request.sso_refusal = refusal


# --- Views ------------------------------------------------------------------------------------------------
@method_decorator(login_not_required, name="dispatch")
class SingleSignOnStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with a new state, nonce and PKCE challenge."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, **kwargs):
        # Not the library's __init__: it reads the endpoints (perhaps over the network) before get()
        # can check that single sign-on is on.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ImproperlyConfigured, KeyError, ValueError) as exc:
            logger.error("Single sign-on provider unavailable: %s", type(exc).__name__)
            messages.error(request, PROVIDER_UNREACHABLE)
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SingleSignOnCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the library checks the state and signs in the
    user the backend finds; a refusal returns to the sign-in page saying why."""

    get_settings = staticmethod(sso_setting)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not set up.")
        states = request.session.get("oidc_states") or {}
        state = request.GET.get("state")
        if request.GET.get("error"):  # the person cancelled, or the provider would not sign them in
            if state in states:
                del states[state]  # as the library does: a state is used once, whatever happens
                request.session.modified = True
            _refuse_here(request, PROVIDER_ERROR, detail=f"Provider error {request.GET['error'][:60]!r}")
            return self.login_failure()
        if "code" in request.GET and state not in states:
            _refuse_here(request, NOT_STARTED_HERE, detail="Unknown state")
            return self.login_failure()
        try:
            return super().get(request)
        except SingleSignOnRefused:  # audited by the backend
            return self.login_failure()

    @property
    def failure_url(self):
        return reverse("login")

    def login_failure(self):
        refusal = getattr(self.request, "sso_refusal", None)
        messages.error(self.request, refusal.message if refusal else NOT_STARTED_HERE)
        return super().login_failure()

    def login_success(self):
        response = super().login_success()
        self.request.session[SSO_SESSION_KEY] = str(self.user.pk)
        # The force's provider asked for its own second factor: this service does not ask again.
        mark_verified_by_identity_provider(self.request)
        return response


def _refuse_here(request, message, *, detail):
    _forget_callback_query(request)
    sso_refuse(request, SingleSignOnRefused(message, detail=detail))


class SignOutView(auth_views.LogoutView):
    """Signs out here; a session signed in through the provider then signs out there too, when
    ``OIDC_OP_LOGOUT_ENDPOINT`` is set."""

    def post(self, request, *args, **kwargs):
        provider_logout = provider_logout_url(request) if user_signed_in_with_sso(request) else ""
        response = super().post(request, *args, **kwargs)
        return redirect(provider_logout) if provider_logout else response


def provider_logout_url(request) -> str:
    """The provider's end-session address (OpenID Connect RP-Initiated Logout), coming back to the
    sign-in page; empty when none is configured."""
    endpoint = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "")
    if not endpoint:
        return ""
    query = urlencode(
        {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

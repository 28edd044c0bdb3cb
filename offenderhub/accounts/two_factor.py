"""Two-factor sign-in: a time-based code from an authenticator app (django-otp's TOTP devices), and
ten one-time recovery codes (a static device) for when the app is not at hand.

A correct password signs a person in, but ``TwoFactorMiddleware`` lets them reach nothing but these
pages until the session is verified by a code. Someone with no authenticator app yet (a first sign-in,
or after an administrator reset theirs) sets one up first. Enrolment, wrong codes, recovery codes
used and resets are audited; a reset is also emailed to the person.
"""

from base64 import b32encode
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from .emails import account_email_queue

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def two_factor_enforced() -> bool:
    """Whether a second factor is asked for. Only a demo (``DEBUG`` on) may go without one: settings
    refuse ``TWO_FACTOR_REQUIRED=False`` with ``DEBUG`` off, and this refuses it again, at run time."""
    return settings.TWO_FACTOR_REQUIRED or not settings.DEBUG


# A session signed in through the organisation's identity provider (single sign-on) carries this key:
# the provider asked for its own second factor, so this service does not ask for another.
IDENTITY_PROVIDER_SESSION_KEY = "two_factor_by_identity_provider"


def mark_verified_by_identity_provider(request) -> None:
    """For the single sign-on callback: this session's second factor was given to the provider."""
    request.session[IDENTITY_PROVIDER_SESSION_KEY] = True


def session_is_verified(request) -> bool:
    """Whether this signed-in session has given its second factor (here, or to the provider)."""
    return request.user.is_verified() or bool(request.session.get(IDENTITY_PROVIDER_SESSION_KEY))


def authenticator_for(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Setting up an authenticator app --------------------------------------------------------------
def enrolment_device_for(user) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device, kept while the person sets it up,
    so the QR code stays the same when the page is reloaded."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def secret_for_display(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed: base 32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` address as a QR code, an SVG ``data:`` URI for an ``<img>`` (the content
    security policy allows images from ``data:``, never inline scripts or styles)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def current_code(device: TOTPDevice) -> str:
    """The code the device's app shows now: for the demo's command and for tests."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


def second_factor_enrol(*, user, device: TOTPDevice, code: str, request=None) -> list[str] | None:
    """Confirm the authenticator app being set up with a code from it, and make new recovery codes.
    Returns the recovery codes (shown once, never stored readable elsewhere), or ``None`` when the
    code is wrong. Any earlier devices of the person's are replaced."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(normalise_code(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_replace(user)
        _audit(user, user, AuditAction.CHANGED, request, "Second factor set up (authenticator app)")
    return codes


def recovery_codes_replace(user) -> list[str]:
    """Ten new recovery codes for ``user``, replacing any they had."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=token) for token in codes])
    return codes


# --- Signing in with a code -------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    """What came of a code: the device that accepted it, or why none did."""

    device: object = None
    wait_seconds: int = 0  # more than 0: too many wrong codes, so none is checked until then

    @property
    def verified(self):
        return self.device is not None


def normalise_code(code: str) -> str:
    """Codes as people type them: spaces and hyphens dropped, in lower case."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def second_factor_verify(*, user, code: str, request=None) -> Verification:
    """Check a code from the person's authenticator app. A wrong code is audited, and makes the next
    attempt wait (1, 2, 4, 8... seconds: django-otp's throttling), so codes cannot be guessed."""
    return _verify(user, TOTPDevice, code, request, what="security code")


def recovery_code_use(*, user, code: str, request=None) -> Verification:
    """Sign in with one of the person's recovery codes, which is then used up (audited)."""
    result = _verify(user, StaticDevice, code, request, what="recovery code")
    if result.verified:
        left = recovery_codes_left(user)
        _audit(user, user, AuditAction.LOGIN, request, f"Signed in with a recovery code ({left} left)")
    return result


def _verify(user, model, code, request, *, what) -> Verification:
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update().order_by("pk")
        for device in devices:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                wait = (details["locked_until"] - timezone.now()).total_seconds()
                return Verification(wait_seconds=max(1, round(wait + 0.5)))
            if device.verify_token(normalise_code(code)):
                return Verification(device=device)
    _audit(user, user, AuditAction.LOGIN_FAILED, request, f"Wrong {what}")
    return Verification()


# --- An administrator's reset ---------------------------------------------------------------------
def second_factor_reset(*, user, actor, request=None) -> bool:
    """Remove ``user``'s authenticator app and recovery codes, so that at their next sign-in (or next
    page, if signed in now) they set up a new one. Audited, and the person is told by email. Returns
    whether there was anything to remove; asking again is harmless."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        if not removed:
            return False
        _audit(actor, user, AuditAction.CHANGED, request, "Second factor reset by an administrator")
        account_email_queue(user=user, kind="second_factor_reset")
    return True


def _audit(actor, user, action, request, reason):
    audit_record(
        actor=actor,
        action=action,
        obj=user,
        request=request,
        reason=reason,
        object_label=f"User #{user.pk}",
        owner_organisation=user.organisation,
    )

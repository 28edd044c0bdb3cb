"""Signed-in test clients count as having given their second factor, as a real sign-in would after
its code: ``client_for`` in conftest.py uses this; tests of the sign-in itself go through the pages."""

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from offenderhub.accounts.middleware import REFRESHED_AT_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY


def verify_second_factor(client, user) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator app (their existing one, if any) and mark the client's
    session as verified by it. The client must already be signed in as ``user``."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # As the sign-in's own response stamps them (SessionLifetimeMiddleware): so the first page after
    # it does not write the session, as after a real sign-in.
    now = timezone.now().timestamp()
    session.setdefault(SIGNED_IN_AT_SESSION_KEY, now)
    session.setdefault(REFRESHED_AT_SESSION_KEY, now)
    session.save()
    return device


def force_login_verified(client, user):
    """``client.force_login(user)`` and the second factor given."""
    client.force_login(user)
    verify_second_factor(client, user)
    return client

"""Checks made when a serving process (web app or worker) starts."""

from django.core.exceptions import ImproperlyConfigured


def require_secret_key():
    """Refuse to serve without a SECRET_KEY: settings allow offline commands to run without one."""
    from django.conf import settings

    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if not key:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

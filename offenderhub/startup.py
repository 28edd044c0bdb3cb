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


def warm_up():
    """Work every serving process would otherwise do in its first requests, done as it starts so
    that no person waits for it: Django compiles the email address validator's patterns on first
    use (about 50 ms here, several times that on a busy machine), which made a worker's first
    sign-in the slowest."""
    from django.core.validators import validate_email

    validate_email("warm-up@example.org")

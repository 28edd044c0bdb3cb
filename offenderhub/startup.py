"""Checks made when a serving process (web app or worker) starts."""

import logging

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def require_secret_key():
    """Refuse to serve without a SECRET_KEY: settings allow offline commands to run without one."""
    from django.conf import settings

    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if not key:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")


def warm_up() -> int:
    """Work every serving process would otherwise do in its first requests, done as it starts (the
    WSGI application's import, before a gunicorn worker accepts a connection) so that no person waits
    for it, each worker keeping it until it is replaced (at ``max_requests``):

    - Django compiles the email address validator's patterns on first use (about 50 ms here, several
      times that on a busy machine), which made a worker's first sign-in the slowest;
    - it builds the URL resolver (importing every view) and compiles each template (kept by the
      cached template loader) the first time a request needs them: every template the project and
      its apps provide is compiled here, about half a second of the worker's CPU.

    Returns how many templates were compiled; one that does not compile on its own (it needs a
    request's context to find what it extends) is passed over."""
    import time
    from pathlib import Path

    from django.core.validators import validate_email
    from django.template import engines
    from django.template.backends.django import DjangoTemplates
    from django.urls import get_resolver

    started = time.monotonic()
    validate_email("warm-up@example.org")
    get_resolver().url_patterns  # noqa: B018 (imports every view and builds the patterns)
    compiled = 0
    for backend in engines.all():
        if not isinstance(backend, DjangoTemplates):
            continue
        for directory in backend.template_dirs:
            for path in sorted(Path(directory).rglob("*.html")):
                try:
                    backend.get_template(path.relative_to(directory).as_posix())
                except Exception:  # noqa: BLE001, S112 (compiled by its own request instead)
                    continue
                compiled += 1
    logger.info("Ready: %s templates compiled in %.2f s", compiled, time.monotonic() - started)
    return compiled

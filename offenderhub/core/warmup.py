"""Ready a web worker before it takes its first request (gunicorn.conf.py, ``post_worker_init``).

Django builds its URL resolver and compiles each template the first time a request needs it, and a
worker keeps them (the cached template loader) until it is replaced: a worker that has just started
(at start-up, or after ``max_requests``) would otherwise spend its first requests compiling. Doing
it once here, before the worker accepts a connection, costs about a second of that worker's CPU."""

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def warm_up() -> int:
    """Build the URL resolver and compile every template the project and its apps provide. Returns
    how many templates were compiled; a template that does not compile on its own is passed over."""
    from django.template import engines
    from django.template.backends.django import DjangoTemplates
    from django.urls import get_resolver

    started = time.monotonic()
    get_resolver().url_patterns  # noqa: B018 (imports every view and builds the patterns)
    compiled = 0
    for backend in engines.all():
        if not isinstance(backend, DjangoTemplates):
            continue
        for directory in backend.template_dirs:
            for path in sorted(Path(directory).rglob("*.html")):
                try:
                    backend.get_template(path.relative_to(directory).as_posix())
                except Exception:  # noqa: BLE001, S112 (one that needs its context is compiled by its request)
                    continue
                compiled += 1
    logger.info("Worker ready: %s templates compiled in %.2f s", compiled, time.monotonic() - started)
    return compiled

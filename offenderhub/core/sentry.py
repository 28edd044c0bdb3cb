"""Error reporting to Sentry, only when ``SENTRY_DSN`` is set, and without personal data.

The SDK is told not to send personal data (``send_default_pii=False``: no user names, emails,
addresses or cookies), not to capture local variables (a case's details would be in them) or request
bodies, and ``before_send`` strips what is left of the request down to its method, path and request
id: query strings can hold search terms such as names. Events are tagged with the request id, so an
error report leads to its log lines.
"""

from urllib.parse import urlsplit, urlunsplit


def _mask(value):
    from .observability import mask_emails

    return mask_emails(value) if isinstance(value, str) else value


def before_send(event, hint):
    """Keep the request's method, path and request id; drop its body, cookies, headers, query string
    and environment, and keep only the user's id. Email addresses in messages are masked."""
    from .observability import current_request_id

    request = event.get("request")
    if request:
        url = request.get("url")
        if url:
            parts = urlsplit(url)
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        headers = request.get("headers") or {}
        request_id = next((v for k, v in headers.items() if k.lower() == "x-request-id"), None)
        event["request"] = {
            key: value
            for key, value in {
                "method": request.get("method"),
                "url": url,
                "headers": {"X-Request-ID": request_id} if request_id else None,
            }.items()
            if value
        }
    (event.get("extra") or {}).pop("request", None)  # Django's 4xx/5xx log lines carry the request
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if key in logentry:
            logentry[key] = _mask(logentry[key])
    if "params" in logentry:
        logentry["params"] = [_mask(param) for param in logentry["params"] or []]
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = _mask(exception.get("value"))
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if user.get("id") else {}
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def before_breadcrumb(crumb, hint):
    """Breadcrumbs from log lines are kept, with email addresses masked; those from SQL are dropped:
    a query's text can carry the values searched for."""
    if crumb.get("category") == "query":
        return None
    if "message" in crumb:
        crumb["message"] = _mask(crumb["message"])
    (crumb.get("data") or {}).pop("request", None)
    return crumb


def sentry_configure(*, dsn: str, environment: str, release: str) -> bool:
    """Start the Sentry SDK if a DSN is given. Returns whether it was started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        traces_sample_rate=0.0,
    )
    return True

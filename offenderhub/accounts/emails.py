"""Emails about a person's own account: a password reset link, and word that their password or
second factor changed.

Notifications (offenderhub/notifications) are about cases and go to an inbox; these go only to the
person's email address, and are sent by a job queued when the change commits, so a request never
waits for the mail server. That matters most for a password reset: the page answers in the same time
whether or not the address belongs to anyone, because no email is sent while it answers. Queueing is
best effort (offenderhub/core/queueing.py); when the broker cannot be reached the email is sent at
once instead, because no sweep would send it later.
"""

import logging
import re
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from offenderhub.core.queueing import enqueue

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "accounts/email"
ACCOUNT_EMAIL_KINDS = frozenset({"password_changed", "password_reset", "second_factor_reset"})


def account_email_queue(*, user, kind: str) -> None:
    """Email ``user`` about their account once the current transaction commits. ``user=None`` queues
    a job that emails nobody: the password reset page does the same work for an unknown address."""
    if kind not in ACCOUNT_EMAIL_KINDS:
        raise ValueError(f"Unknown account email {kind!r}.")
    user_id = user.pk if user is not None else None
    transaction.on_commit(partial(_queue_or_send, user_id, kind, timezone.now().isoformat()))


def _queue_or_send(user_id, kind, occurred_at):
    from .tasks import send_account_email

    if not enqueue(send_account_email, user_id, kind, occurred_at):
        try:
            account_email_send(user_id=user_id, kind=kind, occurred_at=occurred_at)
        except OSError as exc:  # the request that changed the account still succeeds
            logger.warning("Account email %s for user %s not sent: %s", kind, user_id, type(exc).__name__)


def account_email_send(*, user_id: int | None, kind: str, occurred_at: str) -> bool:
    """Render and send one account email. A password reset link is made here, when it is sent, so
    it never passes through the broker. Returns whether an email was sent (not to an inactive user)."""
    from .models import User

    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
    if user is None:
        return False
    context = {
        "user": user,
        "service_name": settings.SERVICE_NAME,
        "occurred_at": timezone.localtime(datetime.fromisoformat(occurred_at)),
        "sign_in_link": settings.SITE_URL.rstrip("/") + reverse("login"),
        "reset_link": settings.SITE_URL.rstrip("/") + reverse("account:password_reset"),
    }
    if kind == "password_reset":
        context["link"] = settings.SITE_URL.rstrip("/") + reverse(
            "account:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context["valid_minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
    subject, text, html = render_account_email(kind, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def render_account_email(kind: str, context: dict) -> tuple[str, str, str]:
    """``(subject, text, html)`` from ``accounts/email/<kind>_subject.txt``, ``<kind>.txt`` and
    ``<kind>.html``; only the HTML is escaped."""

    def render(name, autoescape):
        template = get_template(f"{EMAIL_TEMPLATE_DIR}/{name}").template
        return template.render(Context(context, autoescape=autoescape))

    subject = " ".join(render(f"{kind}_subject.txt", autoescape=False).split())
    text = re.sub(r"\n{3,}", "\n\n", render(f"{kind}.txt", autoescape=False).strip()) + "\n"
    html = render(f"{kind}.html", autoescape=True).strip() + "\n"
    return subject[:200], text, html

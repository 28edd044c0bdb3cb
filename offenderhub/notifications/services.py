"""Notifying people: the inbox rows and their emails.

Other apps call ``notify`` from their services and jobs, inside their own transaction; the emails
are queued when that transaction commits, and each is sent at most once however often the job runs.
"""

import logging
import re
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Notification, NotificationKind
from .selectors import notification_get_for, notification_list_for

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "notifications/email"


def render_email(kind, context: dict) -> tuple[str, str, str]:
    """``(subject, text, html)`` for a kind of notification, from
    ``notifications/email/<kind>_subject.txt``, ``<kind>.txt`` and ``<kind>.html``.
    The subject and text are not HTML-escaped; the HTML is."""
    kind = NotificationKind(kind)

    def render(name, autoescape):
        template = get_template(f"{EMAIL_TEMPLATE_DIR}/{name}").template
        return template.render(Context(context, autoescape=autoescape))

    subject = " ".join(render(f"{kind}_subject.txt", autoescape=False).split())  # one line, always
    text = re.sub(r"\n{3,}", "\n\n", render(f"{kind}.txt", autoescape=False).strip()) + "\n"
    html = render(f"{kind}.html", autoescape=True).strip() + "\n"
    return subject[:200], text, html


def is_local_path(url: str) -> bool:
    """A path within this service ("/cases/12/"), never another site: the only safe redirect."""
    return (
        isinstance(url, str)
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)
    )


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notify(
    *,
    kind,
    users=(),
    organisations=(),
    url: str,
    case_reference: str = "",
    context: dict | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Put a notification in each user's inbox and each organisation's shared inbox, and email it
    once the current transaction commits. Inactive users and organisations are skipped.

    With a ``dedupe_key``, a notification already made with that key for a recipient is not made
    again: the call returns only the notifications it created.
    """
    return notify_many(
        kind=kind,
        items=[
            {
                "users": users,
                "organisations": organisations,
                "url": url,
                "case_reference": case_reference,
                "context": context,
                "dedupe_key": dedupe_key,
            }
        ],
    )


def notify_many(*, kind, items) -> list[Notification]:
    """``notify`` for many things of one kind at once, for set-based jobs: each item holds the
    keyword arguments of one ``notify`` call (``users``, ``organisations``, ``url``,
    ``case_reference``, ``context``, ``dedupe_key``). One insert and one email job for them all."""
    kind = NotificationKind(kind)
    now = timezone.now()
    rows = [row for item in items for row in _rows_for(kind, now, **item)]
    plain = [row for row in rows if not row.dedupe_key]
    deduplicated = [row for row in rows if row.dedupe_key]
    created = Notification.objects.bulk_create(plain) if plain else []
    if deduplicated:
        created += _create_skipping_duplicates(deduplicated, now)
    if created:
        transaction.on_commit(partial(_queue_emails, [n.pk for n in created]))
    return created


def _rows_for(
    kind, now, *, users=(), organisations=(), url, case_reference="", context=None, dedupe_key=""
) -> list[Notification]:
    """The unsaved rows of one notification: one per active recipient, rendered once."""
    if not is_local_path(url):
        raise ValueError(f"A notification links to a path within the service, not {url!r}.")
    recipients = {("u", user.pk): user for user in users if user.is_active}
    recipients |= {("o", org.pk): org for org in organisations if org.is_active}
    if not recipients:
        return []
    subject, text, html = render_email(
        kind,
        {
            **(context or {}),
            "kind": kind,
            "case_reference": case_reference,
            "link": absolute_url(url),
            "service_name": settings.SERVICE_NAME,
        },
    )
    return [
        Notification(
            recipient=recipient if tag == "u" else None,
            recipient_organisation=recipient if tag == "o" else None,
            kind=kind,
            subject=subject,
            body=text,
            body_html=html,
            url=url,
            case_reference=case_reference,
            created_at=now,
            dedupe_key=f"{dedupe_key}:{tag}{pk}" if dedupe_key else "",
        )
        for (tag, pk), recipient in recipients.items()
    ]


def _create_skipping_duplicates(rows, now):
    """Insert the rows whose dedupe key is new; a row another call made first (even at the same
    moment, which the unique constraint settles) is skipped. Returns the rows inserted here."""
    keys = {row.dedupe_key for row in rows}
    existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    new_rows = [row for row in rows if row.dedupe_key not in existing]
    if not new_rows:
        return []
    Notification.objects.bulk_create(new_rows, ignore_conflicts=True)  # no ids come back from this
    return list(
        Notification.objects.filter(dedupe_key__in={row.dedupe_key for row in new_rows}, created_at=now)
    )


def _queue_emails(ids):
    from .tasks import send_notification_emails

    send_notification_emails.delay(ids)


def notification_send_email(*, notification: Notification) -> bool:
    """Email one notification, at most once: the row is claimed before sending, so a retried job or
    a second worker finds it claimed and sends nothing. If sending fails the claim is released (and
    the error raised) so that a retry can send it. Returns whether this call sent it."""
    address = notification.email_address
    if not address or notification.wants_digest:
        return False  # the weekly digest sends it
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at=None).update(emailed_at=claimed_at)
    if not claimed:
        return False
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no out-of-office replies
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception:
        Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
        raise
    notification.emailed_at = claimed_at
    return True


def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's notifications read (for an organisation's notification, read for the
    whole organisation). Already read: nothing changes. Another's notification: 404."""
    notification = notification_get_for(user, notification_id)
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=now):
            notification.read_at = now
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark everything in the user's inbox read. Returns how many were unread."""
    return notification_list_for(user).filter(read_at=None).update(read_at=timezone.now())


def weekly_digest_send(*, today) -> dict:
    """On the digest day, one email to each user and shared inbox that asked for a digest, listing
    every notification not yet emailed: all since the previous digest, however long ago it was, so
    nothing depends on which day of the week a notification was made. Each notification is claimed
    before the email is sent, so a re-run or a second worker sends nothing twice."""
    from django.db.models import Q

    if today.weekday() != settings.DIGEST_WEEKDAY:
        return {"digests": 0}
    pending = (
        Notification.objects.filter(emailed_at=None)
        .filter(Q(recipient__email_digest=True) | Q(recipient_organisation__email_digest=True))
        .select_related("recipient", "recipient_organisation")
        .order_by("created_at", "id")
    )
    batches = {}
    for notification in pending:
        key = (
            ("u", notification.recipient_id)
            if notification.recipient_id
            else ("o", notification.recipient_organisation_id)
        )
        batches.setdefault(key, []).append(notification)
    sent = 0
    for items in batches.values():
        address = items[0].email_address
        if not address:
            continue
        claimed_at = timezone.now()
        ids = [n.pk for n in items]
        with transaction.atomic():
            claimed = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(pk__in=ids, emailed_at=None)
                .values_list("pk", flat=True)
            )
            if not claimed:
                continue
            Notification.objects.filter(pk__in=claimed).update(emailed_at=claimed_at)
            mine = [n for n in items if n.pk in set(claimed)]
            subject, text, html = render_email(
                NotificationKind.DIGEST,
                {
                    "items": [
                        {
                            "subject": n.subject,
                            "case_reference": n.case_reference,
                            "link": absolute_url(n.url),
                        }
                        for n in mine
                    ],
                    "count": len(mine),
                    "link": absolute_url("/notifications/"),
                    "service_name": settings.SERVICE_NAME,
                },
            )
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
            message.attach_alternative(html, "text/html")
            message.send(fail_silently=False)  # a failure rolls the claim back, for the next run
        sent += 1
    return {"digests": sent}


def notification_preferences_set(*, user, email_digest: bool, agency_digest: bool | None = None) -> None:
    """How the user (and, for a partner manager, their agency's shared inbox) receives emails."""
    from offenderhub.accounts.models import Organisation, Role
    from offenderhub.audit.models import AuditAction
    from offenderhub.audit.services import audit_record

    with transaction.atomic():
        if user.email_digest != email_digest:
            user.email_digest = email_digest
            user.save(update_fields=["email_digest"])
            audit_record(
                actor=user,
                action=AuditAction.CHANGED,
                obj=user,
                changes={"email_digest": [not email_digest, email_digest]},
                reason="Email preference changed",
            )
        if agency_digest is not None and user.has_role(Role.PARTNER_MANAGER):
            organisation = Organisation.objects.select_for_update().get(pk=user.organisation_id)
            if organisation.email_digest != agency_digest:
                organisation.email_digest = agency_digest
                organisation.save(update_fields=["email_digest"])
                audit_record(
                    actor=user,
                    action=AuditAction.CHANGED,
                    obj=organisation,
                    changes={"email_digest": [not agency_digest, agency_digest]},
                    reason="Agency inbox email preference changed",
                )

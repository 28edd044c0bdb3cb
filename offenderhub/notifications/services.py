"""Notifying people: the inbox rows and their emails.

Other apps call ``notify`` from their services and jobs, inside their own transaction. Each row is
also its email's outbox entry: a job to email the new rows is queued when that transaction commits
(best effort), and the outbox sweep, every minute, emails whatever that job did not (the broker was
down, a process was killed). Each email is claimed before it is sent, so however many jobs and
sweeps run, it is sent once.
"""

import json
import logging
import re
import smtplib
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme

from offenderhub.core.queueing import enqueue_on_commit

from .mail import NOTIFICATION_HEADER
from .models import EMAIL_CLAIM_EXPIRES, EmailStatus, Notification, NotificationKind
from .selectors import notification_get_for, notification_list_for

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "notifications/email"


def render_email(kind, context: dict) -> tuple[str, str, str]:
    """``(subject, text, html)`` for a kind of notification, from
    ``notifications/email/<kind>_subject.txt``, ``<kind>.txt`` and ``<kind>.html``.
    The subject and text are not HTML-escaped; the HTML is."""
    return _finish(*_render_raw(NotificationKind(kind), context))


def _render_raw(kind, context: dict) -> tuple[str, str, str]:
    def render(name, autoescape):
        template = get_template(f"{EMAIL_TEMPLATE_DIR}/{name}").template
        return template.render(Context(context, autoescape=autoescape))

    return (
        render(f"{kind}_subject.txt", autoescape=False),
        render(f"{kind}.txt", autoescape=False),
        render(f"{kind}.html", autoescape=True),
    )


def _finish(subject: str, text: str, html: str) -> tuple[str, str, str]:
    subject = " ".join(subject.split())  # one line, always
    text = re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n"
    return subject[:200], text, html.strip() + "\n"


# ``_EmailRenderer``: what differs for every notification (replaced in one render), what is the same
# for all, and template words that are not variables.
_TEMPLATE_WORDS = {"block", "endblock", "extends", "include", "if", "elif", "else", "endif", "not", "and"}
_TEMPLATE_WORDS |= {"or", "in", "is", "none", "true", "false", "load", "comment", "endcomment", "for"}
_TEMPLATE_WORDS |= {"endfor", "empty", "with", "endwith"}
_PER_ITEM = {"case_reference", "link"}
_SAME_FOR_ALL = {"service_name", "kind"}
_SENTINELS = {"case_reference": "OHSENTINELREFERENCE0", "link": "OHSENTINELLINK0"}


@lru_cache(maxsize=64)
def _template_variables(name: str) -> frozenset:
    """Every name a template (and the templates it extends or includes) may read from its context,
    over-counted rather than missed: a word in a tag or a variable that is not a template keyword."""
    from django.template.loader import get_template

    source = get_template(f"{EMAIL_TEMPLATE_DIR}/{name}").template.source
    names = set()
    for tag in re.findall(r"{%(.*?)%}|{{(.*?)}}", source, flags=re.S):
        body = re.sub(r"\"[^\"]*\"|'[^']*'", "", " ".join(tag))
        parent = re.search(r"(?:extends|include)\s+[\"']notifications/email/([^\"']+)[\"']", " ".join(tag))
        if parent:
            names |= _template_variables(parent.group(1))
        body = re.sub(r"\b(end)?block\s+\w+", "", body)
        for index, part in enumerate(body.split("|")):  # a variable, then its filters and their arguments
            words = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", part if index == 0 else part.partition(":")[2])
            names |= {word.split(".")[0] for word in words if word.lower() not in _TEMPLATE_WORDS}
    return frozenset(names)


class _EmailRenderer:
    """Renders one kind's emails for many notifications, each distinct text once.

    The case reference and the link differ for every notification: the templates are rendered with
    stand-ins for those two, which are then replaced for each notification (the HTML gets the
    escaped value, as ``{{ }}`` writes it). Whatever else the templates read (a date, the days
    left) is part of the key the renders are kept by, so notifications that differ only by case
    and link are rendered once. The first notification rendered for each key is also rendered in
    full and compared, and a kind whose templates do anything else with the reference or the link
    (a filter, a comparison) is rendered in full for every notification, as ``render_email`` does."""

    def __init__(self, kind):
        self.kind = NotificationKind(kind)
        used = set()
        for name in (f"{self.kind}_subject.txt", f"{self.kind}.txt", f"{self.kind}.html"):
            used |= _template_variables(name)
        self.keyed = sorted(used - _PER_ITEM - _SAME_FOR_ALL)
        self.quick = True
        self.rendered = {}  # key: the raw texts with stand-ins for the reference and the link

    def render(self, context: dict) -> tuple[str, str, str]:
        key = (bool(context.get("case_reference")), *(context.get(name) for name in self.keyed))
        try:
            hash(key)
        except TypeError:  # a list or a dict in the context: rendered in full
            return render_email(self.kind, context)
        if not self.quick:
            return render_email(self.kind, context)
        first = key not in self.rendered
        if first:
            stand_ins = {**context, "link": _SENTINELS["link"]}
            if key[0]:
                stand_ins["case_reference"] = _SENTINELS["case_reference"]
            self.rendered[key] = _render_raw(self.kind, stand_ins)
        subject, text, html = self.rendered[key]
        for name, sentinel in _SENTINELS.items():
            value = str(context.get(name) or "")
            subject, text = subject.replace(sentinel, value), text.replace(sentinel, value)
            html = html.replace(sentinel, conditional_escape(value))
        quick = _finish(subject, text, html)
        if first:
            full = render_email(self.kind, context)
            if full != quick:
                self.quick = False
                return full
        return quick


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
    ``case_reference``, ``context``, ``dedupe_key``). One insert and one email job for them all.
    Recipients already notified with an item's ``dedupe_key`` are left out before anything is
    rendered, so a re-run costs one query, not a render of every item again."""
    kind = NotificationKind(kind)
    now = timezone.now()
    items = list(items)
    existing = _existing_keys(items)
    renderer = _EmailRenderer(kind)
    rows = [row for item in items for row in _rows_for(kind, now, renderer=renderer, skip=existing, **item)]
    plain = [row for row in rows if not row.dedupe_key]
    deduplicated = [row for row in rows if row.dedupe_key]
    created = Notification.objects.bulk_create(plain) if plain else []
    if deduplicated:
        created += _create_skipping_duplicates(deduplicated, now)
    emailed_alone = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if emailed_alone:
        from .tasks import send_notification_emails

        enqueue_on_commit(send_notification_emails, emailed_alone)
    return created


def _recipients(users, organisations) -> dict:
    recipients = {("u", user.pk): user for user in users if user.is_active}
    recipients |= {("o", org.pk): org for org in organisations if org.is_active}
    return recipients


def _recipient_key(dedupe_key: str, tag: str, pk) -> str:
    return f"{dedupe_key}:{tag}{pk}" if dedupe_key else ""


def _existing_keys(items) -> set:
    """The dedupe keys of these items' recipients already taken, in one query (none without keys)."""
    keys = {
        _recipient_key(item["dedupe_key"], tag, pk)
        for item in items
        if item.get("dedupe_key")
        for tag, pk in _recipients(item.get("users", ()), item.get("organisations", ()))
    }
    if not keys:
        return set()
    return set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def _rows_for(
    kind,
    now,
    *,
    renderer,
    skip=frozenset(),
    users=(),
    organisations=(),
    url,
    case_reference="",
    context=None,
    dedupe_key="",
) -> list[Notification]:
    """The unsaved rows of one notification: one per active recipient not already notified with
    this ``dedupe_key`` (``skip``), rendered once."""
    if not is_local_path(url):
        raise ValueError(f"A notification links to a path within the service, not {url!r}.")
    recipients = {
        (tag, pk): recipient
        for (tag, pk), recipient in _recipients(users, organisations).items()
        if _recipient_key(dedupe_key, tag, pk) not in skip
    }
    if not recipients:
        return []
    subject, text, html = renderer.render(
        {
            **(context or {}),
            "kind": kind,
            "case_reference": case_reference,
            "link": absolute_url(url),
            "service_name": settings.SERVICE_NAME,
        },
    )
    rows = [
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
            dedupe_key=_recipient_key(dedupe_key, tag, pk),
        )
        for (tag, pk), recipient in recipients.items()
    ]
    for row in rows:
        row.email_status = row.email_status_due()
    return rows


def _create_skipping_duplicates(rows, now):
    """Insert the rows (whose keys were new when looked up): a row another call made since, even at
    the same moment, is skipped by the unique constraint. Returns the rows inserted here."""
    if connection.vendor == "postgresql":
        return _insert_skipping_duplicates(rows)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)  # no ids come back from this
    keys = {row.dedupe_key for row in rows}
    inserted = dict(
        Notification.objects.filter(dedupe_key__in=keys, created_at=now).values_list("dedupe_key", "pk")
    )
    return _given_ids(rows, inserted)


def _insert_skipping_duplicates(rows):
    """``_create_skipping_duplicates`` on PostgreSQL, in one statement whose ``RETURNING`` names the
    rows inserted (``ON CONFLICT DO NOTHING``): the rows sent as one JSON document, as each column
    takes them, rather than as a parameter for each value (thousands of rows on a job's day)."""
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = Notification._meta.db_table
    values = [{field.column: getattr(row, field.attname) for field in fields} for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 (the model's names)
            f"FROM json_populate_recordset(NULL::{table}, %s) "
            "ON CONFLICT DO NOTHING RETURNING dedupe_key, id",
            # Datetimes to the microsecond (DjangoJSONEncoder would keep milliseconds).
            [json.dumps(values, default=datetime.isoformat)],
        )
        inserted = dict(cursor.fetchall())
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias
    return _given_ids(rows, inserted)


def _given_ids(rows, inserted: dict) -> list:
    """The rows inserted (``inserted``: their ids by key), given their ids: the rows as written, not
    read back whole. Of rows with the same key only the first was inserted."""
    made = []
    for row in rows:
        row.pk = inserted.pop(row.dedupe_key, None)
        if row.pk is not None:
            made.append(row)
    return made


def is_transient_email_error(exc: OSError) -> bool:
    """Worth trying again: the mail server was unreachable, dropped the connection or answered
    "try later" (4xx). A permanent refusal (5xx) will not change by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return True  # connection refused or reset, time-outs, the server disconnecting


def notification_send_email(*, notification: Notification) -> bool:
    """Email one notification, once: the row is claimed (PENDING to SENDING, by a conditional
    update) before sending and marked SENT after, so a retried job, the sweep or a second worker
    finds it claimed and sends nothing. A claim left by a worker that died while sending expires
    (``EMAIL_CLAIM_EXPIRES``) and the sweep sends it then.

    A recipient who now wants the digest, or has no usable address, gets no email of its own (the
    row is marked DIGEST or NOT_SENT, and not looked at again). If the mail server fails for now the
    claim is released and the error raised, for a retry; if it refuses the address for good, the row
    is marked NOT_SENT and the refusal logged. Returns whether this call sent it."""
    due = notification.email_status_due()
    if due != EmailStatus.PENDING:
        Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
            email_status=due
        )
        return False
    claimed_at = timezone.now()
    claimable = Q(email_status=EmailStatus.PENDING) | Q(
        email_status=EmailStatus.SENDING, email_claimed_at__lt=claimed_at - EMAIL_CLAIM_EXPIRES
    )
    mine = Notification.objects.filter(pk=notification.pk, email_claimed_at=claimed_at)
    if not Notification.objects.filter(claimable, pk=notification.pk).update(
        email_status=EmailStatus.SENDING, email_claimed_at=claimed_at
    ):
        return False
    try:
        _email_message(notification).send(fail_silently=False)
    except Exception as exc:
        if isinstance(exc, OSError) and not is_transient_email_error(exc):
            mine.update(email_status=EmailStatus.NOT_SENT, email_claimed_at=None)
            logger.error(
                "Notification %s: email refused for good (%s), not retrying", notification.pk, _refusal(exc)
            )
            return False
        mine.update(email_status=EmailStatus.PENDING, email_claimed_at=None)
        raise
    sent_at = timezone.now()
    mine.update(email_status=EmailStatus.SENT, emailed_at=sent_at)
    notification.email_status, notification.emailed_at = EmailStatus.SENT, sent_at
    return True


def _refusal(exc: OSError) -> str:
    """The SMTP reply codes of a refusal, without the addresses refused (personal data)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return ", ".join(sorted({str(code) for code, _ in exc.recipients.values()}))
    return str(getattr(exc, "smtp_code", type(exc).__name__))


def _email_message(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email_address],
        headers={
            "Auto-Submitted": "auto-generated",  # RFC 3834: no out-of-office replies
            NOTIFICATION_HEADER: str(notification.pk),  # to trace a bounce or a log line to its row
        },
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


# The outbox sweep reads this many rows at a time, and at most OUTBOX_RUN_LIMIT in one run (a longer
# backlog is left to the next run, which its task queues at once): memory and run time stay bounded
# however long the broker was down.
OUTBOX_BATCH_SIZE = 200
OUTBOX_RUN_LIMIT = 2000


def _outbox():
    """The outbox: notifications waiting to be emailed on their own, and those whose sender died
    while sending (claim expired). Oldest first."""
    now = timezone.now()
    return Notification.objects.filter(
        Q(email_status=EmailStatus.PENDING)
        | Q(email_status=EmailStatus.SENDING, email_claimed_at__lt=now - EMAIL_CLAIM_EXPIRES)
    ).order_by("pk")


def notification_outbox_send(*, batch_size=OUTBOX_BATCH_SIZE, limit=OUTBOX_RUN_LIMIT) -> dict:
    """Email every notification still in the outbox (up to ``limit`` of them), each claimed as
    ``notification_send_email`` does, so two sweeps at once, or a sweep beside the job queued on
    commit, send each email once. A mail server failing for now stops the sweep (the error is
    raised; the next run tries again). Returns ``{"emails_sent": n, "more": bool}``: ``more`` when
    ``limit`` rows were looked at and others may wait."""
    sent = seen = 0
    after = 0
    while seen < limit:
        batch = list(
            _outbox()
            .filter(pk__gt=after)
            .select_related("recipient", "recipient_organisation")[: min(batch_size, limit - seen)]
        )
        if not batch:
            break
        for notification in batch:
            sent += notification_send_email(notification=notification)
        seen += len(batch)
        after = batch[-1].pk
    if sent:
        logger.info("Outbox: %s notification emails sent", sent)
    return {"emails_sent": sent, "more": seen >= limit}


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
    nothing depends on which day of the week a notification was made. Notifications left for the
    digest by someone who has since asked for an email each are listed one last time. Each
    notification is claimed before the email is sent, so a re-run or a second worker sends nothing
    twice."""
    if today.weekday() != settings.DIGEST_WEEKDAY:
        return {"digests": 0}
    waiting = [EmailStatus.PENDING, EmailStatus.DIGEST]
    pending = (
        Notification.objects.filter(email_status__in=waiting)
        .filter(
            Q(email_status=EmailStatus.DIGEST)
            | Q(recipient__email_digest=True)
            | Q(recipient_organisation__email_digest=True)
        )
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
        ids = [n.pk for n in items]
        if not address:  # nowhere to send them: not looked at again
            Notification.objects.filter(pk__in=ids, email_status__in=waiting).update(
                email_status=EmailStatus.NOT_SENT
            )
            continue
        claimed_at = timezone.now()
        with transaction.atomic():
            claimed = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(pk__in=ids, email_status__in=waiting)
                .values_list("pk", flat=True)
            )
            if not claimed:
                continue
            Notification.objects.filter(pk__in=claimed).update(
                email_status=EmailStatus.SENT, emailed_at=claimed_at
            )
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

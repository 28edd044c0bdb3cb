"""Sending the emails. Jobs take ids and call a service; retries live here."""

import logging
import smtplib

from celery import shared_task

from .models import Notification
from .services import notification_send_email

logger = logging.getLogger(__name__)


def is_transient_email_error(exc: OSError) -> bool:
    """Worth trying again: the mail server was unreachable, dropped the connection or answered
    "try later" (4xx). A permanent refusal (5xx) will not change by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return True  # connection refused or reset, time-outs, the server disconnecting


@shared_task(
    acks_late=True,
    serializer="json",
    autoretry_for=(OSError,),  # smtplib's errors are OSErrors too; permanent ones are not re-raised
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
)
def send_notification_emails(ids: list[int]) -> int:
    """Email the notifications with these ids that have not been emailed yet. Safe to run again:
    each email is claimed before it is sent. Returns how many this run sent."""
    sent = 0
    notifications = Notification.objects.filter(pk__in=ids, emailed_at=None).select_related(
        "recipient", "recipient_organisation"
    )
    for notification in notifications.order_by("pk"):
        try:
            sent += notification_send_email(notification=notification)
        except OSError as exc:
            if is_transient_email_error(exc):
                raise  # retried later, with back-off; those already sent are not sent again
            logger.error("Notification %s: email refused, not retrying: %s", notification.pk, exc)
    return sent

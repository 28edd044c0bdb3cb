"""Sending the emails. Jobs take ids (or nothing, for the sweep) and call a service; retries live here."""

from celery import shared_task

from offenderhub.core.queueing import enqueue

from .models import EmailStatus, Notification
from .services import notification_outbox_send, notification_send_email


@shared_task(
    acks_late=True,
    serializer="json",
    autoretry_for=(OSError,),  # the mail server failing for now; a refusal for good is not raised
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,  # shorter than EMAIL_CLAIM_EXPIRES, so a live sender never loses its claim
)
def send_notification_emails(ids: list[int]) -> int:
    """Queued when notifications are made: email those with these ids still waiting. Safe to run
    again (each email is claimed before it is sent); what it does not send, the outbox sweep does.
    Returns how many this run sent."""
    sent = 0
    notifications = Notification.objects.filter(pk__in=ids, email_status=EmailStatus.PENDING).select_related(
        "recipient", "recipient_organisation"
    )
    for notification in notifications.order_by("pk"):
        sent += notification_send_email(notification=notification)
    return sent


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=4 * 60, time_limit=5 * 60)
def send_outbox_emails() -> int:
    """Every minute, and when a worker starts: email every notification still waiting, whatever
    became of the job queued for it. A long backlog is sent in runs of bounded size, each queuing the
    next. A mail server failing for now fails this run; the next minute's run tries again."""
    result = notification_outbox_send()
    if result["more"]:
        enqueue(send_outbox_emails)
    return result["emails_sent"]

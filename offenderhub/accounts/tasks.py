"""Account emails, sent by a job so that no request waits for the mail server (see emails.py)."""

from celery import shared_task

from .emails import account_email_send


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),  # the mail server failing for now
    retry_backoff=30,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_account_email(user_id: int | None, kind: str, occurred_at: str) -> bool:
    """Email one person about their account (``kind``: see ``ACCOUNT_EMAIL_KINDS``)."""
    return account_email_send(user_id=user_id, kind=kind, occurred_at=occurred_at)

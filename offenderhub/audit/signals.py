"""Logins, logouts, failed logins and lock-outs go to the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditAction
from .services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditAction.LOGIN, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, request=request)


def _attempted_account(username):
    """The account a failed attempt was made against, if it exists, so that its organisation's
    administrators see the attempt."""
    from django.contrib.auth import get_user_model

    if not username:
        return None
    return get_user_model().objects.filter(email__iexact=username).select_related("organisation").first()


def _record_attempt(action, request, username):
    account = _attempted_account(username)
    audit_record(
        actor=None,
        action=action,
        request=request,
        obj=account,
        object_label=f"User #{account.pk}" if account else None,
        owner_organisation=account.organisation if account else None,
        actor_label=f"attempt as {username or ''}"[:254],
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username") or (credentials or {}).get("email")
    _record_attempt(AuditAction.LOGIN_FAILED, request, username)


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    _record_attempt(AuditAction.LOCKED_OUT, request, username)

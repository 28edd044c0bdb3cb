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


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    attempted = (credentials or {}).get("username") or (credentials or {}).get("email") or ""
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        request=request,
        actor_label=f"attempt as {attempted}"[:254],
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_record(
        actor=None,
        action=AuditAction.LOCKED_OUT,
        request=request,
        actor_label=f"attempt as {username or ''}"[:254],
    )

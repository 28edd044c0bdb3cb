"""Scoped reads of the inbox: a user's own notifications, and their organisation's shared inbox when
they are partner staff (the agency's inbox) or a police supervisor (the force's inbox, where the
case file team's notices also go). Nobody else's."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from offenderhub.accounts.models import PARTNER_ROLES, Role

from .models import EmailStatus, Notification


def notification_list_for(user):
    """The user's inbox, newest first."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    mine = Q(recipient_id=user.pk)
    if user.organisation_id and user.has_role(*PARTNER_ROLES, Role.SUPERVISOR):
        mine |= Q(recipient_organisation_id=user.organisation_id)
    return Notification.objects.filter(mine).order_by("-created_at", "-id")


def notification_get_for(user, pk):
    return get_object_or_404(notification_list_for(user), pk=pk)


def unread_count_for(user) -> int:
    """How many notifications in the user's inbox are unread (one query)."""
    return notification_list_for(user).filter(read_at=None).count()


def notifications_awaiting_email_count() -> int:
    """How many notifications wait in the outbox to be emailed on their own (for health checks and
    metrics: a number that keeps growing means no worker is sending). One query, on a small index."""
    return Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING]).count()

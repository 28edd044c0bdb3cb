"""Scoped reads of the inbox: a user's own notifications, and their organisation's shared inbox when
they are partner staff (the agency's inbox) or a police supervisor (the force's inbox, where the
case file team's notices also go). Nobody else's."""

import operator
from functools import reduce

from django.db import connection
from django.db.models import Q
from django.shortcuts import get_object_or_404

from offenderhub.accounts.models import PARTNER_ROLES, Role

from .models import EmailStatus, Notification

NEWEST_FIRST = ("-created_at", "-id")


def _inbox_recipients(user) -> list[Q]:
    """Whose notifications make up the user's inbox: their own and, for partner staff and
    supervisors, their organisation's shared inbox. A notification has exactly one recipient (a user
    or an organisation), so the parts never overlap."""
    if not user.is_authenticated or not user.is_active:
        return []
    parts = [Q(recipient_id=user.pk)]
    if user.organisation_id and user.has_role(*PARTNER_ROLES, Role.SUPERVISOR):
        parts.append(Q(recipient_organisation_id=user.organisation_id))
    return parts


def notification_list_for(user):
    """The user's inbox, newest first."""
    parts = _inbox_recipients(user)
    if not parts:
        return Notification.objects.none()
    return Notification.objects.filter(reduce(operator.or_, parts)).order_by(*NEWEST_FIRST)


def notification_get_for(user, pk):
    return get_object_or_404(notification_list_for(user), pk=pk)


def unread_count_for(user) -> int:
    """How many notifications in the user's inbox are unread (one query)."""
    return notification_list_for(user).filter(read_at=None).count()


class InboxPages:
    """The inbox as the paginator reads it: a length and slices, newest first.

    Each part of the inbox (the user's own, the organisation's shared one) has an index in that
    order, so a slice reads at most as many rows of each part as the slice's end, and merges them:
    the first page costs the same however many notifications an agency has received. A single
    query over both recipients would have to sort every one of them first."""

    def __init__(self, user):
        self.parts = [Notification.objects.filter(part) for part in _inbox_recipients(user)]
        if len(self.parts) > 1 and not connection.features.supports_slicing_ordering_in_compound:
            # SQLite (``make run``) cannot limit each part of a UNION: one query over both.
            self.parts = [notification_list_for(user)]

    def count(self) -> int:
        if not self.parts:
            return 0
        ids = [part.order_by().values_list("id") for part in self.parts]
        return ids[0].union(*ids[1:], all=True).count() if len(ids) > 1 else ids[0].count()

    def __getitem__(self, window: slice):
        if not self.parts:
            return []
        start, stop = window.start or 0, window.stop
        if stop is not None and stop <= start:
            return []  # an empty inbox's only page
        if len(self.parts) == 1:
            return list(self.parts[0].order_by(*NEWEST_FIRST)[start:stop])
        newest = [part.order_by(*NEWEST_FIRST)[:stop] for part in self.parts]
        return list(newest[0].union(*newest[1:], all=True).order_by(*NEWEST_FIRST)[start:stop])


def notifications_awaiting_email_count() -> int:
    """How many notifications wait in the outbox to be emailed on their own (for health checks and
    metrics: a number that keeps growing means no worker is sending). One query, on a small index."""
    return Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING]).count()

"""Scoped reads of the audit log."""

from django.db.models import Q

from .models import AuditEvent


def audit_event_list_for(user):
    """Events an administrator may review: those done by their organisation's people and those about
    records their organisation is responsible for. Superusers see the whole log."""
    events = AuditEvent.objects.select_related("content_type", "actor_organisation", "owner_organisation")
    if user.is_superuser:
        return events
    if user.organisation_id is None:  # else the filter below would match every event with no organisation
        return events.none()
    return events.filter(
        Q(actor_organisation_id=user.organisation_id) | Q(owner_organisation_id=user.organisation_id)
    )

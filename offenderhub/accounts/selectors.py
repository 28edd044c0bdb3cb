"""Scoped reads of organisations and users."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .models import Organisation, RoleAssignment, User


def organisation_list_for(user):
    """Organisations whose membership this user may see: their own (superusers: all)."""
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=user.organisation_id, is_active=True)


def organisation_get_for(user, pk):
    return get_object_or_404(organisation_list_for(user), pk=pk)


def member_list_for(user, organisation):
    """Active members of an organisation already scoped by ``organisation_get_for``, with their roles."""
    return (
        User.objects.filter(organisation=organisation, is_active=True)
        .select_related("area")
        .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")))
        .order_by("full_name")
    )

"""Scoped reads of caseload imports: a police force's administrators see their own force's imports."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from offenderhub.accounts.models import OrganisationKind, Role

from .models import CaseloadImport


def _force_id_for(user):
    """The force whose imports this administrator keeps; PermissionDenied for anyone else (an
    administrator of a partner agency or a commissioner's office has no caseload to import)."""
    if (
        user.is_authenticated
        and user.has_role(Role.ADMINISTRATOR)
        and user.organisation is not None
        and user.organisation.kind == OrganisationKind.POLICE_FORCE
    ):
        return user.organisation_id
    raise PermissionDenied


def caseload_import_list_for(user):
    return CaseloadImport.objects.filter(force_id=_force_id_for(user)).select_related("uploaded_by")


def caseload_import_get_for(user, pk):
    return get_object_or_404(caseload_import_list_for(user).select_related("confirmed_by"), pk=pk)

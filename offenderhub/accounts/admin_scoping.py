"""Scopes each administrator's pages in the Django admin to their own organisation."""

from django.db.models.functions import Lower
from django.http import Http404


class OutOfScopeIsNotFoundMixin:
    """A record outside the administrator's scope (``get_queryset``) is a 404 on every page that
    names it (change, delete, history), as elsewhere in the service, not the admin's redirect."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record.")
        return obj


class OrganisationScopedAdminMixin(OutOfScopeIsNotFoundMixin):
    """``organisation_field`` is the lookup from the model to the organisation that owns the row."""

    organisation_field = "organisation"
    organisation_fk_fields = ("organisation", "force")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.organisation_field: request.user.organisation_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            not request.user.is_superuser
            and db_field.name in self.organisation_fk_fields
            and field is not None
        ):
            field.queryset = field.queryset.filter(pk=request.user.organisation_id)
        elif not request.user.is_superuser and db_field.name == "area" and field is not None:
            field.queryset = field.queryset.filter(force_id=request.user.organisation_id)
        return field


class SuperuserChangesOnlyMixin:
    """Shared national reference data: administrators may look, only superusers add, change or
    delete, as a change would reach every force."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class LockoutScopedAdminMixin(OutOfScopeIsNotFoundMixin):
    """django-axes' sign-in records (attempts, lock-outs, successful sign-ins): an administrator sees
    those against the accounts of their own organisation; attempts against accounts that do not
    exist, and lock-outs of an address, are for superusers."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        from .models import User

        emails = User.objects.filter(organisation_id=request.user.organisation_id).values(
            email_lower=Lower("email")
        )
        return queryset.alias(username_lower=Lower("username")).filter(username_lower__in=emails)

"""The condition catalogue. The national entries (no force) are kept by superusers; each force's
administrators see them, and add and change entries of their own force's, which only that force's
case workers are offered. Case conditions are not in the admin."""

from django.contrib import admin
from django.db.models import Q

from offenderhub.accounts.admin_scoping import OutOfScopeIsNotFoundMixin
from offenderhub.audit.admin import AuditedAdminMixin

from .models import ConditionTemplate


@admin.register(ConditionTemplate)
class ConditionTemplateAdmin(AuditedAdminMixin, OutOfScopeIsNotFoundMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "force",
        "kind",
        "default_duration_days",
        "default_hours",
        "amount_kind",
        "needs_referral",
        "is_active",
    ]
    list_filter = ["kind", "needs_referral", "is_active"]
    search_fields = ["name", "wording"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("force")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(force=None) | Q(force_id=request.user.organisation_id))

    def _own(self, request, obj) -> bool:
        return request.user.is_superuser or obj is None or obj.force_id == request.user.organisation_id

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "force" and not request.user.is_superuser:
            field.queryset = field.queryset.filter(pk=request.user.organisation_id)
            field.required = True
            field.empty_label = None
        return field

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.force_id = request.user.organisation_id  # an administrator's entries are their force's
        super().save_model(request, obj, form, change)

"""The condition catalogue, managed by police administrators. Case conditions are not in the admin."""

from django.contrib import admin

from offenderhub.audit.admin import AuditedAdminMixin

from .models import ConditionTemplate


@admin.register(ConditionTemplate)
class ConditionTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "default_duration_days",
        "default_hours",
        "amount_kind",
        "needs_referral",
        "is_active",
    ]
    list_filter = ["kind", "needs_referral", "is_active"]
    search_fields = ["name", "wording"]

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be searched, never changed."""

    list_display = [
        "occurred_at",
        "actor_label",
        "action",
        "content_type",
        "object_id",
        "object_label",
        "ip_address",
    ]
    list_filter = ["action", "content_type", "actor_organisation", "occurred_at"]
    search_fields = ["actor_label", "object_id", "object_label", "reason"]
    date_hierarchy = "occurred_at"
    list_select_related = ["content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

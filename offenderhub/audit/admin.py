from django.contrib import admin

from .models import AuditAction, AuditEvent
from .selectors import audit_event_list_for


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

    def get_queryset(self, request):
        return audit_event_list_for(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Administration pages write to the audit log too, beside Django's own admin history."""

    def _audit(self, request, obj, action, message):
        from .services import audit_record

        text = message if isinstance(message, str) else "; ".join(str(m) for m in message) if message else ""
        audit_record(
            actor=request.user,
            action=action,
            obj=obj,
            request=request,
            reason=f"Administration: {text}"[:2000] if text else "Administration",
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, AuditAction.CREATED, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, AuditAction.CHANGED, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, AuditAction.DELETED, "deleted")
        return super().log_deletions(request, queryset)

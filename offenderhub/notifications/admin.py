from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only, for superusers checking what was sent (administrators are not given it: see
    ``accounts/permissions.py``)."""

    list_display = [
        "created_at",
        "kind",
        "case_reference",
        "recipient",
        "recipient_organisation",
        "read_at",
        "email_status",
        "emailed_at",
    ]
    list_filter = ["kind", "email_status", "created_at"]
    search_fields = ["case_reference", "dedupe_key"]
    list_select_related = ["recipient", "recipient_organisation"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

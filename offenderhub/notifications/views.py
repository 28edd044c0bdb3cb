from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role

from . import services
from .selectors import InboxPages

# Everyone with a role has an inbox; each sees only their own (and their agency's shared inbox).
ANY_ROLE = frozenset(Role)


class InboxView(RoleRequiredMixin, ListView):
    required_roles = ANY_ROLE
    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self):
        return InboxPages(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "is_partner_manager": self.request.user.has_role(Role.PARTNER_MANAGER),
        }


class NotificationReadView(RoleRequiredMixin, View):
    """Open a notification: mark it read and go to the page it is about."""

    required_roles = ANY_ROLE

    def post(self, request, pk):
        notification = services.notification_mark_read(notification_id=pk, user=request.user)
        if services.is_local_path(notification.url):
            return redirect(notification.url)
        return redirect("notifications:inbox")  # never send anyone to another site


class NotificationReadAllView(RoleRequiredMixin, View):
    required_roles = ANY_ROLE

    def post(self, request):
        count = services.notification_mark_all_read(user=request.user)
        if count:
            messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
        return redirect("notifications:inbox")


class PreferencesView(RoleRequiredMixin, View):
    """Email each notification, or a weekly digest (and, for partner managers, the agency's inbox)."""

    required_roles = ANY_ROLE

    def post(self, request):
        agency = request.POST.get("agency_digest") if request.user.has_role(Role.PARTNER_MANAGER) else None
        services.notification_preferences_set(
            user=request.user,
            email_digest=request.POST.get("email_digest") == "weekly",
            agency_digest=None if agency is None else agency == "weekly",
        )
        messages.success(request, "Email preference saved.")
        return redirect("notifications:inbox")

from django.views.generic import ListView

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role

from .filters import AuditEventFilter
from .models import AuditAction
from .selectors import audit_event_list_for
from .services import audit_record


class AuditLogView(RoleRequiredMixin, ListView):
    """The audit log, filterable by who, what, which record and when."""

    required_roles = frozenset({Role.ADMINISTRATOR})
    template_name = "audit/log.html"
    paginate_by = 50
    context_object_name = "events"

    def get_queryset(self):
        # Always bound (no filters is valid input), so the unfiltered page lists every event in scope.
        self.filterset = AuditEventFilter(self.request.GET, queryset=audit_event_list_for(self.request.user))
        return self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        # Read the page before recording this view, so the page shows the log as it was when opened.
        context["events"] = context["page_obj"].object_list = list(context["page_obj"].object_list)
        audit_record(
            actor=self.request.user,
            action=AuditAction.VIEWED,
            request=self.request,
            object_label="Audit log",
            owner_organisation=self.request.user.organisation,
            reason="Audit log reviewed"
            + (f" with filters {context['query_string']}" if context["query_string"] else ""),
        )
        return context

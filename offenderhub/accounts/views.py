from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, View

from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from .access import RoleRequiredMixin
from .forms import LoginForm
from .models import Role
from .selectors import member_list_for, organisation_get_for

TEAM_ROLES = frozenset({Role.SUPERVISOR, Role.PARTNER_MANAGER, Role.ADMINISTRATOR})


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "lockout_limit": settings.AXES_FAILURE_LIMIT}

    def post(self, request, *args, **kwargs):
        """What a sign-in writes (the new session, django-axes' log or failure count, last_login and
        the audit row, which comes last, so the audit chain's head is locked only until the commit
        that follows) is committed once, rather than four times."""
        with transaction.atomic():
            return super().post(request, *args, **kwargs)


class MyOrganisationView(RoleRequiredMixin, View):
    required_roles = TEAM_ROLES

    def get(self, request):
        if request.user.organisation_id is None:  # an administrator may have no organisation
            raise Http404("You do not belong to an organisation.")
        return redirect("accounts:organisation", pk=request.user.organisation_id)


class OrganisationView(RoleRequiredMixin, DetailView):
    """An organisation's people and their roles: staff personal data, so each view is audited."""

    required_roles = TEAM_ROLES
    template_name = "accounts/organisation.html"
    context_object_name = "organisation"

    def get_object(self, queryset=None):
        return organisation_get_for(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = member_list_for(self.request.user, self.object)
        context["areas"] = self.object.areas.all()
        audit_record(
            actor=self.request.user,
            action=AuditAction.VIEWED,
            obj=self.object,
            request=self.request,
            reason="Team membership reviewed",
        )
        return context

from django.views.generic import TemplateView

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role

from .home import home_sections_for


class HomeView(RoleRequiredMixin, TemplateView):
    """One home page, made of a section for each role the user holds."""

    required_roles = frozenset(Role)
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sections"] = home_sections_for(self.request.user)
        return context

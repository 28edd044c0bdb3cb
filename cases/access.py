"""Access to the pages about one case's records (assessment, conditions, caution, breach, prosecution).

Partner users are let past the role check so that the scoped selector answers them exactly as it
answers another force: the record does not exist (404). Police users without the action's role get 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import PARTNER_ROLES, POLICE_ROLES
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.forms import add_service_errors

from .services import CaseError


class CaseRecordView(RoleRequiredMixin, View):
    required_roles = POLICE_ROLES | PARTNER_ROLES
    action_roles = POLICE_ROLES

    def check_action(self):
        if not self.request.user.has_role(*self.action_roles):
            raise PermissionDenied


class CaseFormView(CaseRecordView):
    """One form, one service call. Subclasses set ``template_name`` and ``form_class`` and define
    ``get_object(pk)`` (a scoped selector: returns the case and the record), ``perform(form)`` (the
    service call; returns the URL to go to) and optionally ``extra_context()`` and ``form_kwargs()``.
    A refused form is shown again with its errors and a 400."""

    template_name = ""
    form_class = None
    success_message = ""
    view_reason = "Form"  # what the audit row says was opened

    def get_object(self, pk):
        raise NotImplementedError

    def form_kwargs(self):
        return {}

    def initial(self):
        return {}

    def extra_context(self):
        return {}

    def perform(self, form):
        raise NotImplementedError

    def refuse_get(self):
        """A reason the page cannot be used now (shown on the page ``refused_url`` names), or None."""
        return None

    def refused_url(self):
        return reverse("cases:detail", args=[self.case.pk])

    def _setup(self, pk):
        self.case, self.object = self.get_object(pk)
        self.check_action()

    def _render(self, form, status=200):
        context = {"case": self.case, "person": self.case.person, "object": self.object, "form": form}
        context.update(self.extra_context())
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        self._setup(pk)
        refusal = self.refuse_get()
        if refusal:
            messages.error(request, refusal)
            return redirect(self.refused_url())
        record = self.object if hasattr(self.object, "audit_label") else self.case
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=record,
            request=request,
            reason=f"{self.view_reason} opened",
        )
        return self._render(self.form_class(initial=self.initial(), **self.form_kwargs()))

    def post(self, request, pk):
        self._setup(pk)
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs())
        if form.is_valid():
            try:
                url = self.perform(form)
            except (ValidationError, CaseError) as exc:
                add_service_errors(form, exc)
            else:
                if self.success_message:
                    messages.success(request, self.success_message)
                return redirect(url)
        return self._render(form, status=400)


class CaseActionView(CaseRecordView):
    """A POST-only action button: one service call, then back to the page. Refusals are shown as a
    message and answered with a redirect (the page shows the reason), never a server error."""

    def get_object(self, pk):
        raise NotImplementedError

    def perform(self):
        raise NotImplementedError

    def post(self, request, pk):
        self.case, self.object = self.get_object(pk)
        self.check_action()
        try:
            url, message = self.perform()
        except (ValidationError, CaseError) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
            return redirect(self.refused_url())
        messages.success(request, message)
        return redirect(url)

    def refused_url(self):
        return reverse("cases:detail", args=[self.case.pk])

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from cases.access import CaseFormView, CaseRecordView
from cases.selectors import case_get_for
from conditions.models import LIVE_CONDITION_STATUSES
from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import PARTNER_ROLES, POLICE_ROLES, Organisation, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from . import services
from .filters import ReferralFilter, sort_referrals
from .forms import (
    AppointmentForm,
    AssignForm,
    DeclineForm,
    EvidenceForm,
    NoteForm,
    OutcomeForm,
    PractitionerForm,
    ReferralForm,
    ReportForm,
    RescheduleForm,
    SessionForm,
    WithdrawForm,
)
from .models import Appointment, Evidence, ReferralStatus
from .selectors import (
    TABS,
    practitioner_list_for,
    referral_detail_for,
    referral_get_for,
    referral_list_for,
    referral_workspace_for,
    service_list_for_referral,
    tab_counts_for,
)

MANAGERS = frozenset({Role.PARTNER_MANAGER})
PARTNERS = frozenset(PARTNER_ROLES)
EVERYONE = frozenset(POLICE_ROLES | PARTNER_ROLES)


class WorkspaceView(RoleRequiredMixin, View):
    """The partner workspace: tabs of the agency's referrals, filtered, sorted and paginated."""

    required_roles = PARTNERS

    def get(self, request):
        user = request.user
        tabs = ["mine", "unassigned", "open", "completed", "closed"]
        if not user.has_role(Role.PARTNER_MANAGER):
            tabs.remove("unassigned")
        tab = request.GET.get("tab") or ("unassigned" if "unassigned" in tabs else "mine")
        if tab not in tabs:
            tab = tabs[0]
        filterset = ReferralFilter(request.GET or None, queryset=referral_workspace_for(user, tab), user=user)
        queryset = (
            filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()
        )
        queryset, sort = sort_referrals(queryset, request.GET.get("sort", ""))
        counts = tab_counts_for(user, tabs)
        paginator = Paginator(queryset, 25)
        if not _is_filtered(filterset):
            # The tab's count is the list's length: no second count of the same rows.
            paginator.count = counts[tab]
        page = paginator.get_page(request.GET.get("page"))
        keep = {k: v for k, v in request.GET.items() if k in {"tab", "q", "service", "due_before"} and v}
        keep["tab"] = tab
        shown = list(page.object_list)
        for force_id in sorted({r.case.force_id for r in shown}):
            audit_record(
                actor=user,
                action=AuditAction.VIEWED,
                request=request,
                object_label="Partner referral list",
                owner_organisation=Organisation(pk=force_id),
                reason=f"Referral list ({tab}) viewed: referrals "
                + ", ".join(str(r.pk) for r in shown if r.case.force_id == force_id),
            )
        return render(
            request,
            "referrals/workspace.html",
            {
                "tabs": [(key, TABS[key][0], counts[key]) for key in tabs],
                "tab": tab,
                "filter": filterset,
                "page_obj": page,
                "referrals": shown,
                "current_sort": sort,
                "sort_base": urlencode(keep),
                "query_string": urlencode({**keep, **({"sort": sort} if sort else {})}),
            },
        )


def _is_filtered(filterset) -> bool:
    """Whether the list is narrowed by a filter (an invalid one shows nothing at all)."""
    if not filterset.is_bound:
        return False
    return not filterset.is_valid() or any(
        value not in (None, "") for value in filterset.form.cleaned_data.values()
    )


class _OnReferral:
    def get_object(self, pk):
        referral = referral_get_for(self.request.user, pk)
        return referral.case, referral

    def refused_url(self):
        return reverse("referrals:detail", args=[self.object.pk])


class ReferralCreateView(CaseFormView):
    template_name = "referrals/referral_form.html"
    form_class = ReferralForm
    success_message = "Referral sent. The agency has been told."

    def get_object(self, pk):
        case = case_get_for(self.request.user, pk)
        return case, case

    def refuse_get(self):
        if self.case.status not in services.REFERRABLE_CASE_STATUSES:
            return f"A case that is “{self.case.get_status_display()}” cannot make referrals."

    def _conditions(self):
        return self.case.conditions.filter(status__in=LIVE_CONDITION_STATUSES).select_related(
            "responsible_organisation"
        )

    def form_kwargs(self):
        return {"services": service_list_for_referral(self.case), "conditions": self._conditions()}

    def initial(self):
        from assessments.models import IN_NEED

        person = self.case.person
        initial = {"interpreter_language": person.interpreter_language if person.interpreter_needed else ""}
        assessment = self.case.assessments.filter(kind="initial").first()
        if assessment is not None:
            needs = list(assessment.needs.filter(level__gte=IN_NEED))
            initial["needs"] = [n.pathway for n in needs]
            initial["needs_summary"] = "\n".join(
                f"{n.get_pathway_display()} ({n.get_level_display().lower()}): {n.notes}" for n in needs
            )
            initial["risk_summary"] = ", ".join(assessment.risk_flag_labels)
        chosen = self.request.GET.get("condition", "")
        condition = self._conditions().filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if condition is not None:
            initial.update(
                {"condition": condition.pk, "due_date": condition.due_date, "reason": condition.wording}
            )
            service = service_list_for_referral(self.case).filter(
                organisation=condition.responsible_organisation
            )
            if service.exists():
                initial["service"] = service.first().pk
        return initial

    def perform(self, form):
        data = form.cleaned_data
        referral = services.referral_send(case_id=self.case.pk, actor=self.request.user, **data)
        return reverse("referrals:detail", args=[referral.pk])


class ReferralDetailView(_OnReferral, CaseRecordView):
    required_roles = EVERYONE
    action_roles = EVERYONE

    def get(self, request, pk):
        case, referral = self.get_object(pk)
        user = request.user
        audit_record(
            actor=user, action=AuditAction.VIEWED, obj=referral, request=request, reason="Referral opened"
        )
        is_partner = user.organisation_id == referral.organisation_id
        working = referral.status in services.WORKING_STATUSES
        return render(
            request,
            "referrals/detail.html",
            {
                "case": case,
                "person": case.person,
                "referral": referral,
                "is_partner": is_partner,
                "is_manager": is_partner and user.has_role(Role.PARTNER_MANAGER),
                "working": working,
                "can_withdraw": not is_partner and referral.is_open,
                "note_form": NoteForm(),
                **referral_detail_for(user, referral),
            },
        )


class _ManagerFormView(_OnReferral, CaseFormView):
    required_roles = MANAGERS
    action_roles = MANAGERS

    def form_kwargs(self):
        return {"practitioners": practitioner_list_for(self.request.user)}


class AcceptView(_ManagerFormView):
    template_name = "referrals/accept_form.html"
    form_class = PractitionerForm
    success_message = "Referral accepted and assigned."

    def refuse_get(self):
        if self.object.status != ReferralStatus.SENT:
            return "This referral is no longer waiting for a decision."

    def perform(self, form):
        services.referral_accept(referral_id=self.object.pk, actor=self.request.user, **form.cleaned_data)
        return reverse("referrals:detail", args=[self.object.pk])


class DeclineView(_ManagerFormView):
    template_name = "referrals/decline_form.html"
    form_class = DeclineForm
    success_message = "Referral declined. The case worker has been told."

    def form_kwargs(self):
        return {}

    def refuse_get(self):
        if self.object.status != ReferralStatus.SENT:
            return "This referral is no longer waiting for a decision."

    def perform(self, form):
        services.referral_decline(referral_id=self.object.pk, actor=self.request.user, **form.cleaned_data)
        return reverse("referrals:workspace")


class AssignView(_ManagerFormView):
    template_name = "referrals/assign_form.html"
    form_class = AssignForm
    success_message = "Referral reassigned."

    def perform(self, form):
        services.referral_assign(referral_id=self.object.pk, actor=self.request.user, **form.cleaned_data)
        return reverse("referrals:detail", args=[self.object.pk])


class WithdrawView(_OnReferral, CaseFormView):
    template_name = "referrals/withdraw_form.html"
    form_class = WithdrawForm
    required_roles = frozenset(POLICE_ROLES)
    success_message = "Referral withdrawn. The agency has been told."

    def perform(self, form):
        services.referral_withdraw(referral_id=self.object.pk, actor=self.request.user, **form.cleaned_data)
        return reverse("referrals:detail", args=[self.object.pk])


class _PartnerFormView(_OnReferral, CaseFormView):
    """Pages only the agency works: the selector already limits partners to their own agency's
    referrals (a practitioner to those assigned to them), and police lack the partner roles."""

    required_roles = PARTNERS
    action_roles = PARTNERS


class BookView(_PartnerFormView):
    template_name = "referrals/appointment_form.html"
    form_class = AppointmentForm
    success_message = "Appointment booked."

    def perform(self, form):
        services.appointment_book(referral_id=self.object.pk, actor=self.request.user, **form.terms())
        return reverse("referrals:detail", args=[self.object.pk]) + "#appointments"


class SessionView(_PartnerFormView):
    """A session that has already happened: booked and its outcome recorded with one form."""

    template_name = "referrals/session_form.html"
    form_class = SessionForm
    success_message = "Session recorded."

    def perform(self, form):
        services.session_record(
            referral_id=self.object.pk, actor=self.request.user, **form.terms(), **form.outcome()
        )
        return reverse("referrals:detail", args=[self.object.pk]) + "#appointments"


class _OnAppointment(_PartnerFormView):
    def get_object(self, pk):
        appointment = get_object_or_404(
            Appointment.objects.filter(referral__in=referral_list_for(self.request.user)).select_related(
                "referral__case__person", "referral__service"
            ),
            pk=pk,
        )
        self.appointment = appointment
        return appointment.referral.case, appointment.referral

    def extra_context(self):
        return {"appointment": self.appointment, "referral": self.object}


class OutcomeView(_OnAppointment):
    template_name = "referrals/outcome_form.html"
    form_class = OutcomeForm
    success_message = "Outcome recorded."

    def perform(self, form):
        services.appointment_record_outcome(
            appointment_id=self.appointment.pk, actor=self.request.user, **form.cleaned_data
        )
        return reverse("referrals:detail", args=[self.object.pk]) + "#appointments"


class RescheduleView(_OnAppointment):
    template_name = "referrals/reschedule_form.html"
    form_class = RescheduleForm
    success_message = "Appointment rescheduled."

    def perform(self, form):
        services.appointment_reschedule(
            appointment_id=self.appointment.pk,
            actor=self.request.user,
            starts_at=form.starts_at(),
            requested_by=form.cleaned_data["requested_by"],
            reason=form.cleaned_data["reason"],
        )
        return reverse("referrals:detail", args=[self.object.pk]) + "#appointments"


class NoteView(_OnReferral, CaseFormView):
    template_name = "referrals/note_form.html"
    form_class = NoteForm
    required_roles = EVERYONE
    action_roles = EVERYONE
    success_message = "Note added."

    def perform(self, form):
        services.referral_note_add(referral_id=self.object.pk, actor=self.request.user, **form.cleaned_data)
        return reverse("referrals:detail", args=[self.object.pk]) + "#notes"


class UploadView(_OnReferral, CaseFormView):
    template_name = "referrals/upload_form.html"
    form_class = EvidenceForm
    required_roles = EVERYONE
    action_roles = EVERYONE
    view_reason = "Document upload form"
    success_message = "Document uploaded."

    def extra_context(self):
        return {"referral": self.object}

    def perform(self, form):
        services.evidence_upload(
            referral_id=self.object.pk,
            actor=self.request.user,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        )
        return reverse("referrals:detail", args=[self.object.pk]) + "#evidence"


class EvidenceDownloadView(RoleRequiredMixin, View):
    """Serve an uploaded document to those who may see its referral; each download is a disclosure."""

    required_roles = EVERYONE

    def get(self, request, pk):
        evidence = get_object_or_404(
            Evidence.objects.filter(referral__in=referral_list_for(request.user)).select_related(
                "referral__case"
            ),
            pk=pk,
        )
        audit_record(
            actor=request.user,
            action=AuditAction.DISCLOSED,
            obj=evidence,
            request=request,
            recipient=f"{request.user.email} ({request.user.organisation})",
            reason="Evidence document downloaded",
        )
        response = FileResponse(
            evidence.file.open("rb"),
            content_type=evidence.content_type,
            as_attachment=True,
            filename=evidence.original_name,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReportView(_PartnerFormView):
    template_name = "referrals/report_form.html"
    form_class = ReportForm
    success_message = "End-of-intervention report submitted. The case worker has been told."

    def refuse_get(self):
        if self.object.status not in services.WORKING_STATUSES:
            return "The report is written while the referral is being worked."

    def form_kwargs(self):
        return {"outcomes": list(self.object.outcomes.all())}

    def perform(self, form):
        services.referral_report_submit(
            referral_id=self.object.pk,
            actor=self.request.user,
            result=form.cleaned_data["result"],
            summary=form.cleaned_data["summary"],
            outcomes=form.outcomes(),
        )
        return reverse("referrals:detail", args=[self.object.pk])

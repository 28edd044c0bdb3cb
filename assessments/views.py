from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.access import CaseActionView, CaseFormView, CaseRecordView
from cases.selectors import case_get_for
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.events import announce

from . import services
from .events import ServiceSuggestionsAsked
from .forms import AssessmentForm, ContributionForm
from .models import AssessmentKind
from .selectors import assessment_get_for, assessment_list_for, distance_travelled


def _suggestions(assessment, needs) -> list[dict]:
    """The partner directory's services answering the needs, highest need first: the directory is
    referrals', so referrals answers (``ServiceSuggestionsAsked``)."""
    answers = announce(ServiceSuggestionsAsked(assessment=assessment, needs=tuple(needs)))
    return [suggestion for answer in answers for suggestion in answer]


class AssessmentStartView(CaseActionView):
    def get_object(self, pk):
        case = case_get_for(self.request.user, pk)
        return case, case

    def perform(self):
        kind = self.request.POST.get("kind", AssessmentKind.INITIAL)
        if kind not in AssessmentKind.values:
            kind = AssessmentKind.INITIAL
        assessment = services.assessment_start(case_id=self.case.pk, actor=self.request.user, kind=kind)
        return reverse(
            "assessments:detail", args=[assessment.pk]
        ), f"{assessment.get_kind_display()} started."


class _OnAssessment:
    def get_object(self, pk):
        assessment = assessment_get_for(self.request.user, pk)
        return assessment.case, assessment


def _initial(assessment, needs):
    data = {
        "goals": assessment.goals,
        "risk_flags": assessment.risk_flags,
        "risk_notes": assessment.risk_notes,
    }
    for need in needs:
        data[f"level_{need.pathway}"] = need.level
        data[f"notes_{need.pathway}"] = need.notes
    return data


class AssessmentView(_OnAssessment, CaseRecordView):
    """The assessment: the draft form while it is open; once completed, the locked record, the
    services it suggests and (with an end-of-period assessment) the distance travelled."""

    def _render(self, form=None, contribution_form=None, status=200):
        assessment = self.object
        needs = list(assessment.needs.order_by("id"))
        assessments = list(assessment_list_for(self.request.user, self.case))
        context = {
            "case": self.case,
            "person": self.case.person,
            "assessment": assessment,
            "needs": needs,
            "contributions": list(assessment.contributions.select_related("organisation", "recorded_by")),
            "form": form or AssessmentForm(initial=_initial(assessment, needs)),
            "contribution_form": contribution_form or ContributionForm(user=self.request.user),
            "suggestions": _suggestions(assessment, needs) if assessment.is_locked else [],
            "distance": distance_travelled(assessments),
        }
        return render(self.request, "assessments/assessment.html", context, status=status)

    def get(self, request, pk):
        self.case, self.object = self.get_object(pk)
        self.check_action()
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=self.object,
            request=request,
            reason="Assessment opened",
        )
        return self._render()

    def post(self, request, pk):
        from django.core.exceptions import ValidationError

        from cases.services import CaseError
        from offenderhub.core.forms import add_service_errors

        self.case, self.object = self.get_object(pk)
        self.check_action()
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                services.assessment_update(
                    assessment_id=self.object.pk,
                    actor=request.user,
                    goals=form.cleaned_data["goals"],
                    risk_flags=form.cleaned_data["risk_flags"],
                    risk_notes=form.cleaned_data["risk_notes"],
                    needs=form.needs(),
                )
            except (ValidationError, CaseError) as exc:
                add_service_errors(form, exc)
            else:
                if request.POST.get("then") == "complete":
                    try:
                        services.assessment_complete(assessment_id=self.object.pk, actor=request.user)
                    except (ValidationError, CaseError) as exc:
                        add_service_errors(form, exc)
                        return self._render(form, status=400)
                    messages.success(request, "Assessment completed and locked.")
                else:
                    messages.success(request, "Draft saved.")
                return redirect("assessments:detail", pk=self.object.pk)
        return self._render(form, status=400)


class ContributionView(_OnAssessment, CaseFormView):
    template_name = "assessments/contribution_form.html"
    form_class = ContributionForm
    success_message = "Contribution added."

    def form_kwargs(self):
        return {"user": self.request.user}

    def perform(self, form):
        services.assessment_contribute(
            assessment_id=self.object.pk, actor=self.request.user, **form.cleaned_data
        )
        return reverse("assessments:detail", args=[self.object.pk]) + "#contributions"

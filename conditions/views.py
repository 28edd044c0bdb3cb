from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from cases.access import CaseActionView, CaseFormView, CaseRecordView
from cases.models import CaseStatus
from cases.rules import case_time_limit
from cases.selectors import case_get_for
from offenderhub.accounts.models import POLICE_ROLES, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from . import services
from .document_store import caution_document_read
from .forms import (
    BreachDecisionForm,
    BreachOpenForm,
    CautionForm,
    ConditionForm,
    CountersignForm,
    DueDateVariationForm,
    NewConditionVariationForm,
    PeriodExtensionForm,
    ProgressForm,
    ProsecutionForm,
    ReasonForm,
    RecordForm,
    VariationDecisionForm,
)
from .models import BreachStatus, ConditionStatus, PeriodExtension, VariationKind
from .rules import capped_hours, case_caps, case_period, penalty_total
from .selectors import (
    binding_condition_list_for,
    breach_review_get_for,
    breachable_condition_list_for,
    case_conditions_for,
    caution_document_get_for,
    caution_for,
    condition_get_for,
    condition_list_for,
    condition_template_list_for,
    variation_get_for,
)

DECIDERS = frozenset({Role.DECISION_MAKER})
SUPERVISORS = frozenset({Role.SUPERVISOR})


def case_conditions_part(user, case) -> dict:
    """What the case's "Conditions and referrals" page shows of the conditions, with the actions it offers
    this user now by the same status sets the services enforce (the answer to ``CasePageAsked``)."""
    found = case_conditions_for(user, case)
    police = user.has_role(*POLICE_ROLES)
    status = case.status
    under_caution = status in services.UNDER_CAUTION
    return {
        **found,
        "can_edit_conditions": police and status in services.BEFORE_CAUTION,
        "can_agree_conditions": police
        and status in services.BEFORE_CAUTION
        and found["initial_assessment_done"]
        and bool(found["binding_conditions"]),
        "can_reopen_conditions": police and status == CaseStatus.CONDITIONS_AGREED,
        "can_extend": user.has_role(Role.SUPERVISOR) and status in services.EXTENDABLE,
        "can_caution": user.has_role(Role.DECISION_MAKER) and status == CaseStatus.CONDITIONS_AGREED,
        "can_vary": police and under_caution,
        "can_open_breach": police and under_caution and found["open_review"] is None,
        "can_decide_variations": user.has_role(Role.DECISION_MAKER),
    }


# After an action, back to the page of the case's file that holds what it changed: the conditions, the
# caution and the variations are on "Conditions and referrals" (the conditions and the caution at its
# top), the prosecution on the overview.
_CASE_PAGES = {
    "conditions": ("cases:conditions", ""),
    "caution": ("cases:conditions", ""),
    "variations": ("cases:conditions", "variations"),
    "prosecution": ("cases:detail", "prosecution"),
}


def _case_url(case, section=""):
    name, anchor = _CASE_PAGES.get(section, ("cases:detail", ""))
    return reverse(name, args=[case.pk]) + (f"#{anchor}" if anchor else "")


class _OnCase:
    """The page is about a case: the URL carries the case's id."""

    def get_object(self, pk):
        case = case_get_for(self.request.user, pk)
        return case, case


class _OnCondition:
    def get_object(self, pk):
        condition = condition_get_for(self.request.user, pk)
        return condition.case, condition


def _limits_context(user, case, *, excluding=None):
    """What the condition form shows beside itself: the victim's views and the limits in use."""
    offences = list(case.offences.select_related("offence"))
    conditions = [c for c in binding_condition_list_for(user, case) if c.pk != excluding]
    caution = caution_for(user, case)
    extension = PeriodExtension.objects.filter(case=case).first()
    return {
        "caps": case_caps(case, offences),
        "period": case_period(case, caution=caution, extension=extension),
        "hours_used": capped_hours(conditions),
        "penalty_used": penalty_total(conditions),
        "time_limit": case_time_limit(case, offences),
    }


# --- Setting conditions ------------------------------------------------------------------------------


class ConditionAddView(_OnCase, CaseFormView):
    template_name = "conditions/condition_form.html"
    form_class = ConditionForm
    success_message = "Condition added."

    def form_kwargs(self):
        return {"user": self.request.user}

    def _chosen_template(self):
        """The catalogue entry chosen with ?template=, if it is a real active one."""
        chosen = self.request.GET.get("template", "")
        if not chosen.isdigit():
            return None
        return condition_template_list_for(self.request.user).filter(pk=int(chosen)).first()

    def initial(self):
        template = self._chosen_template()
        if template is None:
            return {}
        return {
            "template": template.pk,
            "kind": template.kind,
            "wording": template.wording,
            "due_date": timezone.localdate() + timedelta(days=template.default_duration_days),
            "hours": template.default_hours,
            "amount_kind": template.amount_kind,
            "needs_referral": template.needs_referral,
        }

    def refuse_get(self):
        if self.case.status not in services.BEFORE_CAUTION:
            return (
                "Conditions are set while the case is at assessment. After the caution, propose a variation."
            )

    def extra_context(self):
        chosen = self._chosen_template()
        return {
            "heading": "Add a condition",
            "catalogue": list(condition_template_list_for(self.request.user)),
            "chosen_template": chosen,
            **_limits_context(self.request.user, self.case),
        }

    def perform(self, form):
        services.condition_add(case_id=self.case.pk, actor=self.request.user, **form.terms())
        return _case_url(self.case, "conditions")


class ConditionEditView(_OnCondition, CaseFormView):
    template_name = "conditions/condition_form.html"
    form_class = ConditionForm
    success_message = "Condition changed."

    def form_kwargs(self):
        return {"user": self.request.user}

    def initial(self):
        c = self.object
        return {
            "template": c.template_id,
            "kind": c.kind,
            "wording": c.wording,
            "due_date": c.due_date,
            "responsible_organisation": c.responsible_organisation_id,
            "owner": c.owner_id,
            "hours": c.hours,
            "amount_kind": c.amount_kind,
            "amount": c.amount,
            "needs_referral": c.needs_referral,
        }

    def refuse_get(self):
        if self.case.status not in services.BEFORE_CAUTION:
            return "Conditions can be changed only while the case is at assessment."

    def extra_context(self):
        return {
            "heading": "Change the condition",
            **_limits_context(self.request.user, self.case, excluding=self.object.pk),
        }

    def perform(self, form):
        terms = form.terms()
        terms.pop("template")
        services.condition_update(condition_id=self.object.pk, actor=self.request.user, **terms)
        return _case_url(self.case, "conditions")


class ConditionRemoveView(_OnCondition, CaseActionView):
    def perform(self):
        services.condition_remove(condition_id=self.object.pk, actor=self.request.user)
        return _case_url(self.case, "conditions"), "Condition removed."


class ConditionsAgreeView(_OnCase, CaseActionView):
    def perform(self):
        services.conditions_agree(case_id=self.case.pk, actor=self.request.user)
        return _case_url(self.case, "conditions"), "Conditions agreed. The caution can now be administered."


class ConditionsReopenView(_OnCase, CaseFormView):
    template_name = "conditions/reopen_form.html"
    form_class = ReasonForm
    success_message = "Conditions reopened for changes."

    def perform(self, form):
        services.conditions_reopen(
            case_id=self.case.pk, actor=self.request.user, reason=form.cleaned_data["reason"]
        )
        return _case_url(self.case, "conditions")


class PeriodExtensionView(_OnCase, CaseFormView):
    template_name = "conditions/extension_form.html"
    form_class = PeriodExtensionForm
    action_roles = SUPERVISORS
    success_message = "Longer completion period approved."

    def extra_context(self):
        return {"scheme": self.case.scheme}

    def initial(self):
        return {"days": self.case.scheme.compliance_period_max_days}

    def perform(self, form):
        services.period_extend(case_id=self.case.pk, actor=self.request.user, **form.cleaned_data)
        return _case_url(self.case, "conditions")


# --- The caution --------------------------------------------------------------------------------------


class CautionView(_OnCase, CaseFormView):
    template_name = "conditions/caution_form.html"
    form_class = CautionForm
    action_roles = DECIDERS
    success_message = "Caution administered. The case is active and the clock has started."

    def initial(self):
        return {"administered_on": timezone.localdate()}

    def refuse_get(self):
        if self.case.status != CaseStatus.CONDITIONS_AGREED:
            return "The caution is administered once the conditions are agreed."

    def extra_context(self):
        user = self.request.user
        offences = list(self.case.offences.select_related("offence"))
        return {
            "offences": offences,
            "conditions": list(binding_condition_list_for(user, self.case)),
            **_limits_context(user, self.case),
        }

    def perform(self, form):
        data = form.cleaned_data
        services.caution_administer(
            case_id=self.case.pk,
            actor=self.request.user,
            administered_on=data["administered_on"],
            place=data["place"],
            admission_words=data["admission_words"],
            effect_explained=data["effect_explained"],
            warning_given=data["warning_given"],
            consented=data["consented"],
            signed=data["signed"],
            interpreter=data["interpreter"],
            appropriate_adult=data["appropriate_adult"],
            submission_token=data["submission_token"],
        )
        return _case_url(self.case, "caution")


class CautionDocumentView(_OnCase, CaseRecordView):
    def get(self, request, pk):
        case, _ = self.get_object(pk)
        self.check_action()
        caution = caution_document_get_for(request.user, case)
        # Checked against its recorded checksum before anyone sees it: a missing or altered file is
        # refused (a server error, logged), and nothing is disclosed or audited.
        content = caution_document_read(caution)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=caution,
            request=request,
            reason="Signed caution document opened",
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="caution-{case.reference}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- Compliance ---------------------------------------------------------------------------------------


class ConditionDetailView(_OnCondition, CaseRecordView):
    def get(self, request, pk):
        case, condition = self.get_object(pk)
        self.check_action()
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=condition,
            request=request,
            reason="Condition opened",
        )
        history = []
        earlier = condition.supersedes
        while earlier is not None:
            history.append(earlier)
            earlier = earlier.supersedes
        return render(
            request,
            "conditions/condition_detail.html",
            {
                "case": case,
                "person": case.person,
                "condition": condition,
                "records": list(condition.records.select_related("author", "author_organisation")),
                "variations": list(
                    condition.variations.select_related("proposed_by", "decided_by", "result")
                ),
                "history": history,
                "superseded_by": getattr(condition, "superseded_by", None),
                "progress_form": ProgressForm(),
                "record_form": RecordForm(),
                "under_caution": case.status in services.UNDER_CAUTION,
                "live": condition.status in {ConditionStatus.PENDING, ConditionStatus.IN_PROGRESS},
                "overdue": condition.is_overdue(),
            },
        )


class ConditionProgressView(_OnCondition, CaseFormView):
    template_name = "conditions/progress_form.html"
    form_class = ProgressForm

    def perform(self, form):
        data = form.cleaned_data
        condition = services.condition_progress(
            condition_id=self.object.pk,
            actor=self.request.user,
            to=data["to"],
            notes=data["notes"],
            on=data["on"],
        )
        messages.success(self.request, f"Condition recorded as {condition.get_status_display().lower()}.")
        return reverse("conditions:detail", args=[self.object.pk])


class ConditionRecordView(_OnCondition, CaseFormView):
    template_name = "conditions/record_form.html"
    form_class = RecordForm
    success_message = "Recorded."

    def perform(self, form):
        services.condition_record_add(
            condition_id=self.object.pk, actor=self.request.user, **form.cleaned_data
        )
        return reverse("conditions:detail", args=[self.object.pk])


class DueDateVariationView(_OnCondition, CaseFormView):
    template_name = "conditions/variation_form.html"
    form_class = DueDateVariationForm
    success_message = "Variation proposed. A decision-maker must approve it."

    def extra_context(self):
        return {
            "heading": "Propose a new due date",
            "condition": self.object,
            **_limits_context(self.request.user, self.case),
        }

    def perform(self, form):
        data = form.cleaned_data
        services.variation_propose(
            case_id=self.case.pk,
            actor=self.request.user,
            variation_kind=VariationKind.NEW_DUE_DATE,
            condition_id=self.object.pk,
            new_due_date=data["new_due_date"],
            reason=data["reason"],
            person_consented=data["person_consented"],
            consented_on=data["consented_on"],
        )
        return _case_url(self.case, "variations")


class NewConditionVariationView(_OnCase, CaseFormView):
    template_name = "conditions/variation_form.html"
    form_class = NewConditionVariationForm
    success_message = "Variation proposed. A decision-maker must approve it."

    def form_kwargs(self):
        return {"user": self.request.user}

    def refuse_get(self):
        if self.case.status not in services.UNDER_CAUTION:
            return "Conditions are varied only while the caution is in force."

    def extra_context(self):
        return {"heading": "Propose a new condition", **_limits_context(self.request.user, self.case)}

    def perform(self, form):
        data = form.cleaned_data
        services.variation_propose(
            case_id=self.case.pk,
            actor=self.request.user,
            variation_kind=VariationKind.NEW_CONDITION,
            reason=data["reason"],
            person_consented=data["person_consented"],
            consented_on=data["consented_on"],
            **form.terms(),
        )
        return _case_url(self.case, "variations")


class VariationDecideView(CaseFormView):
    template_name = "conditions/variation_decide.html"
    form_class = VariationDecisionForm
    action_roles = DECIDERS

    def get_object(self, pk):
        variation = variation_get_for(self.request.user, pk)
        return variation.case, variation

    def perform(self, form):
        variation = services.variation_decide(
            variation_id=self.object.pk, actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, f"Variation {variation.get_status_display().lower()}.")
        return _case_url(self.case, "variations")


# --- Breach and prosecution ---------------------------------------------------------------------------


class BreachOpenView(_OnCase, CaseFormView):
    template_name = "conditions/breach_open.html"
    form_class = BreachOpenForm
    success_message = "Breach review opened."

    def form_kwargs(self):
        return {
            "conditions": breachable_condition_list_for(
                self.request.user, self.case, today=timezone.localdate()
            )
        }

    def refuse_get(self):
        if self.case.status not in services.UNDER_CAUTION:
            return "A breach review can be opened only while the caution is in force."

    def perform(self, form):
        review = services.breach_review_open(
            case_id=self.case.pk,
            actor=self.request.user,
            condition_ids=[c.pk for c in form.cleaned_data["conditions"]],
            reason=form.cleaned_data["reason"],
        )
        return reverse("conditions:breach_review", args=[review.pk])


class BreachReviewView(CaseFormView):
    """The breach review: what led to it, and (for decision-makers) the decision form."""

    template_name = "conditions/breach_review.html"
    form_class = BreachDecisionForm
    action_roles = POLICE_ROLES

    def get_object(self, pk):
        review = breach_review_get_for(self.request.user, pk)
        return review.case, review

    def post(self, request, pk):
        self.action_roles = DECIDERS
        return super().post(request, pk)

    def _time_limit(self):
        return case_time_limit(self.case, list(self.case.offences.select_related("offence")))

    def form_kwargs(self):
        return {
            "conditions": condition_list_for(self.request.user, self.case),
            "time_limit": self._time_limit(),
            "today": timezone.localdate(),
        }

    def initial(self):
        return {"breached_conditions": [c.pk for c in self.object.conditions.all()]}

    def extra_context(self):
        review = self.object
        return {
            "review": review,
            "reviewed_conditions": list(review.conditions.select_related("responsible_organisation")),
            "breached": list(review.breached_conditions.all()),
            "time_limit": self._time_limit(),
            "can_decide": review.status == BreachStatus.OPEN
            and self.request.user.has_role(Role.DECISION_MAKER),
            "can_countersign": review.status == BreachStatus.AWAITING_COUNTERSIGNATURE
            and self.request.user.has_role(Role.SUPERVISOR)
            and review.decided_by_id != self.request.user.pk,
            "countersign_form": CountersignForm(),
            "today": timezone.localdate(),
        }

    def perform(self, form):
        data = form.cleaned_data
        review = services.breach_review_decide(
            review_id=self.object.pk,
            actor=self.request.user,
            outcome=data["outcome"],
            breached_condition_ids=[c.pk for c in data["breached_conditions"]],
            person_account=data["person_account"],
            alternatives_tried=data["alternatives_tried"],
            reasonable_excuse=form.reasonable_excuse,
            rationale=data["rationale"],
            new_due_date=data["new_due_date"],
            person_consented=data["person_consented"],
            time_limit_acknowledged=data["time_limit_acknowledged"],
        )
        messages.success(self.request, f"Breach review decided: {review.get_status_display().lower()}.")
        return _case_url(self.case)


class CountersignView(CaseFormView):
    template_name = "conditions/countersign_form.html"
    form_class = CountersignForm
    action_roles = SUPERVISORS

    def get_object(self, pk):
        review = breach_review_get_for(self.request.user, pk)
        return review.case, review

    def perform(self, form):
        review = services.breach_review_countersign(
            review_id=self.object.pk, actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, f"Breach review: {review.get_status_display().lower()}.")
        return _case_url(self.case)


class ProsecutionView(_OnCase, CaseFormView):
    template_name = "conditions/prosecution_form.html"
    form_class = ProsecutionForm
    success_message = "Prosecution record updated."

    def refuse_get(self):
        if not hasattr(self.case, "prosecution"):
            return "The prosecution has not resumed on this case."

    def initial(self):
        p = self.case.prosecution
        return {
            "method": p.method,
            "proceedings_started_on": p.proceedings_started_on,
            "court": p.court,
            "first_hearing_on": p.first_hearing_on,
            "outcome": p.outcome,
            "outcome_on": p.outcome_on,
            "outcome_notes": p.outcome_notes,
        }

    def extra_context(self):
        return {"prosecution": getattr(self.case, "prosecution", None)}

    def perform(self, form):
        services.prosecution_update(case_id=self.case.pk, actor=self.request.user, **form.cleaned_data)
        return _case_url(self.case, "prosecution")

"""The review queue, one review with its decisions, the erasure register, and the legal-hold pages of a
person and a case. Supervisors decide; administrators see the queue and the register, without names.
Each view calls one service; a refusal is shown on its form with a 400 and nothing saved."""

from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cases.selectors import case_get_for, person_get_for
from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.forms import add_service_errors

from . import services
from .erasure import erasure_refusal
from .forms import (
    ErasureApproveForm,
    ErasureRefuseForm,
    ErasureRequestForm,
    HoldClearForm,
    HoldSetForm,
    RetainForm,
)
from .selectors import (
    holds_of,
    register_list_for,
    review_cases_for,
    review_get_for,
    review_history_for,
    review_queue_for,
)
from .workflow import QUEUE_ROLES, REVIEWERS

PAGE_SIZE = 25


class QueueView(RoleRequiredMixin, View):
    required_roles = QUEUE_ROLES

    def get(self, request):
        page = Paginator(review_queue_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        reviewer = request.user.has_role(*REVIEWERS)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            request=request,
            object_label="Retention review queue",
            owner_organisation=request.user.organisation,
            reason=f"Retention review queue, page {page.number}: "
            + (", ".join(f"person #{review.person_id}" for review in page.object_list) or "none"),
        )
        return render(
            request,
            "retention/queue.html",
            {
                "page_obj": page,
                "reviews": page.object_list,
                "reviewer": reviewer,
                "periods": sorted(settings.RETENTION_REVIEW_YEARS.items()),
                "years_without_case": settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE,
            },
        )


class RegisterView(RoleRequiredMixin, View):
    required_roles = QUEUE_ROLES

    def get(self, request):
        page = Paginator(register_list_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            request=request,
            object_label="Erasure register",
            owner_organisation=request.user.organisation,
            reason=f"Erasure register, page {page.number}",
        )
        return render(request, "retention/register.html", {"page_obj": page, "records": page.object_list})


# --- One review ----------------------------------------------------------------------------------------

FORMS = {
    "retain_form": RetainForm,
    "request_form": ErasureRequestForm,
    "approve_form": ErasureApproveForm,
    "refuse_form": ErasureRefuseForm,
}


class ReviewView(RoleRequiredMixin, View):
    """The review page: the person, their cases and holds, earlier reviews, and the decisions open now."""

    required_roles = REVIEWERS

    def render_review(self, request, review, *, bound=None, status=200):
        cases = review_cases_for(review)
        person_holds = [h for h in holds_of(person=review.person) if h.is_active]
        forms = {name: form_class() for name, form_class in FORMS.items()}
        if bound is not None:
            forms[bound[0]] = bound[1]
        refusal = ""
        if review.is_open:
            held = person_holds + [SimpleNamespace(person_id=None, case_id=c.pk) for c in cases if c.on_hold]
            refusal = erasure_refusal(review.person, cases, held)
        return render(
            request,
            "retention/review.html",
            {
                "review": review,
                "person": review.person,
                "cases": cases,
                "person_holds": person_holds,
                "history": review_history_for(review),
                "refusal": refusal,
                "asked_by_me": review.decided_by_id == request.user.pk,
                "refused_form": bound[1] if bound is not None else None,
                "years_without_case": settings.RETENTION_REVIEW_YEARS_WITHOUT_CASE,
                **forms,
            },
            status=status,
        )

    def get(self, request, pk):
        review = review_get_for(request.user, pk)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=review.person,
            request=request,
            owner_organisation=request.user.organisation,
            reason=f"Retention review {review.pk} opened",
        )
        return self.render_review(request, review)


class _ReviewActionView(ReviewView):
    """One decision on a review: one form, one service call. Refused: the review page again with the
    form's errors and a 400."""

    http_method_names = ["post"]
    form_name = ""
    success = ""

    def perform(self, request, review, form):
        raise NotImplementedError

    def post(self, request, pk):
        review = review_get_for(request.user, pk)
        form = FORMS[self.form_name](request.POST)
        if form.is_valid():
            try:
                self.perform(request, review, form)
            except (ValidationError, services.RetentionError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.success)
                return redirect("retention:review", pk=review.pk)
        review.refresh_from_db()
        return self.render_review(request, review, bound=(self.form_name, form), status=400)


class ReviewRetainView(_ReviewActionView):
    form_name = "retain_form"
    success = "The record is kept: it will be reviewed again on the date you gave."

    def perform(self, request, review, form):
        services.retention_review_retain(
            review_id=review.pk,
            actor=request.user,
            retain_until=form.cleaned_data["retain_until"],
            reason=form.cleaned_data["reason"],
            request=request,
        )


class ReviewErasureRequestView(_ReviewActionView):
    form_name = "request_form"
    success = "Erasure asked for: another supervisor must approve it."

    def perform(self, request, review, form):
        services.retention_review_erasure_request(review_id=review.pk, actor=request.user, request=request)


class ReviewErasureApproveView(_ReviewActionView):
    form_name = "approve_form"
    success = "The record has been erased, and the erasure is in the register."

    def perform(self, request, review, form):
        services.retention_review_erasure_approve(review_id=review.pk, actor=request.user, request=request)


class ReviewErasureRefuseView(_ReviewActionView):
    form_name = "refuse_form"
    success = "Erasure refused: the review is to be decided again."

    def perform(self, request, review, form):
        services.retention_review_erasure_refuse(
            review_id=review.pk, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )


# --- Legal holds ---------------------------------------------------------------------------------------


class _HoldView(RoleRequiredMixin, View):
    """A person's or a case's legal hold: the one set now and the earlier ones, and the form to set or
    clear it. Another force's record does not exist (404); anyone but a supervisor is refused (403)."""

    required_roles = REVIEWERS
    kind = ""

    def record(self, request, pk):
        raise NotImplementedError

    def target(self, record):
        return {f"{self.kind}_id": record.pk}

    def render_hold(self, request, record, *, form=None, status=200):
        holds = holds_of(**{self.kind: record})
        active = next((h for h in holds if h.is_active), None)
        if form is None:
            form = HoldClearForm() if active else HoldSetForm()
        return render(
            request,
            "retention/hold.html",
            {
                "kind": self.kind,
                "record": record,
                "active": active,
                "earlier": [h for h in holds if not h.is_active],
                "form": form,
                "action": reverse(
                    f"retention:{self.kind}_hold_{'clear' if active else 'set'}", args=[record.pk]
                ),
                "back": reverse(
                    "cases:person_detail" if self.kind == "person" else "cases:detail", args=[record.pk]
                ),
            },
            status=status,
        )

    def get(self, request, pk):
        record = self.record(request, pk)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=record,
            request=request,
            reason="Legal hold page opened",
        )
        return self.render_hold(request, record)


class _HoldActionView(_HoldView):
    http_method_names = ["post"]
    form_class = None
    service = None
    success = ""

    def post(self, request, pk):
        record = self.record(request, pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.service(actor=request.user, reason=form.cleaned_data["reason"], **self.target(record))
            except (ValidationError, services.RetentionError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.success)
                return redirect(reverse(f"retention:{self.kind}_hold", args=[record.pk]))
        return self.render_hold(request, record, form=form, status=400)


class _PersonRecord:
    kind = "person"

    def record(self, request, pk):
        return person_get_for(request.user, pk)


class _CaseRecord:
    kind = "case"

    def record(self, request, pk):
        return case_get_for(request.user, pk)


class PersonHoldView(_PersonRecord, _HoldView):
    pass


class CaseHoldView(_CaseRecord, _HoldView):
    pass


class PersonHoldSetView(_PersonRecord, _HoldActionView):
    form_class = HoldSetForm
    service = staticmethod(services.legal_hold_set)
    success = "Legal hold set: the record will not be reviewed or erased until it is cleared."


class PersonHoldClearView(_PersonRecord, _HoldActionView):
    form_class = HoldClearForm
    service = staticmethod(services.legal_hold_clear)
    success = "Legal hold cleared."


class CaseHoldSetView(_CaseRecord, _HoldActionView):
    form_class = HoldSetForm
    service = staticmethod(services.legal_hold_set)
    success = "Legal hold set: the case's person will not be reviewed or erased until it is cleared."


class CaseHoldClearView(_CaseRecord, _HoldActionView):
    form_class = HoldClearForm
    service = staticmethod(services.legal_hold_clear)
    success = "Legal hold cleared."

import hashlib
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import PARTNER_ROLES, POLICE_ROLES, Area, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.events import announce
from offenderhub.core.forms import add_service_errors

from . import services
from .events import CasePageAsked
from .filters import CaseFilter, TimelineFilter
from .forms import (
    CASE_CORRECTION_FORMS,
    PERSON_CORRECTION_FORMS,
    CaseForm,
    CaseloadReassignForm,
    CaseOffenceAddForm,
    CaseOffenceRemoveForm,
    DecisionForm,
    NotesForm,
    OffenceFormSet,
    PersonAliasEndForm,
    PersonAliasForm,
    PersonForm,
    PersonMergeForm,
    PersonMergeUndoForm,
    ReassignForm,
    SchemeRulesForm,
    WithdrawForm,
)
from .models import CaseStatus, DecisionOutcome
from .pagination import DeferredJoinPaginator, WindowPage
from .rules import assess_eligibility, case_time_limit, latest_proceedings_date
from .selectors import (
    case_event_list_for,
    case_file_get_for,
    case_file_records,
    case_get_for,
    case_worker_list_for,
    caseload_for,
    caseload_owner_list_for,
    caseload_sort_groups_for,
    decision_list_for,
    person_case_list_for,
    person_change_list_for,
    person_get_for,
    person_match_list_for,
    person_merge_candidates_for,
    person_merge_get_for,
    person_merge_of_for,
    person_merge_search_for,
    person_merges_into_for,
    person_record_get_for,
    person_records_compared_for,
    person_search_for,
    person_similar_ids_for,
    scheme_admin_get_for,
    scheme_admin_list_for,
    scheme_list_for,
)
from .workflow import (
    CASE_CORRECTION_PARTS,
    DECIDABLE_STATUSES,
    OPEN_STATUSES,
    REASSIGNABLE_STATUSES,
    allowed_roles,
    case_correction_closed,
    case_correction_refusal,
    case_correction_roles,
)

INTAKE_ROLES = frozenset({Role.CASE_WORKER, Role.SUPERVISOR})


class CaseListView(RoleRequiredMixin, ListView):
    required_roles = POLICE_ROLES
    template_name = "cases/list.html"
    context_object_name = "cases"
    paginate_by = 25
    paginator_class = DeferredJoinPaginator

    def get_queryset(self, similar_people=()):
        self.filterset = CaseFilter(
            self.request.GET or None,
            queryset=caseload_for(self.request.user),
            user=self.request.user,
            similar_people=similar_people,
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        queryset = self.filterset.qs
        if not self.request.GET.get("sort"):
            queryset = queryset.order_by("-created_at", "-id")
        return queryset

    def paginate_queryset(self, queryset, page_size):
        """A search that finds less than a page (by reference, PNC ID, names or an alias, as written) is
        searched again with the people whose names sound or are spelt like it
        (``person_similar_ids_for``); the page says which rows those are. A search that fills a page
        is answered as before, with no more queries."""
        self.similar_people = set()
        self._counted = None
        term = getattr(self.filterset, "search_term", "")
        if term:
            paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
            if paginator.count < page_size and (similar := person_similar_ids_for(self.request.user, term)):
                self.similar_people = set(similar)
                queryset = self.get_queryset(similar_people=similar)
            else:
                self._counted = (queryset, paginator)  # counted once
        return super().paginate_queryset(queryset, page_size)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        counted = getattr(self, "_counted", None)
        if counted is not None and counted[0] is queryset:
            return counted[1]
        # Sorted by a name kept on another table: read a name at a time (DeferredJoinPaginator).
        if queryset.query.order_by:
            kwargs["groups"] = caseload_sort_groups_for(self.request.user, self.request.GET.get("sort", ""))
        return self.paginator_class(queryset, per_page, orphans, allow_empty_first_page, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context["sort_base"] = sort_query.urlencode()
        context["current_sort"] = self.request.GET.get("sort", "")
        context["filter"] = self.filterset
        term = self.filterset.search_term.upper()
        for case in context["cases"]:
            first = case.first_summary_offence_date
            case.proceedings_by = latest_proceedings_date(first) if first else None
            # Found only by a name spelt another way (not by its reference).
            case.similar_spelling = (
                case.person_id in self.similar_people and term not in case.reference.upper()
            )
        context["similar_people"] = bool(self.similar_people)
        context["can_open"] = self.request.user.has_role(*INTAKE_ROLES)
        context["can_reassign_caseload"] = self.request.user.has_role(Role.SUPERVISOR)
        audit_record(
            actor=self.request.user,
            action=AuditAction.VIEWED,
            request=self.request,
            object_label="Caseload list",
            owner_organisation=self.request.user.organisation,
            reason=f"Caseload list viewed: cases {', '.join(c.reference for c in context['cases'])}"[:2000],
        )
        return context


class CaseStartView(RoleRequiredMixin, View):
    """Step 1 of opening a case: find the person, or record a new one."""

    required_roles = INTAKE_ROLES

    def get(self, request):
        q = request.GET.get("q", "").strip()
        people = person_search_for(request.user, q)
        if q:
            audit_record(
                actor=request.user,
                action=AuditAction.VIEWED,
                request=request,
                object_label="Person search",
                reason="Searching for a person to open a case; people shown: "
                + (", ".join(f"#{p.pk}" for p in people) or "none"),
                owner_organisation=request.user.organisation,
            )
        return render(request, "cases/start.html", {"q": q, "people": people})


class PersonCreateView(RoleRequiredMixin, View):
    """Record a new person. Possible matches (``cases.matching``: the same PNC ID, or names and a date of
    birth that agree however they were written) are shown first, best first, each with the reasons."""

    required_roles = INTAKE_ROLES
    template_name = "cases/person_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PersonForm()})

    def post(self, request):
        form = PersonForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        if not data["confirm_new"]:
            matches = person_match_list_for(
                request.user,
                given_names=data["given_names"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
                pnc_id=data["pnc_id"],
                aliases=data["aliases"],
            )
            if matches:
                audit_record(
                    actor=request.user,
                    action=AuditAction.VIEWED,
                    request=request,
                    object_label="Possible matches",
                    owner_organisation=request.user.organisation,
                    reason=f"Possible matches shown: people {', '.join(str(p.pk) for p in matches)}",
                )
                confirm = request.POST.copy()
                confirm["confirm_new"] = "True"
                return render(
                    request,
                    self.template_name,
                    {"form": PersonForm(confirm), "matches": matches, "confirming": True},
                )
        try:
            person = services.person_create(
                actor=request.user,
                data=data,
                aliases=data["aliases"],
                submission_token=data["submission_token"],
            )
        except (ValidationError, services.CaseError) as exc:
            add_service_errors(form, exc)
            return render(request, self.template_name, {"form": form}, status=400)
        messages.success(request, f"{person.full_name} recorded.")
        return redirect("cases:create", person_pk=person.pk)


class CaseCreateView(RoleRequiredMixin, View):
    required_roles = INTAKE_ROLES
    template_name = "cases/case_form.html"

    def _forms(self, request, data=None):
        user = request.user
        form = CaseForm(
            data,
            schemes=scheme_list_for(user),
            areas=Area.objects.filter(force_id=user.organisation_id),
            case_workers=case_worker_list_for(user),
            initial={"owner": user.pk if user.has_role(Role.CASE_WORKER) else None, "area": user.area_id},
        )
        formset = OffenceFormSet(data, prefix="offences")
        return form, formset

    def get(self, request, person_pk):
        person = person_get_for(request.user, person_pk)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Opening a case for this person",
        )
        form, formset = self._forms(request)
        return render(request, self.template_name, {"person": person, "form": form, "formset": formset})

    def post(self, request, person_pk):
        person = person_get_for(request.user, person_pk)
        form, formset = self._forms(request, request.POST)
        context = {"person": person, "form": form, "formset": formset}
        if not (form.is_valid() and formset.is_valid()):
            return render(request, self.template_name, context, status=400)
        data = form.cleaned_data
        offences = [
            services.OffenceEntry(
                f.cleaned_data["offence"], f.cleaned_data["offence_date"], f.cleaned_data["details"]
            )
            for f in formset.forms
            if f.cleaned_data
        ]
        send = request.POST.get("next") == "decision"  # the primary button; kept at intake otherwise
        try:
            case = self._create(request, person, data, offences, send=send)
        except (ValidationError, services.CaseError) as exc:
            errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else None
            if errors and "offences" in errors:
                # Shown in the offences' own error summary, linked to the offences.
                context["offence_errors"] = errors.pop("offences")
                exc = ValidationError(errors) if errors else None
            if exc is not None:
                add_service_errors(form, exc)
            return render(request, self.template_name, context, status=400)
        if send:
            messages.success(request, f"Case {case.reference} opened and sent for an eligibility decision.")
        else:
            messages.success(request, f"Case {case.reference} opened. It stays at intake until you send it.")
        return redirect("cases:detail", pk=case.pk)

    @staticmethod
    def _create(request, person, data, offences, *, send: bool):
        return services.case_create(
            actor=request.user,
            person=person,
            scheme=data["scheme"],
            area=data["area"],
            owner=data["owner"],
            arrest_date=data["arrest_date"],
            offences=offences,
            victim_type=data["victim_type"],
            victim_views=data["victim_views"],
            victim_views_obtained_on=data["victim_views_obtained_on"],
            victim_rj_consent=data["victim_rj_consent"],
            flags=data["flags"],
            previous_convictions=data["previous_convictions"],
            previous_cautions=data["previous_cautions"],
            lives_in_force_area=data["lives_in_force_area"],
            circumstances=data["circumstances"],
            submission_token=data["submission_token"],
            send_for_decision=send,
        )


# --- The case file: a header, then one page per tab --------------------------------------------------
# Every page of a case shows the same header (templates/cases/_case_header.html: reference, name, status,
# key dates and the tabs) and one tab, which reads only what it shows, in a fixed number of queries.
# The overview keeps the case's old address (cases:detail), so every link and redirect to it still works.

CASE_FILE_TABS = (
    ("overview", "Overview", "cases:detail"),
    ("conditions", "Conditions and referrals", "cases:conditions"),
    ("assessment", "Assessment", "cases:assessment"),
    ("timeline", "Timeline", "cases:timeline"),
    ("documents", "Documents", "cases:documents"),
    ("victim", "Victim", "cases:victim"),
)
TIMELINE_PAGE_SIZE = 50  # the latest events first; older ones a page at a time
RECENT_EVENTS = 5  # on the overview; the timeline has them all


def _case_header(case, offences, records, *, tab) -> dict:
    """What the header of every page of the case shows: the case, its key dates, the six-month limit
    (summary-only offences: the days left while it still matters) and the tabs, ``tab`` the current."""
    caution, extension, prosecution = records["caution"], records["extension"], records["prosecution"]
    time_limit = case_time_limit(
        case,
        offences,
        start=caution.administered_on if caution else None,
        period_days=extension.days if extension else None,
    )
    # The limit matters while the case is open, or a resumed prosecution has not yet started.
    limit_matters = case.status in OPEN_STATUSES or (prosecution is not None and prosecution.awaiting_start)
    return {
        **records,
        "case": case,
        "person": case.person,
        "time_limit": time_limit,
        "time_limit_matters": time_limit is not None and limit_matters,
        "time_limit_passed": time_limit is not None and limit_matters and time_limit.days_left < 0,
        "case_tabs": [
            {"label": label, "url": reverse(name, args=[case.pk]), "current": key == tab}
            for key, label, name in CASE_FILE_TABS
        ],
        "tab_label": {key: label for key, label, _ in CASE_FILE_TABS}[tab],
        # "Eligible", "Ineligible" or "Declined" (the label's first words).
        "decision_label": DecisionOutcome(case.decision_outcome).label.split(":")[0]
        if case.decision_outcome
        else "",
    }


ASKED_ABOVE = {"conditions", "assessment", "documents", "victim"}  # tabs the apps above fill in


class _CaseFileView(RoleRequiredMixin, View):
    """One page of a case's file. Scoped and audited as the case page always was: the case is read
    through the scoped selector (another force's case is a 404, and so is every case to a partner, who
    is told it does not exist as another force would be); a user without a police role gets 403; each
    opening writes a VIEWED audit row naming the tab. Subclasses set ``tab`` and ``template_name`` and
    return the tab's own reads from ``tab_context``."""

    # Partners are let through so that, like another force, they are told the case does not exist.
    required_roles = POLICE_ROLES | PARTNER_ROLES
    tab = ""
    template_name = ""

    def tab_context(self, case, *, offences, records) -> dict:
        """The tab's own reads in this app; the apps above answer ``CasePageAsked`` for theirs."""
        return {}

    def audit_reason(self, label) -> str:
        return f"Case record opened: {label}"

    def get(self, request, pk):
        case = case_file_get_for(request.user, pk)
        records = case_file_records(case)
        offences = list(case.offences.select_related("offence"))
        context = _case_header(case, offences, records, tab=self.tab)
        context.update(self.tab_context(case, offences=offences, records=records))
        if self.tab in ASKED_ABOVE:
            for part in announce(CasePageAsked(user=request.user, case=case, tab=self.tab)):
                context.update(part or {})
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=case,
            request=request,
            reason=self.audit_reason(context["tab_label"]),
        )
        return render(request, self.template_name, context)


def _can_correct(user, case) -> dict:
    """The parts of the case this user may correct now: a "Change" link beside each."""
    decided = case.decision_outcome is not None  # the current decision, read with the case
    return {
        part.replace("-", "_"): not case_correction_refusal(
            part, status=case.status, decided=decided, actor=user
        )
        for part in CASE_CORRECTION_PARTS
    }


# What comes next while a case is being assessed or is under caution, and the page where it is done
# (the overview's "Next" line; the pages hold the actions themselves).
NEXT_STEPS = {
    CaseStatus.ASSESSMENT: ("The needs assessment, then the conditions.", "cases:assessment", "Assessment"),
    CaseStatus.CONDITIONS_AGREED: (
        "The conditions are agreed: the caution is administered next.",
        "cases:conditions",
        "Conditions and referrals",
    ),
    CaseStatus.ACTIVE: (
        "Under caution: each condition's progress is recorded as it is met.",
        "cases:conditions",
        "Conditions and referrals",
    ),
    CaseStatus.BREACH_REVIEW: (
        "A breach review waits for a decision.",
        "cases:conditions",
        "Conditions and referrals",
    ),
}


class CaseDetailView(_CaseFileView):
    """The overview: alerts, what can be done next, the person, offences, details and decisions, the
    resumed prosecution and the latest events."""

    tab = "overview"
    template_name = "cases/detail.html"

    def audit_reason(self, label):
        return "Case record opened"

    def tab_context(self, case, *, offences, records):
        user = self.request.user
        decisions = list(decision_list_for(user, case))
        prosecution = records["prosecution"]
        return {
            "offences": offences,
            "decisions": decisions,
            "current_decision": next((d for d in decisions if d.is_current), None),
            "aliases": [alias for alias in case.person.aliases.all() if alias.is_current],
            "recent_events": list(case_event_list_for(case)[:RECENT_EVENTS]),
            "can_submit": case.status == CaseStatus.INTAKE
            and user.has_role(*allowed_roles(CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION)),
            "can_decide": case.status in DECIDABLE_STATUSES and user.has_role(Role.DECISION_MAKER),
            "can_reassign": case.status in REASSIGNABLE_STATUSES and user.has_role(Role.SUPERVISOR),
            "can_withdraw": user.has_role(*allowed_roles(case.status, CaseStatus.WITHDRAWN)),
            # Legal holds (retention/): a supervisor's, on a person or a case, so the record is kept.
            "can_hold": user.has_role(Role.SUPERVISOR) and not case.person.is_erased,
            "can_correct_person": user.has_role(*services.PERSON_CORRECTION_ROLES),
            "can_review_access": user.has_role(Role.SUPERVISOR),
            "can_update_prosecution": prosecution is not None
            and case.status == CaseStatus.PROSECUTION_RESUMED
            and user.has_role(*POLICE_ROLES),
            # The caution is the decision-maker's next step once the conditions are agreed (the button is
            # on "Conditions and referrals" too, beside the conditions).
            "can_caution": user.has_role(Role.DECISION_MAKER) and case.status == CaseStatus.CONDITIONS_AGREED,
            "next_step": _next_step(case),
            "can_correct": _can_correct(user, case),
        }


def _next_step(case) -> dict | None:
    if case.status not in NEXT_STEPS:
        return None
    text, name, page = NEXT_STEPS[case.status]
    return {"text": text, "url": reverse(name, args=[case.pk]), "page": page}


class CaseConditionsView(_CaseFileView):
    """The conditions with the caution, breach reviews, referrals and variations, and their actions, by
    the same status sets the services enforce (conditions' and referrals' answers to ``CasePageAsked``)."""

    tab = "conditions"
    template_name = "cases/case_conditions.html"


class CaseAssessmentView(_CaseFileView):
    """The needs assessments: each one's status, the needs it found and its contributions; starting one
    (assessments' answer to ``CasePageAsked``)."""

    tab = "assessment"
    template_name = "cases/case_assessment.html"


class CaseTimelineView(_CaseFileView):
    """Everything that happened to the case, newest first, 50 events a page, narrowed by kind of event."""

    tab = "timeline"
    template_name = "cases/case_timeline.html"

    def tab_context(self, case, *, offences, records):
        timeline = TimelineFilter(self.request.GET, queryset=case_event_list_for(case))
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            "filter": timeline,
            "events": WindowPage(timeline.qs, number=self.request.GET.get("page"), size=TIMELINE_PAGE_SIZE),
            "filtered": bool(timeline.form.is_valid() and timeline.form.cleaned_data.get("kind")),
            "page_query": query.urlencode(),
        }


class CaseDocumentsView(_CaseFileView):
    """The signed caution document and the documents partners uploaded on the case's referrals
    (referrals' answer to ``CasePageAsked``)."""

    tab = "documents"
    template_name = "cases/case_documents.html"


class CaseVictimView(_CaseFileView):
    """The victim, their views and consent to restorative justice, the conditions that make amends to
    them (conditions' answer to ``CasePageAsked``) and, when the prosecution resumed, when they are to
    be told."""

    tab = "victim"
    template_name = "cases/case_victim.html"

    def tab_context(self, case, *, offences, records):
        return {"can_correct": _can_correct(self.request.user, case)}


class CaseSubmitView(RoleRequiredMixin, View):
    required_roles = frozenset(allowed_roles(CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION))

    def post(self, request, pk):
        case = case_get_for(request.user, pk)
        form = NotesForm(request.POST)
        notes = form.cleaned_data["notes"] if form.is_valid() else ""
        try:
            services.case_submit_for_decision(case_id=case.pk, actor=request.user, notes=notes)
        except services.CaseError as exc:
            messages.error(request, str(exc))
            return redirect("cases:detail", pk=case.pk)
        messages.success(request, f"Case {case.reference} sent for an eligibility decision.")
        return redirect("cases:detail", pk=case.pk)


class DecisionView(RoleRequiredMixin, View):
    """The eligibility decision: the statutory requirements, the scheme's rules computed, and the record."""

    required_roles = frozenset({Role.DECISION_MAKER})
    template_name = "cases/decision_form.html"

    def _context(self, request, case, form=None):
        offences = list(case.offences.select_related("offence"))
        decisions = list(decision_list_for(request.user, case))
        current = next((d for d in decisions if d.is_current), None)
        time_limit = case_time_limit(case, offences)
        adjustment = 0
        admission = None
        if form is not None and form.is_bound and form.is_valid():
            adjustment = form.cleaned_data["gravity_adjustment"]
            admission = form.cleaned_data["admission"]
        assessment = assess_eligibility(
            case, offences, on=timezone.localdate(), gravity_adjustment=adjustment, admission=admission
        )
        if form is None:
            form = DecisionForm(time_limit=time_limit, initial={"based_on": current.pk if current else None})
        return {
            "case": case,
            "person": case.person,
            "offences": offences,
            "form": form,
            "assessment": assessment,
            "time_limit": time_limit,
            "current_decision": current,
        }

    def get(self, request, pk):
        case = case_get_for(request.user, pk)
        if case.status not in DECIDABLE_STATUSES:
            messages.error(request, f"A case that is “{case.get_status_display()}” cannot be decided.")
            return redirect("cases:detail", pk=case.pk)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=case,
            request=request,
            reason="Eligibility decision form opened",
        )
        return render(request, self.template_name, self._context(request, case))

    def post(self, request, pk):
        case = case_get_for(request.user, pk)
        offences = list(case.offences.select_related("offence"))
        form = DecisionForm(request.POST, time_limit=case_time_limit(case, offences))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.eligibility_decide(
                    case_id=case.pk,
                    actor=request.user,
                    based_on=data["based_on"],
                    outcome=data["outcome"],
                    evidence_person_committed=data["evidence_person_committed"],
                    sufficient_evidence_to_charge=data["sufficient_evidence_to_charge"],
                    authority=data["authority"],
                    admission=data["admission"],
                    gravity_adjustment=data["gravity_adjustment"],
                    rationale=data["rationale"],
                    prosecutor_reference=data["prosecutor_reference"],
                    time_limit_acknowledged=data.get("time_limit_acknowledged", False),
                )
            except (ValidationError, services.CaseError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Decision recorded on case {case.reference}.")
                return redirect("cases:detail", pk=case.pk)
        case.refresh_from_db()
        context = self._context(request, case, form)
        # The page now shows the current decision: a resubmission is made knowing of it.
        form.data = form.data.copy()
        form.data["based_on"] = context["current_decision"].pk if context["current_decision"] else ""
        return render(request, self.template_name, context, status=400)


class CaseReassignView(RoleRequiredMixin, View):
    required_roles = frozenset({Role.SUPERVISOR})
    template_name = "cases/reassign_form.html"

    def get(self, request, pk):
        case = case_get_for(request.user, pk)
        form = ReassignForm(case_workers=case_worker_list_for(request.user).exclude(pk=case.owner_id))
        return render(request, self.template_name, {"case": case, "form": form})

    def post(self, request, pk):
        case = case_get_for(request.user, pk)
        form = ReassignForm(request.POST, case_workers=case_worker_list_for(request.user))
        if form.is_valid():
            try:
                services.case_reassign(
                    case_id=case.pk,
                    actor=request.user,
                    to_user=form.cleaned_data["to_user"],
                    reason=form.cleaned_data["reason"],
                )
            except services.CaseError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Case {case.reference} reassigned to {form.cleaned_data['to_user']}."
                )
                return redirect("cases:detail", pk=case.pk)
        return render(request, self.template_name, {"case": case, "form": form}, status=400)


class CaseloadReassignView(RoleRequiredMixin, View):
    required_roles = frozenset({Role.SUPERVISOR})
    template_name = "cases/caseload_reassign_form.html"

    def get(self, request):
        return render(
            request,
            self.template_name,
            {
                "form": CaseloadReassignForm(
                    case_workers=case_worker_list_for(request.user),
                    owners=caseload_owner_list_for(request.user),
                )
            },
        )

    def post(self, request):
        form = CaseloadReassignForm(
            request.POST,
            case_workers=case_worker_list_for(request.user),
            owners=caseload_owner_list_for(request.user),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.caseload_reassign(
                    actor=request.user,
                    from_user=data["from_user"],
                    to_user=data["to_user"],
                    reason=data["reason"],
                )
            except services.CaseError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{moved} open case{'s' if moved != 1 else ''} moved from "
                    f"{data['from_user']} to {data['to_user']}.",
                )
                return redirect(reverse("cases:list") + f"?owner={data['to_user'].pk}")
        return render(request, self.template_name, {"form": form}, status=400)


class CaseWithdrawView(RoleRequiredMixin, View):
    required_roles = POLICE_ROLES
    template_name = "cases/withdraw_form.html"

    def get(self, request, pk):
        case = case_get_for(request.user, pk)
        return render(request, self.template_name, {"case": case, "form": WithdrawForm()})

    def post(self, request, pk):
        case = case_get_for(request.user, pk)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.case_withdraw(
                    case_id=case.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except services.CaseError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Case {case.reference} withdrawn.")
                return redirect("cases:detail", pk=case.pk)
        return render(request, self.template_name, {"case": case, "form": form}, status=400)


# --- A person's record, corrected -------------------------------------------------------------------

PERSON_HISTORY_PAGE_SIZE = 50


class PersonDetailView(RoleRequiredMixin, View):
    """The person's page: their details with a "Change" link for each part (for those who correct
    people), their aliases, current and ended, their cases and the records merged into theirs. A record
    merged into another says so, and where it went."""

    required_roles = POLICE_ROLES

    def get(self, request, pk):
        person = person_record_get_for(request.user, pk)
        if person.merged_into_id:
            return self.merged(request, person)
        aliases = list(person.aliases.select_related("ended_by"))
        cases = list(person_case_list_for(request.user, person))
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Person record opened",
        )
        return render(
            request,
            "cases/person_detail.html",
            {
                "person": person,
                "current_aliases": [a for a in aliases if a.is_current],
                "ended_aliases": [a for a in aliases if not a.is_current],
                "cases": cases,
                "merges": list(person_merges_into_for(request.user, person)),
                "can_change": request.user.has_role(*services.PERSON_CORRECTION_ROLES)
                and not person.is_erased,
                "can_hold": request.user.has_role(Role.SUPERVISOR) and not person.is_erased,
                # Who accessed the record, and subject access requests: supervisors (subjectaccess app).
                "can_review_access": request.user.has_role(Role.SUPERVISOR),
                "can_merge": request.user.has_role(*services.PERSON_MERGE_ROLES) and not person.is_erased,
            },
        )

    def merged(self, request, person):
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Merged person record opened",
        )
        return render(
            request,
            "cases/person_merged.html",
            {
                "person": person,
                "merge": person_merge_of_for(request.user, person),
                "can_merge": request.user.has_role(*services.PERSON_MERGE_ROLES),
            },
        )


class PersonHistoryView(RoleRequiredMixin, View):
    """Every correction of the person: field, old and new value, who, when and why (newest first)."""

    required_roles = POLICE_ROLES

    def get(self, request, pk):
        person = person_record_get_for(request.user, pk)
        changes = WindowPage(
            person_change_list_for(request.user, person),
            number=request.GET.get("page"),
            size=PERSON_HISTORY_PAGE_SIZE,
        )
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Person's history of corrections opened",
        )
        return render(request, "cases/person_history.html", {"person": person, "changes": changes})


def _correction_made(request, form, perform) -> bool:
    """Make a correction from a valid form (``perform`` calls the service and returns the message to
    show, '' when nothing changed). False, with the refusal on the form, when it is not made."""
    if not form.is_valid():
        return False
    try:
        message = perform()
    except (ValidationError, services.CaseError) as exc:
        add_service_errors(form, exc)
        return False
    if message:
        messages.success(request, message)
    else:
        messages.info(request, "Nothing was changed: the details you entered are the ones already recorded.")
    return True


class _PersonCorrectionView(RoleRequiredMixin, View):
    """One correction form, one service call. The form is shown again with its errors and a 400 when
    it is refused."""

    required_roles = services.PERSON_CORRECTION_ROLES
    template_name = "cases/person_change_form.html"

    def form_class(self):
        raise NotImplementedError

    def initial(self, person):
        return {}

    def perform(self, person, form) -> str:
        """The service call; returns the message to show on the person's page."""
        raise NotImplementedError

    def context(self, person, form):
        return {"person": person, "form": form, "title": form.title}

    def person(self, request, pk):
        """The person, or None for a record merged into another (there is nothing to correct on it)."""
        person = person_record_get_for(request.user, pk)
        if person.merged_into_id:
            messages.error(request, "This record was merged into another person's record: correct that one.")
            return None
        return person

    def get(self, request, pk, **kwargs):
        person = self.person(request, pk)
        if person is None:
            return redirect("cases:person_detail", pk=pk)
        form = self.form_class()(initial=self.initial(person))
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Person correction form opened",
        )
        return render(request, self.template_name, self.context(person, form))

    def post(self, request, pk, **kwargs):
        person = self.person(request, pk)
        if person is None:
            return redirect("cases:person_detail", pk=pk)
        form = self.form_class()(request.POST)
        if _correction_made(request, form, lambda: self.perform(person, form)):
            return redirect("cases:person_detail", pk=person.pk)
        return render(request, self.template_name, self.context(person, form), status=400)


class PersonChangeView(_PersonCorrectionView):
    """Change one part of the person's details (``section``: a key of ``PERSON_CORRECTION_FORMS``)."""

    def form_class(self):
        try:
            return PERSON_CORRECTION_FORMS[self.kwargs["section"]]
        except KeyError as exc:
            raise Http404("No such part of a person's details.") from exc

    def initial(self, person):
        return {name: getattr(person, name) for name in self.form_class().base_fields if name != "reason"}

    def perform(self, person, form):
        rows = services.person_correct(
            person_id=person.pk,
            actor=self.request.user,
            changes=form.changes(),
            reason=form.cleaned_data["reason"],
        )
        if not rows:
            return ""
        labels = [row.field_label for row in rows]
        return f"{', '.join(labels)} changed." if len(labels) > 1 else f"{labels[0]} changed."


class PersonAliasAddView(_PersonCorrectionView):
    def form_class(self):
        return PersonAliasForm

    def perform(self, person, form):
        data = form.cleaned_data
        alias = services.person_alias_add(
            person_id=person.pk,
            actor=self.request.user,
            given_names=data["given_names"],
            family_name=data["family_name"],
            reason=data["reason"],
        )
        return f"Alias {alias} added."


class PersonAliasEndView(_PersonCorrectionView):
    def form_class(self):
        return PersonAliasEndForm

    def alias(self, person):
        alias = person.aliases.filter(pk=self.kwargs["alias_pk"]).first()
        if alias is None:
            raise Http404("No such alias.")
        return alias

    def context(self, person, form):
        return {**super().context(person, form), "alias": self.alias(person)}

    def perform(self, person, form):
        alias = services.person_alias_end(
            person_id=person.pk,
            alias_id=self.alias(person).pk,
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        return f"Alias {alias} ended."


# --- Two records of a person merged (issue 14, part 3) ------------------------------------------------


class PersonMergeStartView(RoleRequiredMixin, View):
    """ "Merge with another person": the other record, from the possible duplicates of this one or a
    search by name or PNC ID."""

    required_roles = services.PERSON_MERGE_ROLES

    def get(self, request, pk):
        person = person_get_for(request.user, pk)
        q = request.GET.get("q", "").strip()
        candidates = person_merge_candidates_for(request.user, person)
        found = person_merge_search_for(request.user, person, q) if q else []
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=person,
            request=request,
            reason="Choosing a record to merge with this one"
            + (f": {len(found)} found by a search" if q else ""),
        )
        return render(
            request,
            "cases/person_merge_start.html",
            {"person": person, "candidates": candidates, "q": q, "found": found},
        )


class PersonMergeView(RoleRequiredMixin, View):
    """The two records side by side: which to keep, which value of each detail on which they differ,
    and why; then one service call (``person_merge``). A refused merge is shown again with its errors
    and a 400, with nothing saved."""

    required_roles = services.PERSON_MERGE_ROLES
    template_name = "cases/person_merge_form.html"

    def _people(self, request, pk, other_pk):
        first = person_record_get_for(request.user, pk)
        second = person_record_get_for(request.user, other_pk)
        return first, second

    def _form(self, first, second, data=None):
        details = [d for d in services.MERGE_DETAILS if services.merge_detail_choosable(first, second, d)]
        return PersonMergeForm(data, first=first, second=second, details=details)

    def _render(self, request, first, second, form, status=200):
        cases, aliases = person_records_compared_for(request.user, [first, second])
        differing = services.merge_details_differing(first, second)
        rows = [
            (
                services.MERGE_DETAIL_LABELS[detail],
                services.merge_detail_display(first, detail),
                services.merge_detail_display(second, detail),
                detail in differing,
            )
            for detail in services.MERGE_DETAILS
        ]
        only_pnc_id = "pnc_id" in differing and "pnc_id" not in form.details
        return render(
            request,
            self.template_name,
            {
                "first": first,
                "second": second,
                "rows": rows,
                "only_pnc_id": (first.pnc_id or second.pnc_id) if only_pnc_id else "",
                "first_cases": [c for c in cases if c.person_id == first.pk],
                "second_cases": [c for c in cases if c.person_id == second.pk],
                "first_aliases": [a for a in aliases if a.person_id == first.pk],
                "second_aliases": [a for a in aliases if a.person_id == second.pk],
                "form": form,
            },
            status=status,
        )

    def get(self, request, pk, other_pk):
        first, second = self._people(request, pk, other_pk)
        for person in (first, second):
            if person.merged_into_id:
                messages.info(request, f"{person.full_name}'s record has already been merged into another.")
                return redirect("cases:person_detail", pk=person.pk)
        if first.pk == second.pk:
            messages.error(request, "A record cannot be merged into itself: choose another person.")
            return redirect("cases:person_merge_start", pk=first.pk)
        for person in (first, second):
            audit_record(
                actor=request.user,
                action=AuditAction.VIEWED,
                obj=person,
                request=request,
                reason="Person records compared for a merge",
            )
        return self._render(request, first, second, self._form(first, second))

    def post(self, request, pk, other_pk):
        first, second = self._people(request, pk, other_pk)
        form = self._form(first, second, request.POST)
        elsewhere = [p for p in (first, second) if p.merged_into_id not in (None, first.pk, second.pk)]
        if elsewhere:  # merged into a third record (into the other: a repeated submission, made harmless)
            form.is_valid()
            form.add_error(None, f"{elsewhere[0].full_name}'s record was already merged into another record.")
        elif form.is_valid():
            try:
                merge = services.person_merge(actor=request.user, **form.merge_arguments())
            except (ValidationError, services.CaseError) as exc:
                add_service_errors(form, exc)
            else:
                if merge.is_live:
                    messages.success(request, _merged_message(merge))
                else:
                    messages.info(request, "This form was used before, and that merge has since been undone.")
                return redirect("cases:person_detail", pk=merge.kept_id)
        return self._render(request, first, second, form, status=400)


def _merged_message(merge) -> str:
    moved = merge.moved
    cases, aliases = len(moved.get("cases", [])), len(moved.get("aliases", []))
    return (
        f"Record {merge.merged_id} merged into this record: {cases} case{'s' if cases != 1 else ''} and "
        f"{aliases} alias{'es' if aliases != 1 else ''} moved. Supervisors can undo the merge from this page "
        "while neither record changes."
    )


class PersonMergeUndoView(RoleRequiredMixin, View):
    """Undo a merge: what it did and why, whether it can still be undone (and why not), and a reason."""

    required_roles = services.PERSON_MERGE_ROLES
    template_name = "cases/person_merge_undo.html"

    def _render(self, request, merge, form, status=200):
        refusal = services.person_merge_undo_refusal(merge)
        return render(
            request, self.template_name, {"merge": merge, "form": form, "refusal": refusal}, status=status
        )

    def get(self, request, pk):
        merge = person_merge_get_for(request.user, pk)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=merge,
            request=request,
            reason="Undoing a merge of person records: page opened",
        )
        return self._render(request, merge, PersonMergeUndoForm())

    def post(self, request, pk):
        merge = person_merge_get_for(request.user, pk)
        form = PersonMergeUndoForm(request.POST)
        if form.is_valid():
            was_live = merge.is_live
            try:
                services.person_merge_undo(
                    merge_id=merge.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except (ValidationError, services.CaseError) as exc:
                add_service_errors(form, exc)
            else:
                if was_live:
                    messages.success(request, "The merge was undone: this record is separate again.")
                else:
                    messages.info(request, "This merge had already been undone.")
                return redirect("cases:person_detail", pk=merge.merged_id)
        return self._render(request, merge, form, status=400)


# --- A case, corrected --------------------------------------------------------------------------------


class _CaseCorrectionView(RoleRequiredMixin, View):
    """One correction of a case, one service call. Who may make it depends on the part and the case's
    status (cases.workflow.case_correction_roles): another role is refused with 403. A part nobody may
    correct now (the victim's views after the decision) is refused with the reason."""

    required_roles = POLICE_ROLES
    template_name = "cases/case_change_form.html"
    part = ""

    def form_class(self):
        raise NotImplementedError

    def initial(self, case):
        return {}

    def perform(self, case, form) -> str:
        """The service call; returns the message to show on the case page ('' when nothing changed)."""
        raise NotImplementedError

    def case_page(self, case) -> str:
        """The page of the case's file that shows this part: the victim's page, or the overview."""
        name = "cases:victim" if self.part in ("victim", "victim-views") else "cases:detail"
        return reverse(name, args=[case.pk])

    def context(self, case, form):
        # Offences and flags are what the eligibility rules and the six-month limit are worked out from.
        return {
            "case": case,
            "form": form,
            "title": form.title,
            "recomputes": self.part in ("offences", "flags"),
            "back_url": self.case_page(case),
        }

    def _case(self, request, pk):
        case = case_get_for(request.user, pk)
        if not request.user.has_role(*case_correction_roles(self.part, case.status)):
            raise PermissionDenied
        return case

    def get(self, request, pk, **kwargs):
        case = self._case(request, pk)
        if closed := case_correction_closed(self.part, decided=case.decisions.exists()):
            messages.error(request, closed)
            return redirect(self.case_page(case))
        form = self.form_class()(initial=self.initial(case))
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=case,
            request=request,
            reason="Case correction form opened",
        )
        return render(request, self.template_name, self.context(case, form))

    def post(self, request, pk, **kwargs):
        case = self._case(request, pk)
        form = self.form_class()(request.POST)
        if _correction_made(request, form, lambda: self.perform(case, form)):
            return redirect(self.case_page(case))
        return render(request, self.template_name, self.context(case, form), status=400)


class CaseChangeView(_CaseCorrectionView):
    """Change one part of the case's details (``section``: a key of ``CASE_CORRECTION_FORMS``)."""

    def dispatch(self, request, *args, **kwargs):
        if kwargs["section"] not in CASE_CORRECTION_FORMS:
            raise Http404("No such part of a case's details.")
        self.part = kwargs["section"]
        return super().dispatch(request, *args, **kwargs)

    def form_class(self):
        return CASE_CORRECTION_FORMS[self.part]

    def initial(self, case):
        return {name: getattr(case, name) for name in self.form_class().base_fields if name != "reason"}

    def perform(self, case, form):
        event = services.case_correct(
            case_id=case.pk,
            actor=self.request.user,
            changes=form.changes(),
            reason=form.cleaned_data["reason"],
        )
        return f"{event.summary}." if event else ""


class CaseOffenceAddView(_CaseCorrectionView):
    part = "offences"

    def form_class(self):
        return CaseOffenceAddForm

    def perform(self, case, form):
        data = form.cleaned_data
        event = services.case_offence_correct_add(
            case_id=case.pk,
            actor=self.request.user,
            offence=data["offence"],
            offence_date=data["offence_date"],
            details=data["details"],
            reason=data["reason"],
        )
        return f"{event.summary}." if event else ""


class CaseOffenceRemoveView(_CaseCorrectionView):
    part = "offences"

    def form_class(self):
        return CaseOffenceRemoveForm

    def case_offence(self, case):
        found = case.offences.select_related("offence").filter(pk=self.kwargs["offence_pk"]).first()
        if found is None:
            raise Http404("No such offence on this case.")
        return found

    def context(self, case, form):
        return {**super().context(case, form), "case_offence": self.case_offence(case)}

    def perform(self, case, form):
        event = services.case_offence_correct_remove(
            case_id=case.pk,
            case_offence_id=self.case_offence(case).pk,
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        return f"{event.summary}." if event else ""


# --- A scheme's rules, for the force's administrators ------------------------------------------------


def _rules_fingerprint(scheme, proposed: dict) -> str:
    """Names the rules whose effect was shown, so that only those are saved."""
    text = json.dumps({"scheme": scheme.pk, **proposed}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class SchemeListView(RoleRequiredMixin, TemplateView):
    """The force's schemes, each with a link to change its rules. Administrators of a police force
    only (cases.selectors.scheme_admin_list_for)."""

    required_roles = frozenset({Role.ADMINISTRATOR})
    template_name = "cases/scheme_list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "schemes": list(scheme_admin_list_for(self.request.user)),
        }


class SchemeRulesView(RoleRequiredMixin, View):
    """Change a scheme's rules: the form, then "Check the effect" (the same page with the undecided
    cases the new rules would make ineligible), then "Save the rules", one service call. The rules are
    saved only as they were checked: changed after the check, they are checked again first."""

    required_roles = frozenset({Role.ADMINISTRATOR})
    template_name = "cases/scheme_rules_form.html"

    def render(self, scheme, form, *, status=200, effects=None, changes=None):
        context = {
            "scheme": scheme,
            "form": form,
            "checked": effects is not None,
            "effects": effects or [],
            "changes": changes or [],
            "preview_statuses": [CaseStatus(s).label for s in services.SCHEME_PREVIEW_STATUSES],
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        scheme = scheme_admin_get_for(request.user, pk)
        return self.render(scheme, SchemeRulesForm(initial=SchemeRulesForm.initial_for(scheme)))

    def post(self, request, pk):
        scheme = scheme_admin_get_for(request.user, pk)
        form = SchemeRulesForm(request.POST)
        if not form.is_valid():
            return self.render(scheme, form, status=400)
        proposed = form.proposed()
        fingerprint = _rules_fingerprint(scheme, proposed)
        if request.POST.get("action") == "save" and form.cleaned_data["checked"] == fingerprint:
            return self.save(scheme, form, proposed)
        return self.check(scheme, form, proposed, fingerprint)

    def check(self, scheme, form, proposed, fingerprint):
        try:
            preview = services.scheme_rules_preview(scheme=scheme, proposed=proposed)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render(scheme, form, status=400)
        audit_record(
            actor=self.request.user,
            action=AuditAction.VIEWED,
            obj=scheme,
            request=self.request,
            owner_organisation=self.request.user.organisation,
            object_label=f"Scheme {scheme.code}",
            reason="Effect of proposed scheme rules checked: "
            f"{len(preview.ineligible)} undecided cases would become ineligible",
        )
        data = form.data.copy()
        data["checked"] = fingerprint
        checked_form = SchemeRulesForm(data)
        checked_form.is_valid()
        changes = [(form.fields[name].label, old, new) for name, (old, new) in preview.changes.items()]
        return self.render(scheme, checked_form, effects=preview.ineligible, changes=changes)

    def save(self, scheme, form, proposed):
        try:
            changed = services.scheme_rules_change(
                scheme_id=scheme.pk,
                actor=self.request.user,
                proposed=proposed,
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, services.CaseError) as exc:
            add_service_errors(form, exc)
            return self.render(scheme, form, status=400)
        if changed:
            labels = ", ".join(form.fields[name].label.lower() for name in changed)
            messages.success(self.request, f"The rules of {scheme.name} were changed: {labels}.")
        else:
            messages.info(
                self.request, "Nothing was changed: the rules you entered are the ones already recorded."
            )
        return redirect("cases:scheme_list")

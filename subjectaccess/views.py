import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import POLICE_ROLES
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.forms import add_service_errors
from reporting.services import csv_safe

from . import services
from .filters import RECORDS_CASE, RECORDS_PERSON, RecordAccessFilter
from .forms import RecordFindForm, RedactionForm, ReleaseForm, RequestForm
from .models import RequestStatus
from .records import case_record_keys, person_record_keys, record_key
from .selectors import (
    ACCESS_LOG_ROLES,
    access_events_for,
    access_log_case_get_for,
    access_log_person_get_for,
    access_log_record_find,
    request_get_for,
    request_list_for,
    request_person_get_for,
)
from .services import SUBJECT_ACCESS_ROLES, SubjectAccessError

REQUESTS_PAGE_SIZE = 25
ACCESS_LOG_PAGE_SIZE = 50


# --- Subject access requests ----------------------------------------------------------------------------


class RequestListView(RoleRequiredMixin, View):
    """The force's subject access requests: open ones first, by the date they are due."""

    required_roles = SUBJECT_ACCESS_ROLES

    def get(self, request):
        show = request.GET.get("show", "open")
        requests = request_list_for(request.user).select_related("person")
        if show == "open":
            requests = requests.filter(status__in=[RequestStatus.RECEIVED, RequestStatus.IN_REVIEW])
        else:
            show = "all"
        page = Paginator(requests.order_by("due_on", "id"), REQUESTS_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        shown = list(page.object_list)
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            request=request,
            object_label="Subject access requests",
            owner_organisation=request.user.organisation,
            reason="Subject access requests listed: " + (", ".join(r.reference for r in shown) or "none"),
        )
        return render(
            request,
            "subjectaccess/request_list.html",
            {
                "requests": shown,
                "page_obj": page,
                "show": show,
                "query_string": f"show={show}",
                "today": timezone.localdate(),
            },
        )


class RequestCreateView(RoleRequiredMixin, View):
    required_roles = SUBJECT_ACCESS_ROLES
    template_name = "subjectaccess/request_form.html"

    def get(self, request, person_pk):
        person = request_person_get_for(request.user, person_pk)
        return render(request, self.template_name, {"person": person, "form": RequestForm()})

    def post(self, request, person_pk):
        person = request_person_get_for(request.user, person_pk)
        form = RequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sar = services.subject_access_request_create(
                    actor=request.user,
                    person=person,
                    received_on=data["received_on"],
                    requester_kind=data["requester_kind"],
                    received_from=data["received_from"],
                    identity_confirmed_on=data["identity_confirmed_on"],
                    submission_token=data["submission_token"],
                )
            except (ValidationError, SubjectAccessError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Subject access request {sar.reference} recorded: respond by {sar.due_on:%-d %B %Y}.",
                )
                return redirect("subjectaccess:detail", pk=sar.pk)
        return render(request, self.template_name, {"person": person, "form": form}, status=400)


class RequestDetailView(RoleRequiredMixin, View):
    required_roles = SUBJECT_ACCESS_ROLES

    def get(self, request, pk):
        sar = request_get_for(request.user, pk)
        redactions = list(sar.redactions.select_related("recorded_by"))
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=sar,
            request=request,
            reason="Subject access request opened",
        )
        summary = sar.export_summary or {}
        return render(
            request,
            "subjectaccess/request_detail.html",
            {
                "sar": sar,
                "person": sar.person,
                "redactions": redactions,
                "summary": summary,
                "counts": sorted((summary.get("counts") or {}).items()),
                "keep_days": settings.SUBJECT_ACCESS_EXPORT_KEEP_DAYS,
                "today": timezone.localdate(),
                "days_left": sar.days_left(),
                "days_late": -sar.days_left(),
                "can_produce": sar.is_open and not sar.export_pending,
                "can_release": sar.status == RequestStatus.IN_REVIEW
                and not sar.export_pending
                and not sar.export_out_of_date,
            },
        )


class _RequestAction(RoleRequiredMixin, View):
    required_roles = SUBJECT_ACCESS_ROLES

    def refused(self, sar, exc):
        messages.error(self.request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        return redirect("subjectaccess:detail", pk=sar.pk)


class RequestProduceView(_RequestAction):
    """Ask for the export to be produced (POST only): a job produces it."""

    def post(self, request, pk):
        sar = request_get_for(request.user, pk)
        try:
            asked = services.subject_access_export_request(request_id=sar.pk, actor=request.user)
        except SubjectAccessError as exc:
            return self.refused(sar, exc)
        if asked:
            messages.success(
                request,
                "The export is being produced. For a person with many records this can take a few minutes: "
                "check this page again shortly.",
            )
        else:
            messages.info(request, "The export is already being produced.")
        return redirect("subjectaccess:detail", pk=sar.pk)


class RedactionCreateView(_RequestAction):
    template_name = "subjectaccess/redaction_form.html"

    def render(self, sar, form, status=200):
        return render(
            self.request, self.template_name, {"sar": sar, "person": sar.person, "form": form}, status=status
        )

    def get(self, request, pk):
        sar = request_get_for(request.user, pk)
        if not sar.is_open:
            return self.refused(
                sar,
                SubjectAccessError(
                    f"The request is “{sar.get_status_display()}”: nothing more can be withheld."
                ),
            )
        return self.render(sar, RedactionForm(initial={"item": request.GET.get("item", "")}))

    def post(self, request, pk):
        sar = request_get_for(request.user, pk)
        form = RedactionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.subject_access_redaction_add(
                    request_id=sar.pk,
                    actor=request.user,
                    item=data["item"],
                    ground=data["ground"],
                    reasons=data["reasons"],
                )
            except (ValidationError, SubjectAccessError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Recorded. Produce the export again so that it leaves this out.")
                return redirect("subjectaccess:detail", pk=sar.pk)
        return self.render(sar, form, status=400)


class RequestReleaseView(_RequestAction):
    template_name = "subjectaccess/release_form.html"

    def render(self, sar, form, status=200):
        return render(
            self.request, self.template_name, {"sar": sar, "person": sar.person, "form": form}, status=status
        )

    def get(self, request, pk):
        sar = request_get_for(request.user, pk)
        return self.render(sar, ReleaseForm())

    def post(self, request, pk):
        sar = request_get_for(request.user, pk)
        form = ReleaseForm(request.POST)
        if form.is_valid():
            try:
                services.subject_access_release(
                    request_id=sar.pk, actor=request.user, release_method=form.cleaned_data["release_method"]
                )
            except (ValidationError, SubjectAccessError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Subject access request {sar.reference} recorded as released.")
                return redirect("subjectaccess:detail", pk=sar.pk)
        return self.render(sar, form, status=400)


class RequestWithdrawView(_RequestAction):
    def get(self, request, pk):
        sar = request_get_for(request.user, pk)
        if not sar.is_open:
            return redirect("subjectaccess:detail", pk=sar.pk)
        return render(request, "subjectaccess/withdraw_confirm.html", {"sar": sar, "person": sar.person})

    def post(self, request, pk):
        sar = request_get_for(request.user, pk)
        try:
            services.subject_access_withdraw(request_id=sar.pk, actor=request.user)
        except SubjectAccessError as exc:
            return self.refused(sar, exc)
        messages.success(request, f"Subject access request {sar.reference} recorded as withdrawn.")
        return redirect("subjectaccess:detail", pk=sar.pk)


class RequestDownloadView(_RequestAction):
    """The export's PDF or archive, checked against its checksum; each download is a disclosure."""

    def get(self, request, pk, kind):
        if kind not in services.EXPORT_FILES:
            raise Http404("No such file.")
        sar = request_get_for(request.user, pk)
        try:
            file = services.subject_access_download(sar=sar, kind=kind, actor=request.user, request=request)
        except (SubjectAccessError, services.ExportUnavailable) as exc:
            return self.refused(sar, exc)
        _, _, content_type, _ = services.EXPORT_FILES[kind]
        extension = "pdf" if kind == "pdf" else "zip"
        response = FileResponse(
            file,
            content_type=content_type,
            as_attachment=True,
            filename=f"subject-access-{sar.reference}.{extension}",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- Who accessed this record ----------------------------------------------------------------------------


CSV_HEADER = [
    "when",
    "who",
    "organisation",
    "action",
    "recipient",
    "kind of record",
    "record number",
    "record",
    "why",
    "from address",
]


class _AccessLogView(RoleRequiredMixin, View):
    """Every view, change, export and disclosure of one record (or of all its records), from the audit
    log, filtered, 50 a page or as CSV. The same number of queries whatever the size of the log."""

    required_roles = ACCESS_LOG_ROLES
    as_csv = False
    records_choices = RECORDS_PERSON

    def get_record(self, pk):
        raise NotImplementedError

    def keys(self, record, scope):
        raise NotImplementedError

    def context(self, record):
        return {}

    def get(self, request, pk):
        record = self.get_record(pk)
        scope = request.GET.get("records") if request.GET.get("records") in ("record", "all") else "record"
        events = access_events_for(request.user, self.keys(record, scope))
        actors = list(events.order_by("actor_label").values_list("actor_label", flat=True).distinct())
        filterset = RecordAccessFilter(
            request.GET, queryset=events, actors=actors, records=self.records_choices
        )
        valid = filterset.is_valid()
        events = filterset.qs if valid else events.none()
        query = request.GET.copy()
        query.pop("page", None)
        query_string = query.urlencode()
        if self.as_csv and valid:
            return self.csv(request, record, events, query_string)
        paginator = Paginator(events, ACCESS_LOG_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        shown = list(page.object_list)  # read before this view of the log is recorded
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=record,
            request=request,
            reason="Who accessed this record reviewed" + (" (all of its records)" if scope == "all" else ""),
        )
        context = {
            "record": record,
            "filter": filterset,
            "events": shown,
            "page_obj": page,
            "query_string": query_string,
            "scope": scope,
            "show_names": request.user.has_role(*POLICE_ROLES),
            "csv_url": f"{request.path}csv/" + (f"?{query_string}" if query_string else ""),
            **self.context(record),
        }
        return render(request, "subjectaccess/access_log.html", context, status=200 if valid else 400)

    def csv(self, request, record, events, query_string):
        rows = events.count()
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORTED,
            obj=record,
            request=request,
            recipient=f"{request.user.email} ({request.user.organisation})",
            reason=f"Access log of the record downloaded: {rows} rows",
        )
        response = StreamingHttpResponse(_csv_lines(events[:rows]), content_type="text/csv; charset=utf-8")
        label = record.audit_label().lower().replace(" ", "-").replace("#", "")
        response["Content-Disposition"] = (
            f'attachment; filename="access-log-{label}-{timezone.localdate():%Y%m%d}.csv"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


class _Line:
    def write(self, text):
        return text


def _csv_lines(events):
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    lines = []
    for e in events.iterator(chunk_size=2000):
        lines.append(
            writer.writerow(
                [
                    csv_safe(v)
                    for v in (
                        timezone.localtime(e.occurred_at).isoformat(),
                        e.actor_label,
                        e.actor_organisation.name if e.actor_organisation else "",
                        e.get_action_display(),
                        e.recipient,
                        e.content_type.name if e.content_type else "",
                        e.object_id,
                        e.object_label,
                        e.reason,
                        e.ip_address or "",
                    )
                ]
            )
        )
        if len(lines) >= 500:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


class PersonAccessLogView(_AccessLogView):
    records_choices = RECORDS_PERSON

    def get_record(self, pk):
        return access_log_person_get_for(self.request.user, pk)

    def keys(self, person, scope):
        return person_record_keys(person) if scope == "all" else record_key(person)

    def context(self, person):
        return {"person": person, "back_url": reverse("cases:person_detail", args=[person.pk])}


class CaseAccessLogView(_AccessLogView):
    records_choices = RECORDS_CASE

    def get_record(self, pk):
        return access_log_case_get_for(self.request.user, pk)

    def keys(self, case, scope):
        return case_record_keys(case) if scope == "all" else record_key(case)

    def context(self, case):
        return {"case": case, "back_url": reverse("cases:detail", args=[case.pk])}


class RecordFindView(RoleRequiredMixin, View):
    """Find a record's access log by case reference or person number (administrators, who do not see
    the person's or the case's page, start here)."""

    required_roles = ACCESS_LOG_ROLES
    template_name = "subjectaccess/record_find.html"

    def get(self, request):
        if "record" not in request.GET:
            return render(request, self.template_name, {"form": RecordFindForm()})
        form = RecordFindForm(request.GET)
        if form.is_valid():
            found = access_log_record_find(request.user, form.cleaned_data["record"])
            if found is not None:
                name = (
                    "subjectaccess:person_access"
                    if found._meta.model_name == "person"
                    else "subjectaccess:case_access"
                )
                return redirect(name, pk=found.pk)
            form.add_error("record", "No case or person of your force has this reference or number.")
        return render(request, self.template_name, {"form": form}, status=400)

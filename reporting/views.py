import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from cases.services import CaseError
from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Organisation, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_label, audit_record
from offenderhub.core.forms import add_service_errors

from . import quality, services, summaries
from .exports import HEADER, case_extract_rows, csv_lines
from .filters import DashboardFilter
from .forms import FindingForm, ImportForm, SampleForm
from .models import ReoffendingImport, ScrutinySample
from .pseudonyms import pseudonym
from .selectors import (
    FAIRNESS_DIMENSIONS,
    dashboard_figures_kept,
    reporting_force_id_for,
    scoped_cases,
    scoped_facts,
)

READERS = frozenset({Role.ANALYST, Role.SUPERVISOR})


class _Reporting(RoleRequiredMixin, View):
    required_roles = READERS

    def scope(self, request, scoped=scoped_cases):
        """The cases (or, with ``scoped=scoped_facts``, their summaries) the user may report on,
        filtered by the dashboard's filters; none when a filter is refused."""
        self.force_id = reporting_force_id_for(request.user)
        if self.force_id is None:
            raise Http404("No force to report on.")
        self.today = timezone.localdate()
        self.filterset = DashboardFilter(
            request.GET or None, queryset=scoped(request.user, today=self.today), force_id=self.force_id
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs


class _Dashboard(_Reporting):
    """The dashboard and its tables read the summaries (reporting/summaries.py): the cases changed
    since they were last made are summarised again first (at most ``REQUEST_BATCH``; the job every
    minute does the rest), then the filters apply to the summaries. The figures for a force, a set of
    filters and a day are kept (settings.DASHBOARD_CACHE_SECONDS) until the summaries next change, and
    computed again at most once every settings.DASHBOARD_REFRESH_SECONDS."""

    def summary_scope(self, request):
        facts = self.scope(request, scoped=scoped_facts)  # lazy: read after the refresh
        summaries.refresh_stale(summaries.REQUEST_BATCH)
        self.force = summaries.with_freshness(Organisation.objects).get(pk=self.force_id)
        return facts

    def figures(self, request, facts, *, fairness=()):
        return dashboard_figures_kept(
            facts,
            force=self.force,
            today=self.today,
            filters=sorted((k, v) for k, values in request.GET.lists() for v in values),
            fairness=fairness,
        )


def _bars(rows, key, label_key):
    """Rows for a server-drawn bar chart: each value as a share of the largest, for the SVG widths."""
    values = [float(r[key] or 0) for r in rows]
    top = max(values, default=0) or 1
    return {
        "bars": [
            {"label": r[label_key], "value": r[key], "width": round(260 * (v / top), 1), "y": 28 * i}
            for i, (r, v) in enumerate(zip(rows, values, strict=True))
        ],
        "height": 28 * len(rows),
    }


class DashboardView(_Dashboard):
    def get(self, request):
        facts = self.summary_scope(request)
        figures, fairness, as_at = self.figures(request, facts, fairness=tuple(FAIRNESS_DIMENSIONS))
        status_rows = [{"label": label, "n": n} for label, n in figures["by_status"]]
        trend_rows = [{"label": f"{t['month']:%b %Y}", "n": t["opened"]} for t in figures["trends"]]
        query = urlencode({k: v for k, v in request.GET.items() if v})
        return render(
            request,
            "reporting/dashboard.html",
            {
                "filter": self.filterset,
                "force": self.force,
                "figures_as_at": as_at,
                "f": figures,
                "fairness": fairness,
                "status_chart": _bars(status_rows, "n", "label"),
                "trend_chart": _bars(trend_rows, "n", "label"),
                "query": query,
                "can_import": request.user.has_role(Role.SUPERVISOR),
            },
        )


def _csv_response(filename, header, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([services.csv_safe(v) for v in row])
    return response


class DashboardExportView(_Dashboard):
    """The dashboard's tables as CSV, one table per request."""

    TABLES = [
        "status",
        "outcomes",
        "needs",
        "partners",
        "trends",
        "fairness_ethnicity",
        "fairness_sex",
        "fairness_age_band",
    ]

    def get(self, request, table):
        if table not in self.TABLES:
            raise Http404
        dimension = table.removeprefix("fairness_") if table.startswith("fairness_") else None
        facts = self.summary_scope(request)
        f, fair, _ = self.figures(request, facts, fairness=(dimension,) if dimension else ())
        if table == "status":
            header, rows = ["status", "cases"], f["by_status"]
        elif table == "outcomes":
            r, c = f["reoffending"], f["cost"]
            header = ["measure", "value"]
            rows = [
                ("cases", f["total"]),
                ("cautions given", f["cautions"]),
                ("diverted from prosecution", f["diverted"]),
                ("breached", f["breached"]),
                ("compliance rate %", f["compliance_rate"]),
                ("breach rate %", f["breach_rate"]),
                ("proven reoffending cohort", r["cohort"]),
                ("reoffenders", r["reoffenders"]),
                ("proven reoffending rate %", r["rate"]),
                ("reoffences per reoffender", r["frequency"]),
                ("still maturing", r["maturing"]),
                ("cost of crime before (£)", c["before"]),
                ("cost of crime after (£)", c["after"]),
                ("people tracked for cost", c["people"]),
                ("days offence to decision", f["offence_to_decision_days"]),
                ("days decision to caution", f["decision_to_caution_days"]),
                ("days referral to first contact", f["referral_to_contact_days"]),
            ]
        elif table == "needs":
            header = [
                "pathway",
                "in need (medium or high)",
                "high",
                "rate %",
                "pairs assessed twice",
                "average change",
            ]
            rows = [
                (n["pathway"], n["in_need"], n["high"], n["rate"], n["pairs"], n["change"])
                for n in f["needs"]
            ]
        elif table == "partners":
            header = [
                "agency",
                "sent",
                "accepted",
                "declined",
                "completed",
                "not completed",
                "completion rate %",
                "days to accept",
                "days to first contact",
            ]
            rows = [
                (
                    p["organisation__name"],
                    p["sent"],
                    p["accepted"],
                    p["declined"],
                    p["completed"],
                    p["not_completed"],
                    p["completion_rate"],
                    p["acceptance_days"],
                    p["first_contact_days"],
                )
                for p in f["partners"]
            ]
        elif table == "trends":
            header, rows = (
                ["month", "cases opened", "cautions given"],
                [(f"{t['month']:%Y-%m}", t["opened"], t["cautioned"]) for t in f["trends"]],
            )
        else:
            fair = fair[dimension]
            header = [
                "group",
                "cases",
                "eligible",
                "eligible rate %",
                "relative",
                "completed",
                "completed rate %",
                "relative",
                "breached",
                "breached rate %",
                "relative",
            ]
            rows = [
                (
                    r["name"],
                    r["cells"]["cases"],
                    r["cells"]["eligible"],
                    r["eligible_rate"],
                    r["eligible_relative"],
                    r["cells"]["completed"],
                    r["completed_rate"],
                    r["completed_relative"],
                    r["cells"]["breached"],
                    r["breached_rate"],
                    r["breached_relative"],
                )
                for r in fair["rows"]
            ]
        rows = list(rows)
        services.export_record(
            actor=request.user,
            what=f"Dashboard table: {table}",
            rows=len(rows),
            force_id=self.force_id,
            request=request,
        )
        return _csv_response(f"offenderhub-{table}-{self.today:%Y%m%d}.csv", header, rows)


class CaseExtractView(_Reporting):
    """A pseudonymised row per case: no names, addresses, PNC IDs or free text; ages as bands.

    Streamed (reporting/exports.py): a full extract of a large force is never held in memory. The
    export is audited before the first row leaves, with the number of rows counted then; the cases
    streamed are those counted (none opened since is added), so the count is the rows sent unless a
    case changed in the seconds between, say from one status to another under a status filter."""

    def get(self, request):
        cases = self.scope(request)
        counted = cases.aggregate(rows=Count("pk"), last=Max("pk"))
        services.export_record(
            actor=request.user,
            what="Pseudonymised case extract",
            rows=counted["rows"],
            force_id=self.force_id,
            request=request,
        )
        rows = case_extract_rows(cases.filter(pk__lte=counted["last"] or 0))
        response = StreamingHttpResponse(csv_lines(HEADER, rows), content_type="text/csv; charset=utf-8")
        filename = f"offenderhub-case-extract-{self.today:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class ImportView(RoleRequiredMixin, View):
    """Supervisors import subsequent offences from police records (CSV)."""

    required_roles = frozenset({Role.SUPERVISOR})

    def _render(self, request, form, result=None, status=200):
        batches = ReoffendingImport.objects.filter(force_id=request.user.organisation_id).select_related(
            "imported_by"
        )[:10]
        return render(
            request,
            "reporting/import.html",
            {"form": form, "result": result, "batches": batches, "columns": services.COLUMNS},
            status=status,
        )

    def get(self, request):
        return self._render(request, ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            result = services.reoffending_import(actor=request.user, upload=form.cleaned_data["file"])
        except CaseError as exc:
            form.add_error(None, str(exc))
            return self._render(request, form, status=400)
        if result.errors:
            form.add_error(
                "file",
                f"Nothing was imported: {len(result.errors)} row{'s' if len(result.errors) > 1 else ''} "
                "to be corrected (listed below).",
            )
            return self._render(request, form, result, status=400)
        batch = result.batch
        messages.success(
            request,
            f"Imported {batch.rows_added} offence{'s' if batch.rows_added != 1 else ''}; "
            f"{batch.rows_already_held} already held; {batch.rows_unmatched} for people on no case.",
        )
        return redirect("reporting:import")


class SampleListView(_Reporting):
    def _render(self, request, form, status=200):
        samples = ScrutinySample.objects.filter(force_id=self.force_id).select_related("created_by")
        return render(request, "reporting/samples.html", {"form": form, "samples": samples}, status=status)

    def get(self, request):
        self.scope(request)
        return self._render(request, SampleForm())

    def post(self, request):
        self.scope(request)
        form = SampleForm(request.POST)
        if form.is_valid():
            try:
                sample = services.scrutiny_sample_create(
                    actor=request.user, force_id=self.force_id, **form.cleaned_data
                )
            except (ValidationError, CaseError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{sample.items.count()} cases drawn for the panel.")
                return redirect("reporting:sample", pk=sample.pk)
        return self._render(request, form, status=400)


class SampleView(_Reporting):
    """The sample for the panel, anonymised: what was decided and why, the conditions by kind and
    catalogue name, and the outcome; never a name or free text about the person."""

    def get(self, request, pk, form=None, form_item=None, status=200):
        self.scope(request)
        sample = get_object_or_404(ScrutinySample, pk=pk, force_id=self.force_id)
        items = list(
            sample.items.select_related(
                "case__scheme", "case__caution", "case__prosecution", "recorded_by"
            ).prefetch_related("case__offences__offence", "case__conditions__template", "case__decisions")
        )
        for item in items:
            case = item.case
            item.pseudonym = pseudonym("case", case.pk)
            item.offences = [o.offence for o in case.offences.all()]
            item.conditions = [
                (
                    c.get_kind_display(),
                    c.template.name if c.template else "Own wording",
                    c.get_status_display(),
                )
                for c in case.conditions.all()
            ]
            decisions = sorted(case.decisions.all(), key=lambda d: (d.decided_at, d.pk))
            item.decision = decisions[-1] if decisions else None
            item.form = (
                form
                if form_item == item.pk
                else FindingForm(initial={"finding": item.finding, "observations": item.observations})
            )
        return render(request, "reporting/sample.html", {"sample": sample, "items": items}, status=status)

    def post(self, request, pk):
        self.scope(request)
        form = FindingForm(request.POST)
        raw = request.POST.get("item") or ""
        item_id = int(raw) if raw.isdigit() else 0
        if form.is_valid():
            try:
                services.scrutiny_finding_record(
                    actor=request.user,
                    item_id=item_id,
                    force_id=self.force_id,
                    sample_id=pk,
                    **form.cleaned_data,
                )
            except (ValidationError, CaseError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Finding recorded.")
                return redirect(f"{request.path}#item-{item_id}")
        return self.get(request, pk, form=form, form_item=item_id, status=400)


# --- Data quality (issue 14, part 6) ------------------------------------------------------------------


class _DataQuality(RoleRequiredMixin, View):
    """Supervisors only: administrators hold no case role, analysts and partners see no names.
    Every query is scoped to the supervisor's own force by the selectors of reporting/quality.py."""

    required_roles = frozenset({Role.SUPERVISOR})

    def category(self, slug):
        if slug not in quality.CATEGORY_BY_SLUG:
            raise Http404
        return quality.CATEGORY_BY_SLUG[slug]

    def audit_viewed(self, request, label, reason):
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            request=request,
            object_label=label,
            owner_organisation=request.user.organisation,
            reason=reason[:2000],
        )


class DataQualityView(_DataQuality):
    def get(self, request):
        counts = quality.quality_counts_for(request.user)
        self.audit_viewed(
            request,
            "Data quality",
            "Data quality counts: " + ", ".join(f"{c['category'].slug} {c['count']}" for c in counts),
        )
        return render(
            request,
            "reporting/quality.html",
            {"counts": counts, "stuck_days": _stuck_days_labelled()},
        )


def _stuck_days_labelled():
    from cases.models import CaseStatus

    return [(CaseStatus(status).label, days) for status, days in quality.stuck_days().items()]


class DataQualityListView(_DataQuality):
    page_size = 25

    def get(self, request, slug):
        category = self.category(slug)
        page = Paginator(category.rows(request.user), self.page_size).get_page(request.GET.get("page"))
        partners = quality.partners_of(category, page.object_list)
        rows = [category.cells(row, partners) for row in page.object_list]
        actions = [category.action(row, partners) if category.action else None for row in page.object_list]
        # The records listed, by number (Person #12, Case OH-2026-000123): an audit row is never erased,
        # so it names nobody (the list's first column is a person's name on the people's lists).
        self.audit_viewed(
            request,
            f"Data quality: {category.title}",
            f"{category.title}, page {page.number}: "
            + (", ".join(audit_label(record) for record in page.object_list) or "none"),
        )
        return render(
            request,
            "reporting/quality_list.html",
            {
                "category": category,
                "page_obj": page,
                "rows": list(zip(rows, actions, strict=True)),
                "has_actions": category.action is not None,
                "stuck_days": _stuck_days_labelled() if slug == "stuck-cases" else None,
            },
        )


class DataQualityExportView(_DataQuality):
    def get(self, request, slug):
        category = self.category(slug)
        records = list(category.rows(request.user))
        partners = quality.partners_of(category, records)
        rows = [[text for text, _url in category.cells(row, partners)] for row in records]
        services.export_record(
            actor=request.user,
            what=f"Data quality: {category.title}",
            rows=len(rows),
            force_id=request.user.organisation_id,
            request=request,
        )
        today = timezone.localdate()
        return _csv_response(f"offenderhub-{slug}-{today:%Y%m%d}.csv", category.header, rows)

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from cases.models import Case as CaseRecord
from cases.services import CaseError
from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Organisation, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_label, audit_record
from offenderhub.core.forms import add_service_errors

from . import charts as charts_module
from . import disclosure, quality, selectors, services, summaries
from .exports import HEADER, LEVELS, case_extract_rows, csv_lines
from .filters import DashboardFilter
from .forms import CaseExtractForm, ExtractPermissionForm, FindingForm, ImportForm, SampleForm
from .models import ReoffendingImport, ScrutinySample
from .pseudonyms import sample_case_pseudonym
from .selectors import (
    FAIRNESS_DIMENSIONS,
    dashboard_figures_kept,
    fairness_groups,
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
        self.force = (
            summaries.with_freshness(Organisation.objects)
            .annotate(extract_permitted=selectors.extract_permitted_expression(request.user))
            .get(pk=self.force_id)
        )
        return facts

    def figures(self, request, facts, *, fairness=()):
        """``(figures, fairness tables, as_at)`` as they may be shown (reporting/disclosure.py): the
        figures kept or computed, protected on every request (pure Python on a few small tables)."""
        figures, tables, as_at = dashboard_figures_kept(
            facts,
            force=self.force,
            today=self.today,
            filters=sorted((k, v) for k, values in request.GET.lists() for v in values),
            fairness=fairness,
        )
        shown = disclosure.protect(figures)
        if shown["withheld"]:
            return shown, {}, as_at
        ethnic_groups = [group for group, _ in self.filterset.filters["ethnicity"].extra["choices"]]
        shown_tables = {
            key: disclosure.protect_fairness(table, groups=fairness_groups(key, ethnic_groups=ethnic_groups))
            for key, table in tables.items()
        }
        return shown, shown_tables, as_at


class DashboardView(_Dashboard):
    def get(self, request):
        facts = self.summary_scope(request)
        figures, fairness, as_at = self.figures(request, facts, fairness=tuple(FAIRNESS_DIMENSIONS))
        query = urlencode({k: v for k, v in request.GET.items() if v})
        charts = {
            slug: {"svg": mark_safe(charts_module.to_svg(chart)), "title": chart.title}  # noqa: S308 (escaped in to_svg)
            for slug, chart in charts_module.dashboard_charts(figures).items()
        }
        return render(
            request,
            "reporting/dashboard.html",
            {
                "filter": self.filterset,
                "force": self.force,
                "figures_as_at": as_at,
                "f": figures,
                "fairness": fairness,
                "charts": charts,
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
        "compliance",
        "reoffending",
        "funnel",
        "fairness_ethnicity",
        "fairness_sex",
        "fairness_age_band",
    ]

    HEADERS = {
        "status": ["status", "cases"],
        "outcomes": ["measure", "value"],
        "needs": [
            "pathway",
            "in need (medium or high)",
            "high",
            "rate %",
            "pairs assessed twice",
            "average change",
        ],
        "partners": [
            "agency",
            "sent",
            "accepted",
            "declined",
            "completed",
            "not completed",
            "completion rate %",
            "days to accept",
            "days to first contact",
        ],
        "trends": ["month", "cases opened", "cautions given"],
        "compliance": ["month of caution", "cautioned", "finished", "completed", "compliance rate %"],
        "reoffending": ["month of caution", "followed up", "reoffended", "proven reoffending rate %"],
        "funnel": ["step", "cases"],
        "fairness": [
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
        ],
    }

    def get(self, request, table):
        if table not in self.TABLES:
            raise Http404
        dimension = table.removeprefix("fairness_") if table.startswith("fairness_") else None
        facts = self.summary_scope(request)
        # The figures the page shows (kept under the same key): each download matches the page.
        f, fair, _ = self.figures(request, facts, fairness=tuple(FAIRNESS_DIMENSIONS))
        header = self.HEADERS["fairness" if dimension else table]
        if f["withheld"]:
            rows = [
                [
                    f"Figures withheld: fewer than {f['min_cohort']} cases match these filters, "
                    "so none is shown, to protect the people in them"
                ]
            ]
        elif dimension:
            rows = _fairness_rows(fair[dimension])
        else:
            rows = getattr(self, f"_{table}_rows")(f)
        services.export_record(
            actor=request.user,
            what=f"Dashboard table: {table}",
            rows=len(rows),
            force_id=self.force_id,
            request=request,
        )
        return _csv_response(f"offenderhub-{table}-{self.today:%Y%m%d}.csv", header, rows)

    @staticmethod
    def _status_rows(f):
        return f["by_status"]

    @staticmethod
    def _outcomes_rows(f):
        r, c = f["reoffending"], f["cost"]
        return [
            ("cases", f["total"]),
            ("cautions given", f["cautions"]),
            ("diverted from prosecution", f["diverted"]),
            ("breached", f["breached"]),
            ("compliance rate %", f["compliance_rate"]),
            ("breach rate %", f["breach_rate"]),
            ("proven reoffending cohort", r["cohort"]),
            ("reoffenders", r["reoffenders"]),
            ("proven reoffending rate %", r["rate"]),
            ("reoffences", r["reoffences"]),
            ("reoffences per reoffender", r["frequency"]),
            ("still maturing", r["maturing"]),
            ("people tracked for cost", c["people"]),
            ("offences in the 12 months before", c["before_offences"]),
            ("offences in the 12 months after", c["after_offences"]),
            ("cost of crime before (£, nearest 1,000)", c["before"]),
            ("cost of crime after (£, nearest 1,000)", c["after"]),
            ("offences without a unit cost", c["unpriced"]),
            ("days offence to decision", f["offence_to_decision_days"]),
            ("days decision to caution", f["decision_to_caution_days"]),
            ("days referral to first contact", f["referral_to_contact_days"]),
        ]

    @staticmethod
    def _needs_rows(f):
        return [
            (n["pathway"], n["in_need"], n["high"], n["rate"], n["pairs"], n["change"]) for n in f["needs"]
        ]

    @staticmethod
    def _partners_rows(f):
        rows = []
        for p in f["partners"]:
            if p["withheld"]:
                rows.append((p["organisation__name"], disclosure.WITHHELD_GROUP, *[""] * 7))
                continue
            rows.append(
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
            )
        return rows

    @staticmethod
    def _trends_rows(f):
        return [(f"{t['month']:%Y-%m}", t["opened"], t["cautioned"]) for t in f["trends"]]

    @staticmethod
    def _compliance_rows(f):
        return [
            (f"{m['month']:%Y-%m}", m["cautioned"], m["finished"], m["completed"], _or_blank(m["rate"]))
            for m in f["compliance_trend"]
        ]

    @staticmethod
    def _reoffending_rows(f):
        return [
            (f"{m['month']:%Y-%m}", m["cohort"], m["reoffenders"], _or_blank(m["rate"]))
            for m in f["reoffending_trend"]
        ]

    @staticmethod
    def _funnel_rows(f):
        return f["funnel"]


def _or_blank(value):
    return "" if value is None else value


class DashboardChartView(_Dashboard):
    """A chart of the dashboard as a file (SVG or PNG), drawn from the figures the page shows with the
    same filters; recorded as an export like the tables' CSV."""

    TYPES = {"svg": "image/svg+xml", "png": "image/png"}

    def get(self, request, chart, kind):
        if kind not in self.TYPES:
            raise Http404
        facts = self.summary_scope(request)
        figures, _, _ = self.figures(request, facts)
        drawn = charts_module.dashboard_charts(figures).get(chart)
        if drawn is None:  # no such chart, or the figures are withheld for these filters
            raise Http404("No such chart for these filters.")
        body = (
            charts_module.to_svg(drawn, standalone=True).encode()
            if kind == "svg"
            else charts_module.to_png(drawn)
        )
        services.export_record(
            actor=request.user,
            what=f"Dashboard chart: {chart} ({kind.upper()})",
            rows=drawn.figures,
            force_id=self.force_id,
            request=request,
        )
        response = HttpResponse(body, content_type=self.TYPES[kind])
        response["Content-Disposition"] = (
            f'attachment; filename="offenderhub-{chart}-{self.today:%Y%m%d}.{kind}"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


def _fairness_rows(table):
    rows = []
    for r in table["rows"]:
        if r["withheld"]:
            rows.append((r["name"], disclosure.WITHHELD_GROUP, *[""] * 9))
            continue
        rows.append(
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
        )
    return rows


class CaseExtractView(_Reporting):
    """The pseudonymised case extract: a disclosure of its own (issue 15, part 5). Only an analyst or
    supervisor an administrator has given the permission to (403 otherwise), for their force; the
    purpose and the recipient are recorded each time (``services.case_extract_record``, audited as a
    disclosure) before the first row leaves. The rows are k-anonymous (reporting/exports.py).

    Streamed: a full extract of a large force is never held in memory. The cases are those counted
    when the disclosure was recorded (none opened since is added); the rows sent and withheld are
    noted on the record when the last row has gone."""

    template_name = "reporting/extract.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_role(*READERS):
            self.force_id = reporting_force_id_for(request.user)
            if self.force_id is None:
                raise Http404("No force to report on.")
            if not selectors.extract_permitted(request.user):
                raise PermissionDenied(
                    "You do not have permission to download the pseudonymised case extract."
                )
        return super().dispatch(request, *args, **kwargs)

    def cases(self, opened_in=None):
        cases = CaseRecord.objects.filter(force_id=self.force_id)
        if opened_in is not None:
            cases = cases.filter(created_at__year=opened_in)
        return cases

    def years(self):
        first = self.cases().aggregate(first=Min("created_at"))["first"]
        today = timezone.localdate()
        start = timezone.localtime(first).year if first else today.year
        return list(range(today.year, start - 1, -1))

    def render_form(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "extracts": selectors.case_extracts_of(request.user),
                "min_cohort": disclosure.min_cohort(),
                "levels": LEVELS,
            },
            status=status,
        )

    def get(self, request):
        return self.render_form(request, CaseExtractForm(years=self.years()))

    def post(self, request):
        form = CaseExtractForm(request.POST, years=self.years())
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        opened_in = form.cleaned_data["opened_in"]
        counted = self.cases(opened_in).aggregate(rows=Count("pk"), last=Max("pk"))
        k = disclosure.min_cohort()
        try:
            extract = services.case_extract_record(
                actor=request.user,
                force_id=self.force_id,
                purpose=form.cleaned_data["purpose"],
                recipient=form.cleaned_data["recipient"],
                opened_in=opened_in,
                cases_considered=counted["rows"],
                min_cohort=k,
                request=request,
            )
        except (ValidationError, CaseError) as exc:
            add_service_errors(form, exc)
            return self.render_form(request, form, status=400)
        cases = self.cases(opened_in).filter(pk__lte=counted["last"] or 0)
        response = StreamingHttpResponse(
            _extract_lines(extract.pk, cases, k), content_type="text/csv; charset=utf-8"
        )
        filename = f"offenderhub-case-extract-{extract.pk}-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


def _extract_lines(extract_id, cases, k):
    """The extract's CSV, then, once its last row has gone, the rows sent and withheld noted on the
    disclosure's record."""
    tally = {}
    yield from csv_lines(HEADER, case_extract_rows(cases, k=k, tally=tally))
    services.case_extract_finished(
        extract_id=extract_id, rows_sent=tally["sent"], rows_withheld=tally["withheld"]
    )


class ExtractPermissionListView(RoleRequiredMixin, View):
    """Administrators: who in their organisation may download the pseudonymised case extract."""

    required_roles = frozenset({Role.ADMINISTRATOR})

    def get(self, request):
        return render(
            request,
            "reporting/extract_permissions.html",
            {"people": list(selectors.extract_people_for(request.user))},
        )


class ExtractPermissionView(RoleRequiredMixin, View):
    """One person's permission: its history, and the form to grant it (with the authority) or the
    button to revoke it. Someone outside the administrator's organisation, or who does not read the
    reports, is a 404."""

    required_roles = frozenset({Role.ADMINISTRATOR})

    def render_person(self, request, person, form=None, status=200):
        return render(
            request,
            "reporting/extract_permission.html",
            {
                "person": person,
                "history": list(selectors.extract_permissions_of(person)),
                "form": form or ExtractPermissionForm(),
                "own": person.pk == request.user.pk and not request.user.is_superuser,
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_person(request, selectors.extract_person_get_for(request.user, pk))


class ExtractPermissionGrantView(ExtractPermissionView):
    def get(self, request, pk):
        return redirect("reporting:extract_permission", pk=pk)

    def post(self, request, pk):
        person = selectors.extract_person_get_for(request.user, pk)
        form = ExtractPermissionForm(request.POST)
        if form.is_valid():
            try:
                granted = services.extract_permission_grant(
                    actor=request.user,
                    user_id=person.pk,
                    authority=form.cleaned_data["authority"],
                    request=request,
                )
            except (ValidationError, CaseError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{person.full_name} may now download the pseudonymised case extract."
                    if granted
                    else f"{person.full_name} already had the permission: nothing changed.",
                )
                return redirect("reporting:extract_permission", pk=person.pk)
        return self.render_person(request, person, form, status=400)


class ExtractPermissionRevokeView(ExtractPermissionView):
    def get(self, request, pk):
        return redirect("reporting:extract_permission", pk=pk)

    def post(self, request, pk):
        person = selectors.extract_person_get_for(request.user, pk)
        try:
            revoked = services.extract_permission_revoke(
                actor=request.user, user_id=person.pk, request=request
            )
        except CaseError as exc:
            messages.error(request, str(exc))
            return self.render_person(request, person, status=400)
        messages.success(
            request,
            f"{person.full_name} may no longer download the pseudonymised case extract."
            if revoked
            else f"{person.full_name} did not have the permission: nothing changed.",
        )
        return redirect("reporting:extract_permission", pk=person.pk)


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
            item.pseudonym = sample_case_pseudonym(sample.pk, case.pk)
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

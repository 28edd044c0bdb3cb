"""The administrator's caseload import: upload a file, read the dry run's report (the rows to correct,
or what would be added and who may already be recorded), confirm, and watch the import's progress.

A police force's administrators only (``imports.selectors``): another force's import is a 404, anyone
else a 403. Each view makes one service call; a refusal is shown on the page with a 4xx."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from . import services
from .checking import problem_text
from .columns import COLUMNS
from .forms import UploadForm
from .models import ImportStatus
from .selectors import caseload_import_get_for, caseload_import_list_for

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "caseload.csv"
HISTORY = 20  # imports listed on the page
SHOWN = 200  # problems, warnings and likely matches listed on a report (all are counted)


class _Administrators(RoleRequiredMixin, View):
    required_roles = frozenset({Role.ADMINISTRATOR})


class ImportListView(_Administrators):
    template_name = "imports/list.html"

    def render(self, form, status=200):
        imports = list(caseload_import_list_for(self.request.user)[:HISTORY])
        context = {
            "form": form,
            "imports": imports,
            "columns": COLUMNS,
            "max_mb": settings.CASELOAD_IMPORT_MAX_BYTES // (1024 * 1024),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render(UploadForm())

    def post(self, request):
        caseload_import_list_for(request.user)  # 403 for an administrator of no police force
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form, status=400)
        batch = services.caseload_upload(actor=request.user, upload=form.cleaned_data["file"])
        if batch.status == ImportStatus.REFUSED:  # a small file, checked at once: its rows to correct
            return ImportDetailView.render_report(request, batch, status=400)
        return redirect("imports:detail", pk=batch.pk)


class ImportDetailView(_Administrators):
    def get(self, request, pk):
        return self.render_report(request, caseload_import_get_for(request.user, pk))

    @staticmethod
    def render_report(request, batch, status=200):
        audit_record(
            actor=request.user,
            action=AuditAction.VIEWED,
            obj=batch,
            request=request,
            reason="Caseload import's report viewed",
        )
        report = batch.report or {}
        word = report.get("line_word", "Line")
        context = {
            "batch": batch,
            "report": report,
            "counts": report.get("counts", {}),
            "errors": [
                {**item, "text": problem_text(word, item)} for item in report.get("errors", [])[:SHOWN]
            ],
            "warnings": [
                {**item, "text": problem_text(word, item)} for item in report.get("warnings", [])[:SHOWN]
            ],
            "likely": report.get("likely_matches", [])[:SHOWN],
            "line_word": word,
            "shown": SHOWN,
            "statuses": _by_status(report.get("counts", {}).get("by_status", {})),
        }
        return render(request, "imports/detail.html", context, status=status)


def _by_status(counts):
    from cases.models import CaseStatus

    return [(CaseStatus(code).label, counts[code]) for code in CaseStatus.values if counts.get(code)]


class ImportProgressView(_Administrators):
    """The import's progress, for the page's script to show while a job works (numbers only)."""

    def get(self, request, pk):
        batch = caseload_import_get_for(request.user, pk)
        return JsonResponse(
            {
                "status": batch.status,
                "working": batch.is_working,
                "phase": batch.phase or batch.get_status_display(),
                "done": batch.rows_done,
                "total": batch.rows_total,
                "percent": batch.percent_done,
            },
            headers={"Cache-Control": "private, no-store"},
        )


class _Action(_Administrators):
    """A POST-only button: one service call, then back to the import's page with a message."""

    def perform(self, batch):
        raise NotImplementedError

    def post(self, request, pk):
        batch = caseload_import_get_for(request.user, pk)
        try:
            message = self.perform(batch)
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
            return redirect("imports:detail", pk=batch.pk)
        except PermissionDenied:
            raise
        if message:
            messages.success(request, message)
        return redirect("imports:detail", pk=batch.pk)


class ImportConfirmView(_Action):
    def perform(self, batch):
        done = services.caseload_import_confirm(import_id=batch.pk, actor=self.request.user)
        done.refresh_from_db()
        if done.status == ImportStatus.IMPORTED:
            return f"Imported {done.cases_added:,} cases and {done.people_added:,} new people."
        return ""


class ImportDiscardView(_Action):
    def perform(self, batch):
        services.caseload_import_discard(import_id=batch.pk, actor=self.request.user)
        return "The import was discarded and its file deleted. Nothing was imported."


class ExampleFileView(_Administrators):
    """The documented example file (docs/examples/caseload.csv): every column the import understands."""

    def get(self, request):
        caseload_import_list_for(request.user)  # 403 for an administrator of no police force
        return FileResponse(EXAMPLE.open("rb"), as_attachment=True, filename="caseload-example.csv")


def detail_url(batch) -> str:
    return reverse("imports:detail", args=[batch.pk])

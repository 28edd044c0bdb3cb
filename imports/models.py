"""A caseload file brought in by a force's administrator: checked first (a dry run that saves nothing
but this record), then imported whole or not at all (issue 14, part 5)."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from offenderhub.accounts.models import Organisation, OrganisationKind


def private_storage():
    """Uploaded files are kept where no URL serves them (as the evidence uploads and the signed
    cautions are), and only until the import is done or discarded."""
    return storages["private"]


def upload_path(instance, filename):
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"imports/{timezone.now():%Y/%m}/caseload-{uuid.uuid4().hex}{suffix}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "Being checked"
    CHECKED = "checked", "Checked: ready to import"
    REFUSED = "refused", "Refused: rows to correct"
    IMPORTING = "importing", "Importing"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Failed: nothing imported"
    DISCARDED = "discarded", "Discarded"


# The states a job is still to finish: the page refreshes itself while the import is in one.
WORKING_STATUSES = frozenset({ImportStatus.CHECKING, ImportStatus.IMPORTING})


class CaseloadImport(models.Model):
    """One caseload file: who brought it in, its name and SHA-256, what the check found and what the
    import added. The file itself is deleted once the import is done, refused or discarded; an import
    run from the command line keeps no file at all. ``report`` holds the counts, the rows to correct,
    the warnings and the likely matches by line, case reference and person number, never by name. A
    row to correct quotes the value the file wrote (kept apart, as the problem's ``value``) only while
    the file may be corrected: the report forgets it when the import is discarded,
    ``CASELOAD_IMPORT_KEEP_DAYS`` after the upload (the minute sweep), and when any person of the force
    is erased (``services.caseload_reports_forget_values``)."""

    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
    )
    filename = models.CharField(max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    file = models.FileField(upload_to=upload_path, storage=private_storage, max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    # Progress of the job working on it, written outside the job's transaction so the page sees it.
    phase = models.CharField(max_length=60, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    # What it added (the report has the rest).
    cases_added = models.PositiveIntegerField(default=0)
    people_added = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    from_command = models.BooleanField(default=False, help_text="Run with manage.py import_caseload.")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["force", "-uploaded_at", "-id"], name="caseload_import_force_idx")]

    def __str__(self):
        return f"Caseload import #{self.pk}"

    def audit_label(self):
        return f"Caseload import #{self.pk}"  # never the uploaded file's name

    def audit_owner(self):
        return self.force

    @property
    def is_working(self) -> bool:
        return self.status in WORKING_STATUSES

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

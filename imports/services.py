"""Every write of a caseload import: the file uploaded, checked, confirmed, imported or discarded.

An import is all or nothing: the file is checked again and written in one transaction, one import of
a force at a time (an advisory lock on PostgreSQL), so two imports of overlapping files cannot both add
a case. The page's flow is upload (the file kept privately), check (a dry run: the report of what would
be added, or of the rows to correct; nothing else saved), confirm, import. Files up to
``CASELOAD_IMPORT_INLINE_BYTES`` are checked and imported while the page waits; larger ones by a job,
whose progress the page shows. The command (``manage.py import_caseload``) runs the same check and
import on a file it reads itself.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.utils import timezone

from offenderhub.accounts.models import OrganisationKind, Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record
from offenderhub.core.queueing import enqueue_on_commit

from .checking import Checker, Plan, report_forget_values
from .models import CaseloadImport, ImportStatus
from .reading import FileRefused, sheet_open
from .writing import Writer

logger = logging.getLogger(__name__)

ADVISORY_LOCK_CLASS = 14_005  # pg_advisory_xact_lock(class, force id): one import of a force at a time


class ImportRefused(Exception):
    """A request the import refuses. The message says what to do."""


def _check_actor(actor, force=None):
    """Administrators of a police force import into their own force."""
    organisation = getattr(actor, "organisation", None)
    if (
        not actor.has_role(Role.ADMINISTRATOR)
        or organisation is None
        or organisation.kind != OrganisationKind.POLICE_FORCE
        or (force is not None and organisation.pk != force.pk)
    ):
        raise PermissionDenied("Only a police force's administrators import its caseload.")


# --- Checking and importing ---------------------------------------------------------------------------


def caseload_check(*, force, actor, content: bytes, filename: str = "", progress=None, today=None) -> Plan:
    """What importing ``content`` (a CSV or Excel file) into ``force`` would do: a dry run. Saves
    nothing. The plan's report lists the rows to correct, if any."""
    _check_actor(actor, force)
    checker = Checker(force=force, actor=actor, today=today, progress=progress)
    try:
        sheet = sheet_open(content, filename)
    except FileRefused as exc:
        checker.error(None, None, str(exc))
        return checker.plan
    return checker.check(sheet)


@dataclass
class ImportResult:
    plan: Plan
    batch: CaseloadImport | None  # None when refused: nothing was saved


def _lock_force(force_id):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, force_id])


def _import(*, batch, actor, content, filename, progress) -> Plan:
    """Check and write, inside the caller's transaction. Returns the plan; writes nothing when the
    check finds rows to correct."""
    _lock_force(batch.force_id)
    began = time.monotonic()
    plan = caseload_check(
        force=batch.force, actor=actor, content=content, filename=filename, progress=progress
    )
    plan.timings["checking the file again"] = time.monotonic() - began
    if not plan.ok:
        return plan
    if batch.pk is None:
        if not plan.counts["cases"]:
            return plan  # every case held already: the command records nothing
        batch.save()
    writer = Writer(plan, batch=batch, actor=actor, progress=progress)
    written = writer.write()
    counts = plan.counts
    counts["written"] = {label: n for label, n in written.items() if n}
    now = timezone.now()
    batch.status = ImportStatus.IMPORTED
    batch.report = plan.report()
    batch.cases_added = counts["cases"]
    batch.people_added = counts["people_new"]
    batch.rows_total = batch.rows_done = counts["rows"]
    batch.phase = ""
    batch.checked_at = batch.checked_at or now
    batch.finished_at = now
    batch.save()
    began = time.monotonic()
    writer.finish_audit(
        f"Caseload imported: {counts['cases']} cases and {counts['people_new']} people added, "
        f"{counts['cases_held']} cases already held, {counts['people_existing']} people already recorded, "
        f"{counts['referrals']} referrals recorded"
    )
    plan.timings.update(writer.timings, **{"audit rows": time.monotonic() - began})
    return plan


def caseload_import_file(
    *, force, actor, content: bytes, filename: str, progress=None, from_command=True
) -> ImportResult:
    """Import a file read by the command (or the demo): check, and if every row is right, write it all in
    one transaction with its ``CaseloadImport`` record. Nothing is saved when a row is wrong, and no
    record is kept when every case is held already."""
    _check_actor(actor, force)
    batch = CaseloadImport(
        force=force,
        filename=filename[-200:],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        status=ImportStatus.IMPORTING,
        uploaded_by=actor,
        confirmed_by=actor,
        started_at=timezone.now(),
        from_command=from_command,
    )
    with transaction.atomic():
        plan = _import(batch=batch, actor=actor, content=content, filename=filename, progress=progress)
        began = time.monotonic()
    plan.timings["committing (the foreign keys checked)"] = time.monotonic() - began
    return ImportResult(plan, batch if batch.pk else None)


# --- The administrator's page ---------------------------------------------------------------------------


def caseload_upload(*, actor, upload) -> CaseloadImport:
    """Keep an uploaded file to be checked, and check it: now for a small file (the import returned is
    checked or refused), else by a job (the import returned is being checked)."""
    _check_actor(actor)
    content = upload.read()
    name = (getattr(upload, "name", "") or "caseload.csv")[-200:]
    with transaction.atomic():
        batch = CaseloadImport(
            force=actor.organisation,
            filename=name,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            status=ImportStatus.CHECKING,
            uploaded_by=actor,
        )
        from django.core.files.base import ContentFile

        batch.file.save(name, ContentFile(content), save=False)
        try:
            batch.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATED,
                obj=batch,
                owner_organisation=actor.organisation,
                changes={"sha256": ["", batch.sha256]},
                reason="Caseload file uploaded to be checked",
            )
        except BaseException:
            batch.file.delete(save=False)
            raise
        if not _inline(batch):
            _queue(batch, "check")
    if _inline(batch):
        caseload_import_check(import_id=batch.pk)
        batch.refresh_from_db()
    return batch


def _inline(batch) -> bool:
    return batch.size <= settings.CASELOAD_IMPORT_INLINE_BYTES


def _queue(batch, step):
    """A large file's ``step`` ("check" or "run") goes to a job once the transaction commits."""
    from . import tasks

    task = tasks.caseload_import_check_task if step == "check" else tasks.caseload_import_run_task
    enqueue_on_commit(task, batch.pk)


class Progress:
    """Records a job's progress on its import's row, where the page reads it: at most once a second.
    Inside the import's transaction it writes through a connection of its own (PostgreSQL), so the page
    sees it before the import commits; on SQLite, where the import holds the database's write lock, it
    waits for the end."""

    def __init__(self, import_id):
        self.import_id = import_id
        self.last = 0.0
        self.own = None

    def __call__(self, phase, done, total):
        now = time.monotonic()
        if now - self.last < 1.0 and done < total:
            return
        self.last = now
        values = [phase[:60], min(done, total), total, self.import_id]
        sql = "UPDATE imports_caseloadimport SET phase = %s, rows_done = %s, rows_total = %s WHERE id = %s"
        try:
            if not connection.in_atomic_block:
                with connection.cursor() as cursor:
                    cursor.execute(sql, values)
            elif connection.vendor == "postgresql":
                if self.own is None:
                    self.own = connections.create_connection("default")
                    with self.own.cursor() as cursor:
                        cursor.execute("SET lock_timeout = '2s'")
                with self.own.cursor() as cursor:
                    cursor.execute(sql, values)
        except Exception as exc:  # progress is a courtesy: it never stops an import
            logger.warning("Progress of caseload import %s not recorded: %s", self.import_id, exc)

    def close(self):
        if self.own is not None:
            self.own.close()
            self.own = None


def _claim(import_id, *, status, **changes) -> bool:
    """Take the import for this job: only one job ever works on it (a job queued twice, or by the sweep
    beside the job, finds it taken)."""
    return bool(
        CaseloadImport.objects.filter(pk=import_id, status=status, started_at=None).update(
            started_at=timezone.now(), **changes
        )
    )


def caseload_import_check(*, import_id) -> CaseloadImport | None:
    """The dry run of an uploaded file: its report saved on the import, nothing else. A file with rows
    to correct is refused and deleted. Returns None if another job has it."""
    if not _claim(import_id, status=ImportStatus.CHECKING, phase="Reading the file"):
        return None
    batch = CaseloadImport.objects.select_related("force", "uploaded_by").get(pk=import_id)
    progress = Progress(import_id)
    try:
        content = _read(batch)
        plan = caseload_check(
            force=batch.force,
            actor=batch.uploaded_by,
            content=content,
            filename=batch.filename,
            progress=progress,
        )
    except Exception:
        logger.exception("Caseload import %s: the check failed", import_id)
        _fail(import_id, "The check stopped with an error: nothing was imported. Try again, or ask for help.")
        raise
    batch.report = plan.report()
    batch.status = ImportStatus.CHECKED if plan.ok else ImportStatus.REFUSED
    batch.rows_total = batch.rows_done = plan.counts.get("rows", 0)
    batch.phase, batch.started_at, batch.checked_at = "", None, timezone.now()
    # Only if it is still being checked: an erasure may have discarded it meanwhile (its file named the
    # person: imports.people), and its report must not come back with the file's values.
    saved = CaseloadImport.objects.filter(pk=batch.pk, status=ImportStatus.CHECKING).update(
        report=batch.report,
        status=batch.status,
        rows_total=batch.rows_total,
        rows_done=batch.rows_done,
        phase="",
        started_at=None,
        checked_at=batch.checked_at,
    )
    if not saved:
        batch.refresh_from_db()
        return batch
    if not plan.ok:
        _delete_file(batch)
    return batch


def caseload_import_confirm(*, import_id, actor) -> CaseloadImport:
    """The administrator confirms a checked import: it is imported now for a small file, else by a job.
    Confirming one already confirmed does nothing."""
    _check_actor(actor)
    with transaction.atomic():
        batch = _lock(import_id, actor)
        if batch.status in (ImportStatus.IMPORTING, ImportStatus.IMPORTED):
            return batch
        if batch.status != ImportStatus.CHECKED:
            raise ImportRefused(
                f"An import that is “{batch.get_status_display().lower()}” cannot be started."
            )
        batch.status, batch.confirmed_by = ImportStatus.IMPORTING, actor
        batch.phase, batch.rows_done = "Waiting to start", 0
        batch.save(update_fields=["status", "confirmed_by", "phase", "rows_done"])
        if not _inline(batch):
            _queue(batch, "run")
    if _inline(batch):
        caseload_import_run(import_id=batch.pk)
        batch.refresh_from_db()
    return batch


def caseload_import_run(*, import_id) -> CaseloadImport | None:
    """Import a confirmed file: checked again and written in one transaction, or nothing. Returns None
    if another job has it."""
    if not _claim(import_id, status=ImportStatus.IMPORTING, phase="Reading the file"):
        return None
    batch = CaseloadImport.objects.select_related("force", "confirmed_by").get(pk=import_id)
    progress = Progress(import_id)
    try:
        content = _read(batch)
        with transaction.atomic():
            plan = _import(
                batch=batch,
                actor=batch.confirmed_by,
                content=content,
                filename=batch.filename,
                progress=progress,
            )
    except Exception:
        logger.exception("Caseload import %s failed", import_id)
        _fail(
            import_id, "The import stopped with an error: nothing was imported. Try again, or ask for help."
        )
        raise
    finally:
        progress.close()
    if not plan.ok:  # the force's records changed since the check
        _fail(
            import_id, "Checked again before importing, some rows are now wrong: nothing was imported.", plan
        )
    _delete_file(CaseloadImport.objects.get(pk=import_id))
    return CaseloadImport.objects.get(pk=import_id)


def caseload_import_discard(*, import_id, actor) -> CaseloadImport:
    """Discard an import not started: its file is deleted. Discarding one discarded does nothing."""
    _check_actor(actor)
    with transaction.atomic():
        batch = _lock(import_id, actor)
        if batch.status == ImportStatus.DISCARDED:
            return batch
        if batch.status not in (ImportStatus.CHECKED, ImportStatus.REFUSED, ImportStatus.FAILED):
            raise ImportRefused(
                f"An import that is “{batch.get_status_display().lower()}” cannot be discarded."
            )
        batch.status, batch.finished_at = ImportStatus.DISCARDED, timezone.now()
        batch.report = report_forget_values(batch.report or {})  # nobody will correct the file now
        batch.save(update_fields=["status", "finished_at", "report"])
        transaction.on_commit(lambda: _delete_file(batch))
    return batch


def _lock(import_id, actor) -> CaseloadImport:
    batch = (
        CaseloadImport.objects.select_for_update()
        .filter(pk=import_id, force_id=actor.organisation_id)
        .first()
    )
    if batch is None:
        raise ImportRefused("That import does not exist.")
    return batch


def _read(batch) -> bytes:
    if not batch.file:
        raise FileNotFoundError(f"Caseload import {batch.pk} has no file.")
    with batch.file.open("rb") as file:
        return file.read()


def _fail(import_id, message, plan=None):
    report = plan.report() if plan is not None else {}
    report.setdefault("errors", [])
    report["failure"] = message
    CaseloadImport.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED, phase="", report=report, finished_at=timezone.now()
    )
    _delete_file(CaseloadImport.objects.get(pk=import_id))


def _delete_file(batch):
    if batch.file:
        batch.file.delete(save=False)
        CaseloadImport.objects.filter(pk=batch.pk).update(file="")


# --- The sweep ------------------------------------------------------------------------------------------


def caseload_imports_sweep(*, now=None) -> dict:
    """Every minute: start the jobs that were never queued (the broker was down when the file was
    uploaded or the import confirmed); fail an import whose job stopped without finishing (its
    transaction was rolled back: nothing was saved); discard a checked import left unconfirmed for
    ``CASELOAD_IMPORT_KEEP_DAYS``, deleting its file; and make the reports of imports uploaded longer
    ago than that forget the values the file wrote (``caseload_reports_forget_values``)."""
    from datetime import timedelta

    from offenderhub.core.queueing import enqueue

    from . import tasks

    now = now or timezone.now()
    waiting = CaseloadImport.objects.filter(
        status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING],
        started_at=None,
        uploaded_at__lt=now - timedelta(minutes=1),
        size__gt=settings.CASELOAD_IMPORT_INLINE_BYTES,
    ).values_list("pk", "status")
    queued = 0
    for pk, status in waiting:
        task = (
            tasks.caseload_import_check_task
            if status == ImportStatus.CHECKING
            else tasks.caseload_import_run_task
        )
        queued += enqueue(task, pk)
    limit = now - timedelta(seconds=tasks.TIME_LIMIT + 60)
    stopped = list(
        CaseloadImport.objects.filter(
            status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING], started_at__lt=limit
        ).values_list("pk", flat=True)
    )
    for pk in stopped:
        _fail(pk, "The job stopped before it finished: nothing was imported. Upload the file again.")
    expired = list(
        CaseloadImport.objects.filter(
            status=ImportStatus.CHECKED,
            checked_at__lt=now - timedelta(days=settings.CASELOAD_IMPORT_KEEP_DAYS),
        )
    )
    for batch in expired:
        if CaseloadImport.objects.filter(pk=batch.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.DISCARDED, finished_at=now
        ):
            _delete_file(batch)
    forgotten = caseload_reports_forget_values(
        CaseloadImport.objects.filter(
            uploaded_at__lt=now - timedelta(days=settings.CASELOAD_IMPORT_KEEP_DAYS)
        ).exclude(status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING])
    )
    return {
        "queued": queued,
        "failed": len(stopped),
        "discarded": len(expired),
        "values_forgotten": forgotten,
    }


def caseload_reports_forget_values(imports) -> int:
    """Make the reports of ``imports`` (a queryset) forget the values the file wrote: each problem
    keeps its line, column and what was wrong. Reports quote a row's values (``'31/02/1990' is not a
    real date``, a PNC ID or an alias that cannot be read) so that the administrator can find and
    correct them; once the file cannot be corrected any more (discarded), or after
    ``CASELOAD_IMPORT_KEEP_DAYS``, or when a person of the force is erased (``imports.people``), they
    are personal data kept past need, possibly of someone whose record has since been erased. Returns
    how many reports forgot values."""
    forgotten = 0
    with transaction.atomic():
        for batch in (
            imports.filter(report__values_kept=True).select_for_update().order_by("pk").only("pk", "report")
        ):
            CaseloadImport.objects.filter(pk=batch.pk).update(report=report_forget_values(batch.report))
            forgotten += 1
    return forgotten

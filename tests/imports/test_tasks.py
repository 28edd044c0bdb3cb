"""The caseload import's jobs: the check and the import of a large file, each claimed so that it runs
once; the sweep that starts a job never queued, fails one that stopped and discards an import left
unconfirmed; and a worker fed by Redis doing it all."""

import time
from datetime import timedelta

import pytest
from broker_support import celery_configured
from django.core.files.base import ContentFile
from django.utils import timezone
from import_support import example_bytes

from cases.models import Case
from imports import tasks
from imports.models import CaseloadImport, ImportStatus


def _uploaded(admin, *, status=ImportStatus.CHECKING, **values) -> CaseloadImport:
    batch = CaseloadImport(
        force=admin.organisation,
        filename="caseload.csv",
        sha256="0" * 64,
        size=len(example_bytes()),
        status=status,
        uploaded_by=admin,
        **values,
    )
    batch.file.save("caseload.csv", ContentFile(example_bytes()), save=False)
    batch.save()
    return batch


def test_the_check_job_keeps_the_report_and_running_it_again_does_nothing(admin):
    batch = _uploaded(admin)

    tasks.caseload_import_check_task.apply(args=[batch.pk]).get()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED and batch.report["counts"]["cases"] == 12
    assert batch.started_at is None and batch.checked_at is not None and batch.file
    checked_at = batch.checked_at
    tasks.caseload_import_check_task.apply(args=[batch.pk]).get()  # queued twice: claimed once
    batch.refresh_from_db()
    assert batch.checked_at == checked_at


def test_an_import_discarded_while_its_check_runs_stays_discarded_without_the_files_values(
    admin, monkeypatch
):
    """An erasure discards a file being checked that names the person (imports.people): the check job,
    finishing after it, no longer writes its report and status over the discarded import."""
    from imports import services

    batch = _uploaded(admin)
    check = services.caseload_check

    def check_then_discarded(**kwargs):
        plan = check(**kwargs)
        CaseloadImport.objects.filter(pk=batch.pk).update(status=ImportStatus.DISCARDED, file="")
        plan.errors.append({"line": 2, "column": "pnc_id", "message": "is not a PNC ID", "value": "19/1Z"})
        plan.errors_total += 1
        return plan

    monkeypatch.setattr(services, "caseload_check", check_then_discarded)
    tasks.caseload_import_check_task.apply(args=[batch.pk]).get()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.DISCARDED and "19/1Z" not in str(batch.report)


def test_the_import_job_imports_the_confirmed_file_once(admin):
    batch = _uploaded(admin)
    tasks.caseload_import_check_task.apply(args=[batch.pk]).get()
    CaseloadImport.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTING, confirmed_by=admin)

    tasks.caseload_import_run_task.apply(args=[batch.pk]).get()
    tasks.caseload_import_run_task.apply(args=[batch.pk]).get()

    batch.refresh_from_db()
    assert (batch.status, batch.cases_added, bool(batch.file)) == (ImportStatus.IMPORTED, 12, False)
    assert Case.objects.count() == 12


def test_an_import_that_fails_saves_nothing_and_says_so(admin, monkeypatch):
    batch = _uploaded(admin)
    tasks.caseload_import_check_task.apply(args=[batch.pk]).get()
    CaseloadImport.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTING, confirmed_by=admin)

    def broken(self):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("imports.writing.Writer.finish_audit", lambda self, summary: broken(self))
    with pytest.raises(RuntimeError):
        tasks.caseload_import_run_task.apply(args=[batch.pk]).get()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and "nothing was imported" in batch.report["failure"]
    assert not Case.objects.exists()


def test_the_sweep_starts_a_job_never_queued_fails_one_that_stopped_and_discards_one_left(admin, settings):
    settings.CASELOAD_IMPORT_INLINE_BYTES = 100
    long_ago = timezone.now() - timedelta(days=10)
    never_queued = _uploaded(admin, uploaded_at=long_ago)
    stopped = _uploaded(admin, status=ImportStatus.IMPORTING, started_at=long_ago)
    left = _uploaded(admin, status=ImportStatus.CHECKED, checked_at=long_ago)
    left_file = left.file.name

    with celery_configured(task_always_eager=True):
        counts = tasks.caseload_imports_sweep.apply().get()

    assert counts == {"queued": 1, "failed": 1, "discarded": 1, "values_forgotten": 0}
    statuses = dict(CaseloadImport.objects.values_list("pk", "status"))
    assert statuses == {
        never_queued.pk: ImportStatus.CHECKED,
        stopped.pk: ImportStatus.FAILED,
        left.pk: ImportStatus.DISCARDED,
    }
    assert not left.file.storage.exists(left_file)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_fed_by_redis_checks_and_imports_a_large_file(redis_worker, client_for, world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from offenderhub.accounts.models import User

    settings.CASELOAD_IMPORT_INLINE_BYTES = 100
    admin = User.objects.get(email="admin@fenshire-police.example")
    client = client_for(admin)
    client.post("/imports/", {"file": SimpleUploadedFile("caseload.csv", example_bytes())})
    batch = CaseloadImport.objects.get()

    def reaches(status):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.status == status:
                return True
            time.sleep(0.2)
        return False

    assert reaches(ImportStatus.CHECKED)
    client.post(f"/imports/{batch.pk}/confirm/")
    assert reaches(ImportStatus.IMPORTED)
    assert Case.objects.count() == 12

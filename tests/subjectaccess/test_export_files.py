"""The export's files: written whole (built in partial files, moved into place in the transaction that
saves them), nothing left behind when the job fails, and the daily job ``subject_access_files`` deleting
what a killed job left and the exports of requests closed longer ago than
``SUBJECT_ACCESS_EXPORT_KEEP_DAYS``."""

import os
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone
from factories import PersonFactory

from offenderhub.core.jobs import job_run
from subjectaccess import services
from subjectaccess.files import PARTIAL, stored_files
from subjectaccess.jobs import subject_access_files_sweep
from subjectaccess.models import ReleaseMethod, RequesterKind, SubjectAccessRequest
from subjectaccess.services import (
    SubjectAccessError,
    subject_access_download,
    subject_access_export_produce,
    subject_access_export_request,
    subject_access_release,
    subject_access_request_create,
    subject_access_withdraw,
)

pytestmark = pytest.mark.django_db

NOTHING = {"subject_access_exports_expired": 0, "subject_access_orphan_files_removed": 0}


@pytest.fixture(autouse=True)
def _empty_folder():
    """The suite's storage is shared by the tests of one process: start each with no export files."""
    storage = storages["private"]
    for name in list(stored_files(storage)):
        storage.delete(name)


@pytest.fixture
def person(force):
    return PersonFactory(force=force, given_names="Imogen", family_name="Thackeray")


def _request(person, supervisor):
    return subject_access_request_create(
        actor=supervisor,
        person=person,
        received_on=date(2027, 6, 10),
        requester_kind=RequesterKind.DATA_SUBJECT,
        received_from="Imogen Thackeray, by letter",
    )


def _produced(person, supervisor):
    sar = _request(person, supervisor)
    subject_access_export_request(request_id=sar.pk, actor=supervisor)
    assert subject_access_export_produce(request_id=sar.pk)
    sar.refresh_from_db()
    return sar


def _files():
    return set(stored_files(storages["private"]))


def _exports(*requests):
    return {name for sar in requests for name in (sar.export_pdf.name, sar.export_archive.name)}


# --- Writing ------------------------------------------------------------------------------------------


def test_the_files_are_built_aside_and_moved_into_place_whole(person, supervisor, monkeypatch):
    moves = []
    rename = os.rename

    def recorded(source, target):
        moves.append((source, target))
        return rename(source, target)

    monkeypatch.setattr(os, "rename", recorded)
    sar = _produced(person, supervisor)

    storage = storages["private"]
    partial = storage.path(PARTIAL)
    assert [(os.path.dirname(source), target) for source, target in moves] == [
        (partial, storage.path(sar.export_pdf.name)),
        (partial, storage.path(sar.export_archive.name)),
    ]
    assert _files() == _exports(sar)  # no partial file left
    assert subject_access_download(sar=sar, kind="pdf", actor=supervisor).read(5) == b"%PDF-"


def test_a_job_that_fails_while_writing_leaves_no_file(person, supervisor, monkeypatch):
    sar = _request(person, supervisor)
    subject_access_export_request(request_id=sar.pk, actor=supervisor)

    def half_written(export, spool):
        spool.write(b"PK\x03\x04 half an archive")
        raise MemoryError("The worker ran out of memory")

    monkeypatch.setattr(services, "subject_access_archive", half_written)
    with pytest.raises(MemoryError):
        subject_access_export_produce(request_id=sar.pk)

    assert _files() == set()
    sar.refresh_from_db()
    assert not sar.export_pdf and sar.export_produced_at is None


# --- The daily sweep: what a killed job left -----------------------------------------------------------


def _left_behind(sar):
    """What a job killed while producing ``sar``'s export again leaves: a partial file (killed while
    building), whole files moved into place whose transaction never committed, and (killed after the
    commit) the export it replaced."""
    storage = storages["private"]
    return {
        storage.save(f"{PARTIAL}/{sar.pk}-k1w2x3.zip", ContentFile(b"PK\x03\x04 half")),
        storage.save(f"subject-access/{sar.pk}/0a1b-response.pdf", ContentFile(b"%PDF- never saved")),
        storage.save(f"subject-access/{sar.pk}/2c3d-response.zip", ContentFile(b"PK never saved")),
        storage.save(f"subject-access/{sar.pk + 1000}/4e5f-response.pdf", ContentFile(b"%PDF- no request")),
    }


def test_the_daily_job_deletes_the_files_a_killed_job_left_and_keeps_every_export(person, supervisor, force):
    """Before, a job killed between writing its files and committing left them in the storage for ever:
    nothing pointed to them and nothing looked."""
    sar = _produced(person, supervisor)
    other = _produced(PersonFactory(force=force), supervisor)
    left = _left_behind(sar)
    assert _files() == _exports(sar, other) | left

    assert subject_access_files_sweep() == {**NOTHING, "subject_access_orphan_files_removed": 4}
    assert _files() == _exports(sar, other)
    assert subject_access_files_sweep() == NOTHING
    assert subject_access_download(sar=sar, kind="archive", actor=supervisor).read(2) == b"PK"


def test_the_files_of_an_export_being_produced_now_are_left_until_its_claim_lapses(person, supervisor):
    sar = _produced(person, supervisor)
    left = _left_behind(sar)
    claimed = timezone.now() - timedelta(minutes=5)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(export_claimed_at=claimed)

    assert subject_access_files_sweep() == {**NOTHING, "subject_access_orphan_files_removed": 1}  # no request
    assert _files() == _exports(sar) | {name for name in left if f"/{sar.pk + 1000}/" not in name}
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        export_claimed_at=timezone.now() - services.CLAIM_EXPIRES - timedelta(seconds=1)
    )
    assert subject_access_files_sweep() == {**NOTHING, "subject_access_orphan_files_removed": 3}
    assert _files() == _exports(sar)


def test_the_sweep_is_a_daily_job(person, supervisor):
    sar = _produced(person, supervisor)
    _left_behind(sar)

    assert job_run("subject_access_files", trigger="command")["subject_access_orphan_files_removed"] == 4
    assert job_run("subject_access_files", trigger="command") == NOTHING


# --- The daily sweep: exports kept past their time ---------------------------------------------------


def test_an_export_is_deleted_when_its_request_has_been_closed_for_the_keep_period(
    person, supervisor, force, settings, client_for
):
    settings.SUBJECT_ACCESS_EXPORT_KEEP_DAYS = 180
    released = _produced(person, supervisor)
    subject_access_release(request_id=released.pk, actor=supervisor, release_method=ReleaseMethod.POST)
    withdrawn = _produced(PersonFactory(force=force), supervisor)
    subject_access_withdraw(request_id=withdrawn.pk, actor=supervisor)
    recent = _produced(PersonFactory(force=force), supervisor)
    subject_access_release(request_id=recent.pk, actor=supervisor, release_method=ReleaseMethod.EMAIL)
    still_open = _produced(PersonFactory(force=force), supervisor)
    long_ago = timezone.now() - timedelta(days=181)
    SubjectAccessRequest.objects.filter(pk=released.pk).update(released_at=long_ago)
    SubjectAccessRequest.objects.filter(pk=withdrawn.pk).update(withdrawn_at=long_ago)
    SubjectAccessRequest.objects.filter(pk=recent.pk).update(released_at=timezone.now() - timedelta(days=179))
    SubjectAccessRequest.objects.filter(pk=still_open.pk).update(created_at=long_ago)

    assert subject_access_files_sweep() == {**NOTHING, "subject_access_exports_expired": 2}
    assert subject_access_files_sweep() == NOTHING

    assert _files() == _exports(recent, still_open)
    for sar in (released, withdrawn):
        sar.refresh_from_db()
        assert sar.export_deleted_at is not None and not sar.export_pdf and not sar.export_archive
        assert len(sar.export_pdf_sha256) == 64 and sar.export_summary["counts"]
    with pytest.raises(SubjectAccessError, match="deleted on"):
        subject_access_download(sar=released, kind="pdf", actor=supervisor)
    page = client_for(supervisor).get(reverse("subjectaccess:detail", args=[released.pk])).content.decode()
    assert "The export&#x27;s files were deleted on" in page or "The export's files were deleted on" in page
    assert released.export_pdf_sha256 in page
    assert reverse("subjectaccess:download", args=[released.pk, "pdf"]) not in page

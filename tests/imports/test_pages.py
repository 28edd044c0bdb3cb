"""/imports/: a police force's administrators upload a caseload, read the dry run's report, and confirm
or discard it; a large file is checked and imported by a job whose progress the page shows."""

import json
from datetime import timedelta

import pytest
from broker_support import celery_configured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factories import OrganisationFactory, UserFactory
from import_support import csv_bytes, example_bytes, example_rows, row_of
from pytest_django.asserts import assertContains, assertNotContains

from cases.models import Case, Person
from imports.models import CaseloadImport, ImportStatus
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent

LIST = "/imports/"


def upload(name="caseload.csv", content=None):
    return SimpleUploadedFile(name, example_bytes() if content is None else content, content_type="text/csv")


def detail(batch):
    return f"/imports/{batch.pk}/"


@pytest.fixture
def outsider_admin(db):
    return UserFactory(organisation=OrganisationFactory(name="Marshire Police"), roles=[Role.ADMINISTRATOR])


@pytest.fixture
def case_worker_of_force(world):
    from offenderhub.accounts.models import User

    return User.objects.get(email="caseworker@fenshire-police.example")


@pytest.fixture
def checked(client_for, admin):
    """The example file uploaded and checked (it is small: checked while the page waits)."""
    response = client_for(admin).post(LIST, {"file": upload()})
    batch = CaseloadImport.objects.get()
    assert response.status_code == 302 and response.url == detail(batch)
    return batch


def test_an_administrator_sees_the_upload_form_the_columns_and_the_history(client_for, admin, checked):
    response = client_for(admin).get(LIST)
    assertContains(response, "Import a caseload")
    assertContains(response, 'type="file"')
    assertContains(response, "<code>condition_N_referral_status</code>", html=False)
    assertContains(response, f'href="/imports/{checked.pk}/"')
    assertContains(response, "Checked: ready to import")


def test_the_list_page_reads_a_fixed_number_of_queries(client_for, admin, checked, django_assert_num_queries):
    client = client_for(admin)
    client.get(LIST)
    with django_assert_num_queries(6) as few:
        client.get(LIST)
    for _ in range(4):
        CaseloadImport.objects.create(
            force=admin.organisation, filename="x.csv", sha256="0" * 64, size=1, uploaded_by=admin
        )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_the_dry_run_shows_what_would_be_added_and_saves_no_case(client_for, admin, checked):
    assert checked.status == ImportStatus.CHECKED
    assert not Case.objects.exists() and not Person.objects.exists()
    response = client_for(admin).get(detail(checked))
    assertContains(response, "What importing the file would add")
    assertContains(response, "Import 12 cases")
    assertContains(response, "Prosecution resumed")
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, object_label=f"Caseload import #{checked.pk}"
    ).exists()


def test_confirming_imports_the_cases_and_deletes_the_file(client_for, admin, checked):
    stored = checked.file.name
    client = client_for(admin)
    response = client.post(f"/imports/{checked.pk}/confirm/")

    assert response.status_code == 302
    checked.refresh_from_db()
    assert (checked.status, checked.cases_added, checked.confirmed_by) == (ImportStatus.IMPORTED, 12, admin)
    assert Case.objects.count() == 12
    assert not checked.file and not checked.file.storage.exists(stored)
    page = client.get(detail(checked))
    assertContains(page, "Caseload imported")
    assertContains(page, "Imported 12 cases and 10 new people.")
    # Confirming again (a double click) changes nothing.
    client.post(f"/imports/{checked.pk}/confirm/")
    assert Case.objects.count() == 12


def test_the_detail_page_reads_a_fixed_number_of_queries(
    client_for, admin, checked, django_assert_num_queries
):
    client = client_for(admin)
    client.get(detail(checked))
    with django_assert_num_queries(9):
        client.get(detail(checked))


def test_a_file_that_is_neither_csv_nor_excel_is_refused_with_a_message(client_for, admin):
    response = client_for(admin).post(LIST, {"file": upload("caseload.txt")})
    assert response.status_code == 400
    assertContains(
        response, "The selected file must be a CSV file or an Excel workbook (.xlsx).", status_code=400
    )
    assert not CaseloadImport.objects.exists()


def test_a_file_with_a_bad_line_is_refused_with_its_line_and_nothing_is_saved(client_for, admin):
    header, rows = example_rows()
    row_of(rows, "FEN/26/0104")["date_of_birth"] = "31/02/2001"
    response = client_for(admin).post(LIST, {"file": upload(content=csv_bytes(header, rows))})

    assert response.status_code == 400
    assertContains(response, "There is a problem", status_code=400)
    assertContains(
        response,
        "Line 5, column &#x27;date_of_birth&#x27;: &#x27;31/02/2001&#x27; is not a real date",
        status_code=400,
    )
    batch = CaseloadImport.objects.get()
    assert batch.status == ImportStatus.REFUSED and not batch.file
    assert not Case.objects.exists() and not Person.objects.exists()
    assertNotContains(response, "/confirm/", status_code=400)


def _refused_with_a_bad_date(client_for, admin):
    header, rows = example_rows()
    row_of(rows, "FEN/26/0104")["date_of_birth"] = "31/02/2001"
    client_for(admin).post(LIST, {"file": upload(content=csv_bytes(header, rows))})
    return CaseloadImport.objects.get()


QUOTED = "Line 5, column &#x27;date_of_birth&#x27;: &#x27;31/02/2001&#x27; is not a real date"
FORGOTTEN = "Line 5, column &#x27;date_of_birth&#x27;: is not a real date"


def test_a_refused_reports_values_are_forgotten_after_the_days_an_import_is_kept(client_for, admin, settings):
    """Before, a refused import's report quoted the file's values (names, PNC IDs, dates of birth) for
    ever. It keeps them for CASELOAD_IMPORT_KEEP_DAYS, while the file is being corrected."""
    from imports.services import caseload_imports_sweep

    batch = _refused_with_a_bad_date(client_for, admin)
    client = client_for(admin)
    assertContains(client.get(detail(batch)), QUOTED)
    assert caseload_imports_sweep()["values_forgotten"] == 0

    later = timezone.now() + timedelta(days=settings.CASELOAD_IMPORT_KEEP_DAYS, minutes=1)
    assert caseload_imports_sweep(now=later)["values_forgotten"] == 1
    assert caseload_imports_sweep(now=later)["values_forgotten"] == 0

    page = client.get(detail(batch))
    assertContains(page, FORGOTTEN)
    assertNotContains(page, "31/02/2001")
    batch.refresh_from_db()
    assert "31/02/2001" not in json.dumps(batch.report) and batch.report["errors_total"] == 1


def test_discarding_a_refused_import_forgets_its_values_at_once(client_for, admin):
    batch = _refused_with_a_bad_date(client_for, admin)

    client_for(admin).post(f"/imports/{batch.pk}/discard/")

    batch.refresh_from_db()
    assert batch.status == ImportStatus.DISCARDED and "31/02/2001" not in json.dumps(batch.report)
    assertContains(client_for(admin).get(detail(batch)), FORGOTTEN)


def test_a_refused_import_cannot_be_confirmed(client_for, admin):
    client = client_for(admin)
    client.post(LIST, {"file": upload(content=b"case_reference\nA\n")})
    batch = CaseloadImport.objects.get()
    response = client.post(f"/imports/{batch.pk}/confirm/", follow=True)
    assertContains(response, "cannot be started")
    assert not Case.objects.exists()


def test_discarding_deletes_the_file_and_imports_nothing(
    client_for, admin, checked, django_capture_on_commit_callbacks
):
    stored = checked.file.name
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(f"/imports/{checked.pk}/discard/")
    checked.refresh_from_db()
    assert checked.status == ImportStatus.DISCARDED and not checked.file.storage.exists(stored)
    assert not Case.objects.exists()


def test_another_forces_administrator_finds_no_import(client_for, outsider_admin, checked):
    client = client_for(outsider_admin)
    assert client.get(detail(checked)).status_code == 404
    assert client.get(f"/imports/{checked.pk}/progress/").status_code == 404
    assert client.post(f"/imports/{checked.pk}/confirm/").status_code == 404
    assert client.post(f"/imports/{checked.pk}/discard/").status_code == 404
    checked.refresh_from_db()
    assert checked.status == ImportStatus.CHECKED and not Case.objects.exists()
    assertNotContains(client.get(LIST), checked.filename)


@pytest.mark.parametrize("url", [LIST, "/imports/example.csv"])
def test_other_roles_are_refused(client_for, case_worker_of_force, world, url):
    assert client_for(case_worker_of_force).get(url).status_code == 403
    partner_admin = UserFactory(
        organisation=OrganisationFactory(partner_agency=True), roles=[Role.ADMINISTRATOR]
    )
    assert client_for(partner_admin).get(url).status_code == 403


def test_other_roles_cannot_upload_confirm_or_discard(client_for, case_worker_of_force, checked):
    client = client_for(case_worker_of_force)
    assert client.post(LIST, {"file": upload()}).status_code == 403
    assert client.get(detail(checked)).status_code == 403
    assert client.post(f"/imports/{checked.pk}/confirm/").status_code == 403
    assert client.post(f"/imports/{checked.pk}/discard/").status_code == 403
    assert CaseloadImport.objects.count() == 1 and not Case.objects.exists()


def test_the_example_file_can_be_downloaded(client_for, admin):
    response = client_for(admin).get("/imports/example.csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == example_bytes()
    assert "attachment" in response["Content-Disposition"]


def test_a_large_file_is_checked_and_imported_by_jobs_whose_progress_the_page_shows(
    client_for, admin, settings, django_capture_on_commit_callbacks
):
    settings.CASELOAD_IMPORT_INLINE_BYTES = 100  # every file is "large"
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(LIST, {"file": upload()})
    batch = CaseloadImport.objects.get()
    assert batch.status == ImportStatus.CHECKING and len(queued) == 1
    page = client.get(response.url)
    assertContains(page, "Checking the file")
    assertContains(
        page, '<progress class="app-progress" id="import-progress" max="100" value="0">', html=False
    )
    assertContains(page, "js/import-progress.mjs")
    progress = client.get(f"/imports/{batch.pk}/progress/").json()
    assert progress["working"] is True and progress["status"] == "checking"

    with celery_configured(task_always_eager=True):
        queued[0]()  # the job that checks the file
        batch.refresh_from_db()
        assert batch.status == ImportStatus.CHECKED
        assert client.get(f"/imports/{batch.pk}/progress/").json()["working"] is False
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/imports/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED and Case.objects.count() == 12


def test_a_file_whose_cases_are_all_held_offers_only_to_discard_it(client_for, admin, checked):
    client = client_for(admin)
    client.post(f"/imports/{checked.pk}/confirm/")
    client.post(LIST, {"file": upload()})
    again = CaseloadImport.objects.exclude(pk=checked.pk).get()
    response = client.get(detail(again))
    assertContains(response, "Every case in the file is already held: importing it would add nothing.")
    assertNotContains(response, f"/imports/{again.pk}/confirm/")
    assert Case.objects.count() == 12

"""Erasing a person's record: after it, no erased value appears anywhere in the database (every text,
varchar and JSON column of every table) or in the stored files; the dashboard's figures and the
pseudonymised extract are the same; the register shows the entry; the audit log's chain still holds
and its new rows keep nothing erased."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseStatus, Person, PersonAlias, PersonChange, PersonMerge
from conditions.models import Caution
from imports.models import CaseloadImport
from offenderhub.audit.chain import chain_verify
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Evidence
from retention.models import ErasureRecord, RetentionReview
from retention.services import (
    retention_review_erasure_approve,
    retention_review_erasure_refuse,
    retention_review_erasure_request,
)
from subjectaccess.models import SubjectAccessRequest

pytestmark = pytest.mark.django_db


def text_columns():
    """(table, column) for every text, varchar and JSON column of every table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() "
                "AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'character')"
            )
            return sorted(cursor.fetchall())
        columns = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'PRAGMA table_info("{table}")')
            for _, column, kind, *_ in cursor.fetchall():
                if any(word in kind.lower() for word in ("char", "text", "json", "clob")) or kind == "":
                    columns.append((table, column))
        return sorted(columns)


def database_holding(*values) -> dict[str, list[tuple[str, str]]]:
    """For each value, every (table, column) holding it anywhere in a row, regardless of case: one query
    per column."""
    quote = connection.ops.quote_name
    found = {value: [] for value in values}
    with connection.cursor() as cursor:
        for table, column in text_columns():
            held = f"COALESCE(MAX(CASE WHEN LOWER(CAST({quote(column)} AS TEXT)) LIKE %s THEN 1 END), 0)"
            sql = f"SELECT {', '.join(held for _ in values)} FROM {quote(table)}"  # noqa: S608 (catalogue names)
            cursor.execute(sql, [f"%{value.lower()}%" for value in values])
            for value, held in zip(values, cursor.fetchone(), strict=True):
                if held:
                    found[value].append((table, column))
    return found


def stored_text(path: Path) -> str:
    """What a stored file says: its bytes, and for a PDF its pages' text (a PDF's text is compressed)."""
    content = path.read_bytes()
    text = content.decode("latin-1")
    if content.startswith(b"%PDF"):
        from pypdf import PdfReader

        text += "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return text.lower()


def storage_holding(root: Path, value) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and value.lower() in stored_text(path)
    )


def dashboard_figures(analyst, supervisor):
    """Everything the commissioner's office sees of the force: the dashboard, its fairness tables and
    the pseudonymised extract, made from the summaries after every change is summarised."""
    from reporting.exports import case_extract_rows
    from reporting.selectors import dashboard_for, fairness_for, scoped_cases, scoped_facts
    from reporting.summaries import refresh_all_stale

    refresh_all_stale()
    today = timezone.localdate()
    facts = scoped_facts(analyst, today=today)
    return {
        "dashboard": repr(dashboard_for(facts, today=today)),
        "fairness": repr([fairness_for(facts, dimension=d) for d in ("ethnicity", "sex", "age_band")]),
        "extract": list(case_extract_rows(scoped_cases(analyst, today=today).order_by("pk"), k=1)),
    }


@pytest.fixture
def erased(
    journey,
    settings,
    client_for,
    supervisor,
    second_supervisor,
    analyst,
    flagged,
    django_capture_on_commit_callbacks,
):
    """Zebulon's record erased: flagged by the daily job, erasure asked for, refused (with a reason
    naming him), asked for again and approved by the second supervisor. Returns what the tests compare
    before and after."""
    media = Path(settings.MEDIA_ROOT)
    # The record consulted as it would be: its pages, a search by name, the data-quality list it is on
    # (no ethnic group recorded), each audited.
    client = client_for(supervisor)
    person = journey.person
    for path in (
        f"/cases/people/{person.pk}/",
        f"/cases/{journey.cases[0].pk}/",
        "/cases/?q=Zebulon+Quillfeather",
        "/reports/quality/no-ethnicity/",
    ):
        assert client.get(path).status_code == 200, path
    assert "Quillfeather" in client.get("/reports/quality/no-ethnicity/").content.decode()
    before = {
        "figures": dashboard_figures(analyst, supervisor),
        "database": database_holding(*journey.values),
        "storage": {value: storage_holding(media, value) for value in journey.values},
        "files": sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()),
        "audit": AuditEvent.objects.count(),
    }
    review = flagged(journey.person, today=timezone.localdate() + timedelta(days=7 * 365))
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    retention_review_erasure_refuse(
        review_id=review.pk, actor=second_supervisor, reason="Zebulon Quillfeather's appeal may need it."
    )
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        record = retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    return {"before": before, "record": record, "media": media, "review": review}


def test_no_erased_value_is_left_in_the_database_or_the_storage(journey, erased):
    """Before the erasure the searches find every value: the name in dozens of columns (the audit log's
    among them, were it there), the upload and both signed caution documents; after it, nothing."""
    before = erased["before"]
    assert all(before["database"][value] for value in journey.values), before["database"]
    holding_name = set(before["database"]["Zebulon"])
    assert {
        ("cases_person", "given_names"),
        ("cases_personchange", "reason"),
        ("cases_caseevent", "notes"),
        ("referrals_referralnote", "text"),
        ("conditions_caution", "admission_words"),
        ("retention_legalhold", "reason"),
        ("reporting_scrutinyitem", "observations"),
    } <= holding_name
    assert len(holding_name) >= 40
    stored = before["storage"]["Zebulon"]
    assert sum(name.startswith("evidence/") for name in stored) == 1
    assert sum(name.startswith("cautions/") for name in stored) == 2

    assert database_holding(*journey.values) == {value: [] for value in journey.values}
    for value in journey.values:
        assert storage_holding(erased["media"], value) == [], value


def test_the_figures_are_the_same_and_what_they_need_is_kept_and_nobody_else_is_touched(
    journey, erased, analyst, supervisor
):
    assert dashboard_figures(analyst, supervisor) == erased["before"]["figures"]

    person = Person.objects.get(pk=journey.person.pk)
    assert person.is_erased and person.full_name == f"Erased person #{person.pk}"
    assert (person.sex, str(person.date_of_birth), person.ethnicity_id) == ("male", "1991-04-23", None)
    assert (person.given_names, person.family_name, person.pnc_id, person.address) == ("", "", "", "")
    assert not PersonAlias.objects.filter(person=person).exists()
    assert not PersonChange.objects.filter(person=person).exists()
    statuses = dict(Case.objects.filter(person=person).values_list("reference", "status"))
    assert statuses == {c.reference: c.status for c in journey.cases}
    assert set(statuses.values()) == {CaseStatus.COMPLETED, CaseStatus.CLOSED}
    case = Case.objects.get(pk=journey.cases[0].pk)
    assert case.circumstances == "(erased)" and case.offences.get().details == "(erased)"
    assert not Evidence.objects.filter(referral__case__person=person).exists()
    documents = set(Caution.objects.filter(case__person=person).values_list("document", "document_sha256"))
    assert documents == {("", "")}
    assert case.events.first().summary == "Personal details erased after a retention review"

    other = Person.objects.get(pk=journey.other.pk)
    assert (other.given_names, other.family_name, other.phone) == ("Olive", "Brampton", "07700 900333")
    evidence = Evidence.objects.get(referral__case=journey.other_case)
    assert (erased["media"] / evidence.file.name).exists()
    caution = Caution.objects.get(case=journey.other_case)
    assert caution.document and (erased["media"] / caution.document.name).exists()
    # The subject access export's files go whole (the archive is compressed: the search cannot read it).
    sar = SubjectAccessRequest.objects.get(pk=journey.sar.pk)
    assert (sar.status, sar.received_from, sar.export_pdf.name, sar.export_archive.name) == (
        "released",
        "(erased)",
        "",
        "",
    )
    assert set(sar.redactions.values_list("reasons", flat=True)) == {"(erased)"}
    exports = {name for name in erased["before"]["files"] if name.startswith(f"subject-access/{sar.pk}/")}
    assert len(exports) == 2
    files = sorted(str(p.relative_to(erased["media"])) for p in erased["media"].rglob("*") if p.is_file())
    gone = {*erased["before"]["storage"]["Zebulon"], *erased["before"]["storage"]["Quillfeather"], *exports}
    assert files == sorted(name for name in erased["before"]["files"] if name not in gone)
    assert len(gone) == 6  # the upload, two signed cautions, the export's two files, a caseload file

    # The record merged into his is erased with it, and the merge keeps no snapshot of either.
    twin = Person.objects.get(pk=journey.twin.pk)
    assert twin.is_erased and twin.merged_into_id == person.pk
    merge = PersonMerge.objects.get(merged=twin)
    assert (merge.before, merge.after, merge.reason) == ({}, {}, "(erased)")
    # The caseload file naming him is discarded; Olive's waits, its file kept.
    waiting = CaseloadImport.objects.exclude(pk=journey.other_import.pk).get(sha256="0" * 64)
    assert (waiting.status, waiting.file.name) == ("discarded", "")
    # The refused file's report still says what was wrong, where, without the value it quoted.
    refused = CaseloadImport.objects.get(status="refused")
    assert refused.report["errors"] == [{"line": 2, "column": "email", "message": "is not an email address"}]
    assert refused.report["values_kept"] is False
    other_import = CaseloadImport.objects.get(pk=journey.other_import.pk)
    assert other_import.status == "checked" and (erased["media"] / other_import.file.name).exists()


def test_the_register_shows_the_entry_and_the_audit_log_still_verifies_keeping_nothing_erased(
    journey, erased, supervisor, second_supervisor, client_for
):
    record = ErasureRecord.objects.get()
    assert record == erased["record"]
    assert (record.kind, record.person_id) == ("person", journey.person.pk)
    assert (record.requested_by, record.authorised_by) == (supervisor, second_supervisor)
    assert record.case_references == sorted(c.reference for c in journey.cases)
    counts = dict(record.removed)
    assert counts.pop("Records with free text") >= 30 and counts.pop("Timeline entries") >= 30
    assert counts == {
        "Uploaded documents": 1,
        "Signed caution documents": 2,
        "Aliases": 3,  # two of his, one of the record merged into his
        "History of changes": 5,  # three corrections, the merge's row on each record
        "Names and contact details": 1,
        "Records merged into theirs": 1,
        "Merges of their records": 1,
        "Subject access requests": 1,
        "Reasons for withholding": 1,
        "Subject access export files": 2,
        "Caseload files waiting to be imported": 1,
        "Caseload import reports quoting the files' values": 1,
    }
    assert record.files_pending == [] and record.files_removed_at is not None
    review = RetentionReview.objects.get(pk=erased["review"].pk)
    assert (review.status, review.decided_by, review.approved_by) == ("erased", supervisor, second_supervisor)
    page = client_for(second_supervisor).get("/retention/register/").content.decode()
    assert f"Person #{journey.person.pk}" in page and journey.cases[0].reference in page
    assert "Grace Okafor" in page and "Mark Bell" in page and "Zebulon" not in page

    assert chain_verify().intact
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "The audit log is intact" in out.getvalue()
    rows = AuditEvent.objects.filter(action=AuditAction.ERASED)
    labels = set(rows.values_list("object_label", flat=True))
    assert {f"Person #{journey.person.pk}", *(f"Case {c.reference}" for c in journey.cases)} <= labels
    assert sum(label.startswith("Evidence ") for label in labels) == 1
    assert all(row.changes == {} for row in rows)
    assert {row.actor for row in rows} == {second_supervisor}


def test_an_open_subject_access_request_of_the_person_holds_the_erasure(
    journey, flagged, supervisor, second_supervisor
):
    """The person's own request in progress: the response must be sent before what it holds is erased.
    Asking for the erasure is refused, and so is approving one asked for before the request came in."""
    from retention.services import RetentionError
    from subjectaccess.services import subject_access_request_create, subject_access_withdraw

    review = flagged(journey.person, today=timezone.localdate() + timedelta(days=7 * 365))
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    sar = subject_access_request_create(
        actor=supervisor,
        person=journey.person,
        received_on=timezone.localdate(),
        requester_kind="data_subject",
        received_from="A letter",
    )

    with pytest.raises(RetentionError, match=f"subject access request {sar.reference} is still open"):
        retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    assert not Person.objects.get(pk=journey.person.pk).is_erased

    subject_access_withdraw(request_id=sar.pk, actor=supervisor)
    retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    assert Person.objects.get(pk=journey.person.pk).is_erased

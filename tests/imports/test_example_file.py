"""``manage.py import_caseload`` with the documented example file (issue 14, part 5, "What it must
show"): the dry run reports what it would add and saves nothing; the import adds it; the same import
again adds nothing; a copy with one bad line is refused with that line's number and saves nothing."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from import_support import EXAMPLE, csv_bytes, example_rows, row_of, xlsx_bytes

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus, Person, ReferenceCounter
from conditions.models import BreachReview, BreachStatus, Caution, Condition, Prosecution
from imports.columns import COLUMNS
from imports.models import CaseloadImport, ImportStatus
from offenderhub.audit.chain import chain_verify
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Referral, ReferralStatus


def _run(*args):
    out = StringIO()
    call_command("import_caseload", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def _row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_the_dry_run_reports_what_it_would_add_and_saves_nothing(world, admin):
    before = _row_counts()

    output = _run(str(EXAMPLE), "--dry-run")

    assert (
        "Dry run: would add 12 cases, 10 people (0 already recorded), 13 offences, 9 conditions and 6 "
        "referrals. Nothing was saved" in output
    )
    assert "active 1, assessment 1, awaiting_decision 1" in output
    assert _row_counts() == before


def test_the_import_adds_the_example_as_the_app_would_hold_it(world, admin):
    output = _run(str(EXAMPLE))

    assert re.search(r"Imported 12 cases, 10 people .* \(caseload import #\d+", output)
    batch = CaseloadImport.objects.get()
    assert (batch.status, batch.cases_added, batch.people_added, batch.from_command) == (
        ImportStatus.IMPORTED,
        12,
        10,
        True,
    )
    cases = {c.external_reference: c for c in Case.objects.select_related("person")}
    assert {c.status for c in cases.values()} == set(CaseStatus.values)
    # One person for the same PNC ID, and for the same person_reference, whatever the row.
    assert cases["FEN/26/0107"].person == cases["FEN/25/0961"].person
    assert cases["FEN/26/0102"].person == cases["FEN/26/0111"].person
    assert Person.objects.filter(pnc_id="99/0011223H").exists()  # 1999/11223H, normalised
    # References from the scheme's counter, in the year each case was opened.
    assert cases["FEN/25/0774"].reference == "OH-2025-000001"
    assert ReferenceCounter.objects.get(prefix="OH", year=2026).last_number == 10
    # What the case keeps from its offences, as the services keep it.
    assault = cases["FEN/26/0107"]
    assert assault.first_summary_offence_date.isoformat() == "2026-08-30" and assault.holds_summary_only
    damage = cases["FEN/26/0108"]  # tried summarily for its value: no six-month limit
    assert damage.first_summary_offence_date is None and damage.holds_summary_only
    # Each status with the records it implies.
    assert not Caution.objects.filter(case=cases["FEN/26/0106"]).exists()
    caution = Caution.objects.get(case=assault)
    assert caution.period_ends_on.isoformat() == "2027-01-05" and not caution.document
    review = BreachReview.objects.get(case=cases["FEN/26/0108"])
    assert review.status == BreachStatus.OPEN and list(
        review.conditions.values_list("status", flat=True)
    ) == ["failed"]
    prosecution = Prosecution.objects.get(case=cases["FEN/26/0110"])
    assert prosecution.case_file_team_notified_at is not None  # the job will not tell them again
    assert Caution.objects.get(case=cases["FEN/26/0110"]).ceased_on.isoformat() == "2026-07-01"
    assert Referral.objects.get(case=assault).status == ReferralStatus.IN_PROGRESS
    assert Condition.objects.filter(case__in=cases.values()).count() == 9
    # The timeline: the status on the day it was entered, then the import.
    codes = list(
        CaseEvent.objects.filter(case=assault).order_by("occurred_at").values_list("code", "summary")
    )
    assert codes[0] == (EventCode.STATUS_BEFORE_IMPORT, "Active since 15 September 2026, before Offender Hub")
    assert (
        codes[1][0] == EventCode.CASE_IMPORTED and "line 8, the force's reference FEN/26/0107" in codes[1][1]
    )
    # Audited: the import (who, the file's hash, the counts), each person and case, each referral.
    audit = AuditEvent.objects.get(action=AuditAction.CREATED, object_label=f"Caseload import #{batch.pk}")
    assert audit.actor == admin and audit.changes == {"sha256": ["", batch.sha256]}
    assert "12 cases and 10 people added" in audit.reason and "caseload.csv" not in audit.reason
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATED, object_label__startswith="Case ").count() == 12
    )
    assert (
        AuditEvent.objects.filter(action=AuditAction.DISCLOSED, object_label__startswith="Referral").count()
        == 6
    )
    assert chain_verify().intact


def test_the_same_import_again_adds_nothing(world, admin):
    _run(str(EXAMPLE))
    before = _row_counts()

    output = _run(str(EXAMPLE))

    assert "Nothing to import: every case in the file is already held (12 cases)" in output
    assert _row_counts() == before


def test_a_copy_with_one_bad_line_is_refused_with_its_line_number_and_saves_nothing(world, admin, tmp_path):
    header, rows = example_rows()
    row_of(rows, "FEN/26/0104")["date_of_birth"] = "31/02/2001"  # line 5 of the file
    bad = tmp_path / "caseload-bad.csv"
    bad.write_bytes(csv_bytes(header, rows))
    before = _row_counts()

    with pytest.raises(CommandError, match="Nothing was imported: 1 problem to correct"):
        out = StringIO()
        call_command("import_caseload", str(bad), "--no-progress", stdout=out, stderr=StringIO())
    assert "Line 5, column 'date_of_birth': '31/02/2001' is not a real date" in out.getvalue()
    assert _row_counts() == before


def test_an_excel_workbook_imports_as_the_csv_does_and_names_rows(world, admin, tmp_path):
    header, rows = example_rows()
    book = tmp_path / "caseload.xlsx"
    book.write_bytes(xlsx_bytes(header, rows))
    assert "would add 12 cases, 10 people" in _run(str(book), "--dry-run")

    row_of(rows, "FEN/26/0101")["scheme"] = "XX"
    book.write_bytes(xlsx_bytes(header, rows))
    with pytest.raises(CommandError):
        out = StringIO()
        call_command("import_caseload", str(book), "--no-progress", stdout=out, stderr=StringIO())
    assert "Row 2, column 'scheme': 'XX' is not a scheme of Fenshire Constabulary" in out.getvalue()


def test_the_example_has_every_column_and_the_readme_documents_each(world):
    header, _ = example_rows()
    expected = set()
    for column in COLUMNS:
        expected |= (
            {column.name.replace("_N", "_1"), column.name.replace("_N", "_2")}
            if "_N" in column.name
            else {column.name}
        )
    assert set(header) == expected
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    missing = [c.name for c in COLUMNS if f"`{c.name}`" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_the_command_needs_a_force_and_an_administrator_when_it_cannot_tell(world, admin):
    from factories import OrganisationFactory, UserFactory

    from offenderhub.accounts.models import Role

    OrganisationFactory(name="Marshire Police")
    with pytest.raises(CommandError, match="--force NAME"):
        _run(str(EXAMPLE), "--dry-run")
    UserFactory(organisation=world, roles=[Role.ADMINISTRATOR])
    with pytest.raises(CommandError, match="--user EMAIL"):
        _run(str(EXAMPLE), "--dry-run", "--force", "Fenshire Constabulary")
    with pytest.raises(CommandError, match="is not an active administrator"):
        _run(
            str(EXAMPLE),
            "--dry-run",
            "--force",
            "Fenshire Constabulary",
            "--user",
            "caseworker@fenshire-police.example",
        )
    output = _run(str(EXAMPLE), "--dry-run", "--force", "fenshire constabulary", "--user", admin.email)
    assert "would add 12 cases" in output


def test_the_command_shows_its_progress_a_line_at_each_tenth_when_not_on_a_terminal(world, admin, capsys):
    call_command("import_caseload", str(EXAMPLE), "--dry-run", stdout=StringIO())

    err = capsys.readouterr().err
    assert "Checking the rows: 0% (0 / " in err  # the rows estimated from the file's lines
    assert "Checking the rows: 100% (12 / 12)" in err


def test_the_progress_bar_redraws_one_line_on_a_terminal():
    from imports.management.commands.import_caseload import ProgressBar

    class Terminal(StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar(screen)
    bar("Checking the rows", 0, 50_000)
    bar("Checking the rows", 50_000, 50_000)
    bar("Writing", 2, 2)
    bar.end()

    lines = screen.getvalue().split("\n")
    assert lines[0].startswith("\rChecking the rows    [------------------------------]   0%  0 / 50,000")
    assert lines[0].endswith("\rChecking the rows    [##############################] 100%  50,000 / 50,000")
    assert lines[1] == "\rWriting              [##############################] 100%  2 / 2"


def test_the_benchmark_generates_a_file_the_import_takes_whole_and_imports_it_once(world, admin, settings):
    """``manage.py caseload_import_bench`` (the 50,000-row benchmark), at a small size: every generated
    row passes the check, the import adds them, and the same file again adds nothing."""
    settings.DEBUG = True
    out = StringIO()

    call_command("caseload_import_bench", "--rows", "120", "--today", "2027-06-16", stdout=out)

    output = out.getvalue()
    assert re.search(r"^Import .* cases 120 ", output, re.MULTILINE), output
    assert re.search(r"^The same file again .* cases 0 .* held 120$", output, re.MULTILINE), output
    assert CaseloadImport.objects.get().cases_added == 120

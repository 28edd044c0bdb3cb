"""The import of subsequent offences from police records: all or nothing, each bad row named,
duplicates skipped, matched to the supervisor's own force by PNC ID (issue 7)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from factories import ABH
from reporting_support import pnc, police_records_csv

from cases.services import CaseError
from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.models import ReoffendingImport, SubsequentOffence
from reporting.services import reoffending_import

IMPORT = reverse("reporting:import")
TODAY = date(2026, 6, 30)
CD = "Criminal damage (under £5,000)"


@pytest.fixture
def people(build):
    """Three people of the force on cases, with PNC IDs 19/0000001A to 19/0000003A."""
    return [build(outcome="completed", pnc_id=pnc(n)).person for n in (1, 2, 3)]


def good_rows():
    return [
        (pnc(1), "2026-01-10", ABH, "conviction", "2026-03-01"),
        (pnc(1), "2026-02-11", CD, "caution", "2026-02-20"),
        (pnc(2), "2025-12-01", "theft from a vehicle", "Conviction", "2026-01-15"),  # any case
        (pnc(3), "2026-04-01", CD, "caution", "2026-04-02"),
        ("18/0099999Z", "2026-04-01", CD, "caution", "2026-04-02"),  # nobody on a case
    ]


def _nothing_imported():
    assert SubsequentOffence.objects.count() == 0
    assert ReoffendingImport.objects.count() == 0
    assert not AuditEvent.objects.filter(
        action=AuditAction.CREATED, object_label__startswith="Reoffending"
    ).exists()


# --- The page -------------------------------------------------------------------------------------
def test_import_with_one_bad_row_changes_nothing_and_names_the_row(client_for, supervisor, people):
    rows = good_rows()
    rows[2] = (pnc(2), "2025-13-01", ABH, "conviction", "2026-01-15")  # line 4 of the file
    response = client_for(supervisor).post(IMPORT, {"file": police_records_csv(rows)})
    assert response.status_code == 400
    assert response.context["result"].errors == [
        (4, "Offence_date “2025-13-01” is not a date like 2026-03-27.")
    ]
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert '<td class="govuk-table__cell">4</td>' in html
    assert "is not a date like 2026-03-27" in html
    _nothing_imported()


def test_import_with_a_malformed_pnc_id_changes_nothing_and_names_the_row(client_for, supervisor, people):
    rows = good_rows()
    rows[1] = ("not-a-pnc", "2026-02-11", CD, "caution", "2026-02-20")  # line 3
    response = client_for(supervisor).post(IMPORT, {"file": police_records_csv(rows)})
    assert response.status_code == 400
    [(line, message)] = response.context["result"].errors
    assert line == 3
    assert "PNC ID" in message and "not-a-pnc" in message
    _nothing_imported()


def test_a_good_import_adds_the_rows_and_is_audited(client_for, supervisor, people):
    response = client_for(supervisor).post(IMPORT, {"file": police_records_csv(good_rows())}, follow=True)
    assert response.redirect_chain == [(IMPORT, 302)]
    assert "Imported 4 offences; 0 already held; 1 for people on no case." in response.content.decode()
    batch = ReoffendingImport.objects.get()
    assert (batch.rows_total, batch.rows_added, batch.rows_already_held, batch.rows_unmatched) == (5, 4, 0, 1)
    assert batch.imported_by == supervisor
    assert batch.force == supervisor.organisation
    assert batch.filename == "police-records.csv"
    offences = SubsequentOffence.objects.filter(source=batch)
    assert offences.count() == 4
    assert {(o.person, o.offence_date) for o in offences} == {
        (people[0], date(2026, 1, 10)),
        (people[0], date(2026, 2, 11)),
        (people[1], date(2025, 12, 1)),
        (people[2], date(2026, 4, 1)),
    }
    theft = offences.get(person=people[1])
    assert theft.offence.name == "Theft from a vehicle"
    assert theft.outcome_type == "conviction"
    event = AuditEvent.objects.get(action=AuditAction.CREATED, object_label=f"Reoffending import #{batch.pk}")
    assert event.actor == supervisor
    assert event.owner_organisation == supervisor.organisation


def test_reimporting_the_same_file_adds_nothing(client_for, supervisor, people):
    client = client_for(supervisor)
    client.post(IMPORT, {"file": police_records_csv(good_rows())})
    response = client.post(IMPORT, {"file": police_records_csv(good_rows())}, follow=True)
    assert "Imported 0 offences; 4 already held; 1 for people on no case." in response.content.decode()
    assert SubsequentOffence.objects.count() == 4
    latest = ReoffendingImport.objects.order_by("-pk").first()
    assert (latest.rows_added, latest.rows_already_held, latest.rows_unmatched) == (0, 4, 1)


@pytest.mark.parametrize("who", ["analyst", "practitioner", "partner_manager", "case_worker"])
def test_only_supervisors_may_import(client_for, request, people, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": police_records_csv(good_rows())}).status_code == 403
    _nothing_imported()


def test_outsider_supervisors_import_matches_only_their_own_forces_people(
    client_for, outsider_supervisor, people, build_other
):
    theirs = build_other(outcome="completed", pnc_id=pnc(9)).person
    rows = [*good_rows(), (pnc(9), "2026-01-10", ABH, "conviction", "2026-03-01")]
    client_for(outsider_supervisor).post(IMPORT, {"file": police_records_csv(rows)})
    batch = ReoffendingImport.objects.get()
    assert batch.force == outsider_supervisor.organisation
    assert (batch.rows_added, batch.rows_unmatched) == (1, 5)
    assert list(SubsequentOffence.objects.values_list("person", flat=True)) == [theirs.pk]


def test_the_import_page_lists_only_the_forces_own_imports(
    client_for, supervisor, outsider_supervisor, people
):
    client_for(supervisor).post(IMPORT, {"file": police_records_csv(good_rows(), name="fenshire.csv")})
    response = client_for(outsider_supervisor).get(IMPORT)
    assert response.status_code == 200
    assert list(response.context["batches"]) == []
    assert "fenshire.csv" not in response.content.decode()


def test_no_file_is_refused(client_for, supervisor):
    response = client_for(supervisor).post(IMPORT, {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


# --- The service ----------------------------------------------------------------------------------
def test_every_bad_row_is_named_with_its_problem(supervisor, people):
    rows = [
        (pnc(1), "2026-01-10", ABH, "conviction", "2026-03-01"),  # line 2: good
        (pnc(1), "2026-01-10", "Jaywalking", "conviction", "2026-03-01"),
        (pnc(1), "2026-01-10", ABH, "fine", "2026-03-01"),
        (pnc(1), "2026-03-10", ABH, "conviction", "2026-03-01"),
        (pnc(1), "2026-06-10", ABH, "conviction", "2026-07-01"),
        (pnc(1), "2026-01-10", ABH, "conviction", "1 March 2026"),
    ]
    result = reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)
    assert result.batch is None
    assert result.errors == [
        (3, "Offence “Jaywalking” is not in the offence list."),
        (4, "Outcome_type “fine” must be conviction or caution."),
        (5, "Outcome_date is before offence_date."),
        (6, "A date is in the future."),
        (7, "Outcome_date “1 March 2026” is not a date like 2026-03-27."),
    ]
    _nothing_imported()


def test_a_row_with_too_many_values_is_named(supervisor, people):
    rows = [
        (pnc(1), "2026-01-10", CD, "caution", "2026-02-01"),
        (pnc(1), "2026-01-10", CD, "caution", "2026-02-01", "extra"),
    ]
    result = reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)
    assert result.errors == [
        (3, "The row has more values than the header: quote any value containing a comma.")
    ]
    _nothing_imported()


def test_line_numbers_count_the_header_as_line_one_after_a_blank_line_too(supervisor, people):
    """A blank line in the middle of the file is still a line: the bad row is the file's line 4."""
    upload = SimpleUploadedFile(
        "records.csv",
        (
            "pnc_id,offence_date,offence,outcome_type,outcome_date\n"
            f"{pnc(1)},2026-01-10,{ABH},conviction,2026-03-01\n"
            "\n"
            f"{pnc(2)},2026-01-10,Jaywalking,conviction,2026-03-01\n"
        ).encode(),
    )
    result = reoffending_import(actor=supervisor, upload=upload, today=TODAY)
    assert result.errors == [(4, "Offence “Jaywalking” is not in the offence list.")]


def test_a_missing_column_is_named_on_line_one(supervisor, people):
    upload = police_records_csv([], header=["pnc_id", "offence_date", "offence", "outcome_date"])
    result = reoffending_import(actor=supervisor, upload=upload, today=TODAY)
    assert result.errors == [
        (
            1,
            "The header must include: pnc_id, offence_date, offence, outcome_type, outcome_date. "
            "Missing: outcome_type.",
        )
    ]


def test_a_file_that_is_not_utf8_is_refused(supervisor):
    upload = SimpleUploadedFile("records.csv", "pnc_id,offence\n£".encode("cp1252"))
    result = reoffending_import(actor=supervisor, upload=upload, today=TODAY)
    assert result.batch is None
    assert "not UTF-8" in result.errors[0][1]


def test_a_binary_file_is_refused(supervisor, people):
    upload = SimpleUploadedFile(
        "records.csv", b"pnc_id,offence_date,offence,outcome_type,outcome_date\n\x00\x01"
    )
    result = reoffending_import(actor=supervisor, upload=upload, today=TODAY)
    assert result.batch is None
    assert "NUL" in result.errors[0][1]
    _nothing_imported()


def test_an_empty_file_imports_nothing(supervisor):
    result = reoffending_import(actor=supervisor, upload=police_records_csv([]), today=TODAY)
    assert result.errors == [(0, "The file has no rows to import.")]
    _nothing_imported()


def test_the_same_record_twice_in_one_file_is_added_once(supervisor, people):
    row = (pnc(1), "2026-01-10", ABH, "conviction", "2026-03-01")
    spaced = (" 2019/1a ", "2026-01-10", ABH.upper(), "CONVICTION", "2026-03-01")  # the same, written loosely
    result = reoffending_import(actor=supervisor, upload=police_records_csv([row, row, spaced]), today=TODAY)
    assert result.errors == []
    assert (result.batch.rows_total, result.batch.rows_added) == (1, 1)
    assert SubsequentOffence.objects.count() == 1


def test_a_partly_new_file_adds_only_the_new_records(supervisor, people):
    first = good_rows()[:2]
    reoffending_import(actor=supervisor, upload=police_records_csv(first), today=TODAY)
    result = reoffending_import(actor=supervisor, upload=police_records_csv(good_rows()), today=TODAY)
    batch = result.batch
    assert (batch.rows_total, batch.rows_added, batch.rows_already_held, batch.rows_unmatched) == (5, 2, 2, 1)
    assert SubsequentOffence.objects.count() == 4


def test_an_analyst_cannot_import_through_the_service(analyst):
    with pytest.raises(CaseError):
        reoffending_import(actor=analyst, upload=police_records_csv(good_rows()), today=TODAY)
    _nothing_imported()


# --- A merge while the import runs ----------------------------------------------------------------------


def _merge(supervisor, kept, merged):
    from cases.services import MERGE_DETAILS, person_merge

    return person_merge(
        actor=supervisor,
        kept_id=kept.pk,
        merged_id=merged.pk,
        choices=dict.fromkeys(MERGE_DETAILS, "kept"),
        reason="The PNC shows one person.",
        pnc_confirmed=True,
    )


def _after_the_first_read(monkeypatch, change):
    """The import reads the force's people to check the file, then ``change`` commits (a merge or an
    undo by another supervisor) before the import's transaction begins."""
    from reporting import services

    read = services._people_by_pnc
    calls = []

    def read_then_change(force_id, pncs=None):
        found = read(force_id, pncs)
        if not calls:
            change()
        calls.append(pncs)
        return found

    monkeypatch.setattr(services, "_people_by_pnc", read_then_change)


def test_a_record_merged_after_the_file_was_read_gets_no_offence_its_kept_record_does(
    supervisor, people, monkeypatch
):
    """A supervisor merges person 2 into person 1 after the import read the people: the offence matched
    to person 2's PNC ID goes to person 1, who is that person now, not to the record merged away, where
    nothing would show it."""
    kept, merged = people[0], people[1]
    _after_the_first_read(monkeypatch, lambda: _merge(supervisor, kept, merged))
    rows = [
        (pnc(2), "2026-01-10", ABH, "conviction", "2026-03-01"),
        (pnc(1), "2026-01-10", ABH, "conviction", "2026-03-01"),  # the same offence, under his other ID
    ]
    result = reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)

    assert result.errors == []
    assert not SubsequentOffence.objects.filter(person=merged).exists()
    assert list(SubsequentOffence.objects.values_list("person_id", flat=True)) == [kept.pk]
    batch = result.batch
    assert (batch.rows_total, batch.rows_added, batch.rows_already_held, batch.rows_unmatched) == (2, 1, 1, 0)


def test_the_import_follows_a_chain_of_merges_to_the_record_kept(supervisor, people, monkeypatch):
    def merges():
        _merge(supervisor, people[1], people[2])
        _merge(supervisor, people[0], people[1])

    _after_the_first_read(monkeypatch, merges)
    rows = [(pnc(3), "2026-01-10", ABH, "conviction", "2026-03-01")]
    reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)

    assert list(SubsequentOffence.objects.values_list("person_id", flat=True)) == [people[0].pk]


def test_a_merge_undone_after_the_file_was_read_gives_the_offence_back_to_the_record_it_restored(
    supervisor, people, monkeypatch
):
    """Read while person 2 was merged into person 1, their PNC ID named person 1 (an alias); the merge is
    undone before the import writes: the offence goes to person 2, whose PNC ID it is again."""
    from cases.services import person_merge_undo

    merge = _merge(supervisor, people[0], people[1])
    _after_the_first_read(
        monkeypatch, lambda: person_merge_undo(merge_id=merge.pk, actor=supervisor, reason="Two people.")
    )
    rows = [(pnc(2), "2026-01-10", ABH, "conviction", "2026-03-01")]
    reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)

    assert list(SubsequentOffence.objects.values_list("person_id", flat=True)) == [people[1].pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_merge_started_while_the_import_writes_waits_for_it_and_moves_the_offence(
    supervisor, people, monkeypatch
):
    """Really at once, on PostgreSQL: the import holds the people's row locks while it writes, so the
    merge of person 2 into person 1 waits for it, then finds the new offence and moves it to person 1.
    Without the locks the merge would move nothing and the offence would stay on the merged record."""
    import threading
    import time

    from django.db import connections

    from reporting import services

    locked, merging, merged = threading.Event(), threading.Event(), threading.Event()
    finished = {}
    hold = services._people_locked

    def held_while_the_merge_starts(*args, **kwargs):
        found = hold(*args, **kwargs)
        locked.set()
        merging.wait(timeout=10)
        merged.wait(timeout=3)  # the merge waits for the locks: it cannot finish first
        return found

    monkeypatch.setattr(services, "_people_locked", held_while_the_merge_starts)
    rows = [(pnc(2), "2026-01-10", ABH, "conviction", "2026-03-01")]

    def run_import():
        try:
            reoffending_import(actor=supervisor, upload=police_records_csv(rows), today=TODAY)
            finished["import"] = time.monotonic()
        finally:
            connections.close_all()

    def run_merge():
        try:
            locked.wait(timeout=10)
            merging.set()
            finished["merge"] = _merge(supervisor, people[0], people[1]), time.monotonic()
            merged.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_import), threading.Thread(target=run_merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    merge, merged_at = finished["merge"]
    assert merged_at > finished["import"]
    offence = SubsequentOffence.objects.get()
    assert offence.person_id == people[0].pk
    assert merge.moved["recorded_offences"] == [offence.pk]

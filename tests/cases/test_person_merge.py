"""Merging two records of one person (issue 14, part 3): what moves, what the kept record keeps, the
aliases made, the history and audit rows, the rules that refuse a merge, and undoing it exactly."""

import threading
import uuid
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections
from django.forms.models import model_to_dict
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory, PersonFactory

from cases import selectors, services
from cases.events import EventCode
from cases.models import Case, CaseEvent, Ethnicity, Person, PersonAlias, PersonChange, PersonMerge
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import FREE_TEXT_CHANGED
from reporting.models import ReoffendingImport, StaleCase, SubsequentOffence

pytestmark = pytest.mark.django_db

REASON = "Recorded twice at intake: the custody record misspelt her name."


@pytest.fixture
def duplicate(force, case_worker):
    """Kayleigh Brooks recorded a second time, as Kaylee Brookes, with no PNC ID, another phone number
    and address, an ethnic group, one case, an alias and a police record."""
    return PersonFactory(
        force=force,
        created_by=case_worker,
        given_names="Kaylee",
        family_name="Brookes",
        date_of_birth=date(1995, 4, 2),
        ethnicity=Ethnicity.objects.order_by("position").first(),
        phone="07700 900999",
        address="Flat 3, 12 River View",
        postcode="FE3 4CD",
    )


@pytest.fixture
def records(force, case_worker, supervisor, person, duplicate):
    """Both records with what hangs off them: a case each, an alias each (one the same on both), police
    records (one the same on both)."""
    kept_case = CaseFactory(force=force, owner=case_worker, person=person)
    moved_case = CaseFactory(force=force, owner=case_worker, person=duplicate)
    CaseOffenceFactory(case=moved_case, offence_date=date(2027, 5, 1))
    PersonAlias.objects.create(person=person, given_names="Kay", family_name="Brooks")
    PersonAlias.objects.create(person=duplicate, given_names="Kay", family_name="Brooks")  # held already
    PersonAlias.objects.create(person=duplicate, given_names="K", family_name="Brookes-Smith")
    batch = ReoffendingImport.objects.create(
        force=force,
        filename="police.csv",
        sha256="0" * 64,
        rows_total=3,
        rows_added=3,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
    )
    theft = OffenceFactory(name="Theft from a vehicle")
    same = {"offence": theft, "offence_date": date(2026, 1, 3), "outcome_type": "conviction"}
    SubsequentOffence.objects.create(person=person, outcome_date=date(2026, 2, 1), source=batch, **same)
    SubsequentOffence.objects.create(person=duplicate, outcome_date=date(2026, 2, 1), source=batch, **same)
    SubsequentOffence.objects.create(
        person=duplicate,
        offence=theft,
        offence_date=date(2026, 3, 3),
        outcome_type="caution",
        outcome_date=date(2026, 3, 9),
        source=batch,
    )
    return kept_case, moved_case


def merge(kept, merged, actor, *, reason=REASON, **kwargs):
    kwargs.setdefault("choices", {})
    return services.person_merge(actor=actor, kept_id=kept.pk, merged_id=merged.pk, reason=reason, **kwargs)


# The details on which the fixtures differ (the PNC ID only one has is not chosen), all kept.
ALL_FROM_KEPT = dict.fromkeys(("name", "ethnicity", "address", "phone"), "kept")


def snapshot(*people):
    """Everything about the people that a merge touches, to compare before and after an undo."""
    ids = [p.pk for p in people]
    return {
        "people": [
            model_to_dict(p) | {"merged_into": p.merged_into_id} for p in Person.objects.filter(pk__in=ids)
        ],
        "aliases": sorted(
            PersonAlias.objects.filter(person__in=ids).values_list("pk", "person_id", "given_names", "pnc_id")
        ),
        "cases": sorted(Case.objects.filter(person__in=ids).values_list("pk", "person_id")),
        "police": sorted(SubsequentOffence.objects.filter(person__in=ids).values_list("pk", "person_id")),
    }


# --- What a merge does ---------------------------------------------------------------------------


def test_a_merge_moves_cases_aliases_and_police_records_to_the_kept_record(
    person, duplicate, records, supervisor
):
    kept_case, moved_case = records

    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    assert set(Case.objects.filter(person=person)) == {kept_case, moved_case}
    assert not Case.objects.filter(person=duplicate).exists()
    # The alias the kept record already had stays behind; the other moves.
    assert set(duplicate.aliases.values_list("family_name", flat=True)) == {"Brooks"}
    assert "Brookes-Smith" in set(person.aliases.values_list("family_name", flat=True))
    # The police record the kept record already held stays behind (unique), the other moves.
    assert person.recorded_offences.count() == 2
    assert duplicate.recorded_offences.count() == 1
    assert done.moved["cases"] == [moved_case.pk]
    assert len(done.moved["aliases"]) == 1 and len(done.moved["recorded_offences"]) == 1


def test_the_merged_record_points_to_the_kept_one_and_leaves_every_list(
    person, duplicate, records, supervisor, case_worker
):
    merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    duplicate.refresh_from_db()
    assert duplicate.merged_into == person
    assert duplicate not in selectors.person_list_for(case_worker)
    assert duplicate in selectors.person_record_list_for(case_worker)
    found = selectors.person_match_list_for(
        case_worker, given_names="Kaylee", family_name="Brookes", date_of_birth=date(1995, 4, 2)
    )
    assert list(found) == [person]  # by the alias the merge made, never the merged record
    assert selectors.person_search_for(case_worker, "Kaylee Brookes") == []  # names, not aliases


def test_the_chosen_values_are_kept_and_each_change_is_in_the_history_with_the_reason(
    person, duplicate, records, supervisor
):
    choices = {"name": "kept", "ethnicity": "merged", "address": "merged", "phone": "kept"}

    done = merge(person, duplicate, supervisor, choices=choices)

    person.refresh_from_db()
    assert (person.given_names, person.family_name, person.phone) == ("Kayleigh", "Brooks", "07700 900111")
    assert person.ethnicity == duplicate.ethnicity
    assert (person.address, person.postcode) == ("Flat 3, 12 River View", "FE3 4CD")
    history = {c.field: c for c in PersonChange.objects.filter(person=person)}
    assert {"ethnicity", "address", "postcode", "merged_from"} <= set(history)
    assert "phone" not in history and "given_names" not in history
    assert (history["address"].old_value, history["address"].new_value) == (
        "1 Mill Lane",
        "Flat 3, 12 River View",
    )
    assert history["merged_from"].new_value.startswith(
        "Kaylee Brookes, born 2 April 1995, PNC ID not recorded"
    )
    assert {c.reason for c in history.values()} == {REASON}
    assert {c.changed_by for c in history.values()} == {supervisor}
    assert sorted(done.from_merged) == ["address", "ethnicity"]
    merged_history = {c.field: c.new_value for c in PersonChange.objects.filter(person=duplicate)}
    assert merged_history == {"merged_into": "Kayleigh Brooks"}


def test_the_names_not_kept_become_aliases_of_the_kept_record(person, duplicate, supervisor):
    merge(person, duplicate, supervisor, choices={**ALL_FROM_KEPT, "name": "merged"})

    person.refresh_from_db()
    assert person.full_name == "Kaylee Brookes"
    aliases = {str(a) for a in person.aliases.filter(ended_at=None)}
    assert aliases == {"Kayleigh Brooks"}  # its own former name; the merged record's is its name now
    assert PersonChange.objects.filter(
        person=person, field="alias_added", new_value="Kayleigh Brooks"
    ).exists()


def test_the_merged_records_name_becomes_an_alias(person, duplicate, supervisor):
    merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    assert {str(a) for a in person.aliases.all()} == {"Kaylee Brookes"}


def test_a_pnc_id_only_the_merged_record_has_is_taken_by_the_kept_record(person, duplicate, supervisor):
    Person.objects.filter(pk=person.pk).update(pnc_id="")
    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    person.refresh_from_db()
    duplicate.refresh_from_db()

    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    person.refresh_from_db()
    duplicate.refresh_from_db()
    assert person.pnc_id == "12/0345678X" and duplicate.pnc_id == ""
    assert "pnc_id" in done.from_merged
    assert PersonChange.objects.filter(person=duplicate, field="pnc_id", old_value="12/0345678X").exists()


def test_two_pnc_ids_are_merged_only_once_the_supervisor_confirms_they_checked(person, duplicate, supervisor):
    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    choices = {**ALL_FROM_KEPT, "pnc_id": "merged"}

    with pytest.raises(ValidationError) as refused:
        merge(person, duplicate, supervisor, choices=choices)
    assert "different PNC IDs (15/0023456B and 12/0345678X)" in refused.value.message_dict["pnc_confirmed"][0]
    assert not PersonMerge.objects.exists()

    merge(person, duplicate, supervisor, choices=choices, pnc_confirmed=True)

    person.refresh_from_db()
    assert person.pnc_id == "12/0345678X"
    assert Person.objects.get(pk=duplicate.pk).pnc_id == ""
    # The kept record's former PNC ID, with its former... the same name: the PNC ID alone.
    assert {str(a) for a in person.aliases.all()} == {"Kaylee Brookes", "PNC ID 15/0023456B"}


def test_a_pnc_id_of_a_merged_record_still_finds_the_person_and_is_not_given_to_another(
    person, duplicate, supervisor, case_worker, force
):
    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    merge(person, duplicate, supervisor, choices={**ALL_FROM_KEPT, "pnc_id": "kept"}, pnc_confirmed=True)

    assert selectors.person_search_for(case_worker, "12/345678x") == [person]
    with pytest.raises(ValidationError) as refused:
        services.person_create(
            actor=case_worker,
            data={
                "given_names": "Someone",
                "family_name": "Else",
                "date_of_birth": date(1990, 1, 1),
                "sex": "male",
                "pnc_id": "12/0345678X",
            },
        )
    assert "pnc_id" in refused.value.message_dict
    other = PersonFactory(force=force)
    with pytest.raises(ValidationError):
        services.person_correct(
            person_id=other.pk, actor=case_worker, changes={"pnc_id": "12/0345678X"}, reason="x"
        )


def test_a_merge_is_on_the_timeline_of_every_case_moved(person, duplicate, records, supervisor):
    kept_case, moved_case = records

    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    event = CaseEvent.objects.get(case=moved_case, code=EventCode.PERSON_MERGED)
    assert event.actor == supervisor and event.notes == REASON
    assert event.details == {"merge": done.pk, "from_person": duplicate.pk, "to_person": person.pk}
    assert not CaseEvent.objects.filter(case=kept_case, code=EventCode.PERSON_MERGED).exists()


def test_a_merge_is_audited_on_both_records_without_values_or_the_reason_typed(
    person, duplicate, records, supervisor
):
    merge(person, duplicate, supervisor, choices={**ALL_FROM_KEPT, "phone": "merged"})

    kept_row = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(person.pk))
    assert kept_row.actor == supervisor and kept_row.owner_organisation == person.force
    assert kept_row.changes == {"phone": [FREE_TEXT_CHANGED, FREE_TEXT_CHANGED]}
    assert kept_row.reason == (
        f"Person #{duplicate.pk} merged into this record; moved: aliases 1, cases 1, recorded offences 1; "
        "changed: phone number"
    )
    merged_row = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(duplicate.pk))
    assert merged_row.reason == f"Record merged into person #{person.pk}"
    for row in (kept_row, merged_row):
        assert REASON not in row.reason and "Kaylee" not in row.reason and "900999" not in str(row.changes)


def test_the_moved_cases_summaries_are_marked_for_a_refresh(person, duplicate, records, supervisor):
    StaleCase.objects.all().delete()

    merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    assert {c.pk for c in records} <= set(StaleCase.objects.values_list("case_id", flat=True))


# --- What refuses a merge -------------------------------------------------------------------------


def _nothing_merged(*people):
    assert not PersonMerge.objects.exists()
    assert not PersonChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()
    assert not Person.objects.filter(pk__in=[p.pk for p in people], merged_into__isnull=False).exists()


def test_only_supervisors_merge(person, duplicate, case_worker, decision_maker):
    for actor in (case_worker, decision_maker):
        with pytest.raises(services.CaseError, match="Only supervisors"):
            merge(person, duplicate, actor, choices=ALL_FROM_KEPT)
    _nothing_merged(person, duplicate)


def test_another_forces_person_does_not_exist(
    person, duplicate, outsider_supervisor, supervisor, other_force
):
    with pytest.raises(services.CaseError, match="does not exist"):
        merge(person, duplicate, outsider_supervisor, choices=ALL_FROM_KEPT)
    stranger = PersonFactory(force=other_force)
    with pytest.raises(services.CaseError, match="does not exist"):
        merge(person, stranger, supervisor, choices=ALL_FROM_KEPT)
    _nothing_merged(person, duplicate, stranger)


def test_a_record_is_not_merged_into_itself(person, supervisor):
    with pytest.raises(services.CaseError, match="cannot be merged into itself"):
        merge(person, person, supervisor)
    _nothing_merged(person)


def test_a_record_is_not_merged_into_a_merged_record_nor_merged_twice(person, duplicate, supervisor, force):
    third = PersonFactory(
        force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
    )
    merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    with pytest.raises(services.CaseError, match="merge into that one instead"):
        merge(duplicate, third, supervisor)
    with pytest.raises(services.CaseError, match="already merged into another record"):
        merge(third, duplicate, supervisor)
    assert PersonMerge.objects.count() == 1


def test_each_detail_that_differs_must_be_chosen(person, duplicate, supervisor):
    with pytest.raises(
        services.CaseError, match="Choose which record's value to keep for: ethnicity, phone number"
    ):
        merge(person, duplicate, supervisor, choices={"name": "kept", "address": "kept"})
    _nothing_merged(person, duplicate)


def test_a_reason_is_required(person, duplicate, supervisor):
    with pytest.raises(ValidationError) as refused:
        merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT, reason="  ")
    assert refused.value.message_dict == {"reason": ["Give the reason for the change."]}
    _nothing_merged(person, duplicate)


def test_a_date_of_birth_after_an_offence_on_either_record_is_refused(person, duplicate, supervisor, force):
    Person.objects.filter(pk=duplicate.pk).update(date_of_birth=date(2027, 5, 2))
    case = CaseFactory(force=force, person=person)
    CaseOffenceFactory(case=case, offence_date=date(2027, 5, 1))

    with pytest.raises(ValidationError) as refused:
        merge(person, duplicate, supervisor, choices={**ALL_FROM_KEPT, "date_of_birth": "merged"})

    assert "after the offence on 1 May 2027" in refused.value.message_dict["date_of_birth"][0]
    _nothing_merged(person, duplicate)
    assert case.person_id == person.pk


# --- Repeated and simultaneous merges ---------------------------------------------------------------


def test_a_repeated_submission_returns_the_merge_already_made(person, duplicate, records, supervisor):
    token = uuid.uuid4()
    first = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT, submission_token=token)
    again = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT, submission_token=token)
    without_token = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    assert first == again == without_token
    assert PersonMerge.objects.count() == 1
    assert CaseEvent.objects.filter(code=EventCode.PERSON_MERGED).count() == 1
    assert PersonChange.objects.filter(field="merged_from").count() == 1


def test_a_used_form_after_an_undo_does_not_merge_again(person, duplicate, supervisor):
    token = uuid.uuid4()
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT, submission_token=token)
    services.person_merge_undo(merge_id=done.pk, actor=supervisor, reason="Two people after all.")

    again = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT, submission_token=token)

    assert again == done and not again.is_live
    assert Person.objects.get(pk=duplicate.pk).merged_into is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("same_token", [True, False])
def test_two_supervisors_merging_the_same_records_at_once_merge_them_once(
    person, duplicate, records, supervisor, force, same_token
):
    """One merges Brookes into Brooks, the other (or a double click) the same from the other page, at
    the same moment: the rows are locked lowest id first, so one waits for the other, sees the merge
    made and returns it. No deadlock, one merge."""
    token = uuid.uuid4()
    start = threading.Barrier(2)
    results = []

    def run():
        try:
            start.wait(timeout=10)
            results.append(
                merge(
                    person,
                    duplicate,
                    supervisor,
                    choices=ALL_FROM_KEPT,
                    submission_token=token if same_token else uuid.uuid4(),
                )
            )
        except Exception as exc:  # reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0].pk == results[1].pk
    assert PersonMerge.objects.count() == 1
    assert CaseEvent.objects.filter(code=EventCode.PERSON_MERGED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_merges_of_the_same_records_from_either_side_never_deadlock(person, duplicate, supervisor, force):
    """A into B and B into A at the same moment: one is made, the other refused (its record merged)."""
    start = threading.Barrier(2)
    results = []

    def run(kept, merged):
        try:
            start.wait(timeout=10)
            results.append(merge(kept, merged, supervisor, choices=ALL_FROM_KEPT))
        except Exception as exc:  # reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in ((person, duplicate), (duplicate, person))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    made = [r for r in results if isinstance(r, PersonMerge)]
    refused = [r for r in results if isinstance(r, services.CaseError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert PersonMerge.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_opened_while_the_record_is_merged_is_refused_not_left_behind(
    person, duplicate, supervisor, case_worker, force, scheme, area
):
    """The case waits for the merge's lock on the person, then finds the record merged."""
    locked = threading.Event()
    outcome = []

    def open_case():
        try:
            locked.wait(timeout=10)
            outcome.append(
                services.case_create(
                    actor=case_worker,
                    person=Person.objects.get(pk=duplicate.pk),
                    scheme=scheme,
                    area=area,
                    owner=case_worker,
                    arrest_date=date(2027, 6, 1),
                    offences=[
                        services.OffenceEntry(OffenceFactory(name="Common assault"), date(2027, 5, 30))
                    ],
                    victim_type="none",
                )
            )
        except Exception as exc:  # reported below
            outcome.append(exc)
        finally:
            connections.close_all()

    from django.db import transaction

    opener = threading.Thread(target=open_case)
    opener.start()
    with transaction.atomic():
        done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
        locked.set()
        opener.join(timeout=2)  # it is waiting for the merge's lock
        assert opener.is_alive()
    opener.join(timeout=30)

    assert isinstance(outcome[0], ValidationError), outcome
    assert "merged into another person's record" in str(outcome[0])
    assert not Case.objects.filter(person=duplicate).exists()
    assert done.is_live


# --- Undoing a merge --------------------------------------------------------------------------------


def test_undoing_a_merge_restores_both_records_exactly(person, duplicate, records, supervisor):
    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    before = snapshot(person, duplicate)
    done = merge(
        person,
        duplicate,
        supervisor,
        choices={
            "name": "merged",
            "ethnicity": "merged",
            "address": "kept",
            "phone": "merged",
            "pnc_id": "merged",
        },
        pnc_confirmed=True,
    )
    assert snapshot(person, duplicate) != before

    undone = services.person_merge_undo(
        merge_id=done.pk, actor=supervisor, reason="Two sisters, not one person."
    )

    assert snapshot(person, duplicate) == before
    assert undone.undone_by == supervisor and undone.undo_reason == "Two sisters, not one person."
    assert not undone.is_live
    kept_undo = {c.field: c for c in PersonChange.objects.filter(person=person, reason=undone.undo_reason)}
    assert {"given_names", "family_name", "ethnicity", "phone", "pnc_id", "merge_undone"} <= set(kept_undo)
    assert kept_undo["given_names"].old_value == "Kaylee" and kept_undo["given_names"].new_value == "Kayleigh"
    moved_case = records[1]
    assert CaseEvent.objects.filter(case=moved_case, code=EventCode.PERSON_MERGE_UNDONE).count() == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGED,
        object_id=str(duplicate.pk),
        reason=f"Merge into person #{person.pk} undone",
    ).exists()
    assert duplicate in selectors.person_list_for(supervisor)


def test_undoing_twice_does_nothing_more(person, duplicate, supervisor):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    services.person_merge_undo(merge_id=done.pk, actor=supervisor, reason="Wrong.")
    rows = PersonChange.objects.count()

    again = services.person_merge_undo(merge_id=done.pk, actor=supervisor, reason="Wrong.")

    assert not again.is_live and PersonChange.objects.count() == rows


def _refused_undo(done, supervisor, match):
    assert match in services.person_merge_undo_refusal(PersonMerge.objects.get(pk=done.pk))
    with pytest.raises(services.CaseError, match=match):
        services.person_merge_undo(merge_id=done.pk, actor=supervisor, reason="Wrong.")
    assert PersonMerge.objects.get(pk=done.pk).is_live
    assert Person.objects.get(pk=done.merged_id).merged_into_id == done.kept_id


def test_a_merge_is_not_undone_once_the_kept_record_is_corrected(person, duplicate, supervisor, case_worker):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    services.person_correct(
        person_id=person.pk, actor=case_worker, changes={"phone": "07700 900000"}, reason="New"
    )

    _refused_undo(done, supervisor, "has changed since the merge")


def test_a_merge_is_not_undone_once_an_alias_changed(person, duplicate, supervisor, case_worker):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    services.person_alias_add(
        person_id=person.pk, actor=case_worker, given_names="", family_name="B", reason="x"
    )

    _refused_undo(done, supervisor, "has changed since the merge")


def test_a_merge_is_not_undone_once_a_detail_changed_by_any_route(person, duplicate, supervisor):
    """A change that wrote no history (the admin, an import, SQL) is found by comparing the details."""
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    Person.objects.filter(pk=duplicate.pk).update(phone="07700 900001")

    _refused_undo(done, supervisor, "has changed since the merge")


def test_a_merge_is_not_undone_once_an_alias_it_added_is_gone(person, duplicate, supervisor):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    PersonAlias.objects.filter(pk__in=done.aliases_added).delete()

    _refused_undo(done, supervisor, "An alias the merge moved or added")


def test_a_merge_is_not_undone_once_the_kept_record_is_merged_into_another(
    person, duplicate, supervisor, force
):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    third = PersonFactory(
        force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
    )
    merge(third, person, supervisor, choices={"pnc_id": "merged", "address": "kept", "phone": "kept"})

    _refused_undo(done, supervisor, "undo that merge first")


def test_a_merge_is_not_undone_once_police_records_were_imported_for_the_kept_record(
    person, duplicate, records, supervisor, force, time_machine
):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    time_machine.shift(60)
    batch = ReoffendingImport.objects.create(
        force=force,
        filename="later.csv",
        sha256="1" * 64,
        rows_total=1,
        rows_added=1,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
    )
    SubsequentOffence.objects.create(
        person=person,
        offence=OffenceFactory(name="Common assault"),
        offence_date=date(2026, 5, 1),
        outcome_type="caution",
        outcome_date=date(2026, 5, 2),
        source=batch,
    )

    _refused_undo(done, supervisor, "Police records have been imported")


def test_a_later_merge_into_the_kept_record_blocks_undoing_the_earlier_one(
    person, duplicate, supervisor, force
):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)
    third = PersonFactory(
        force=force, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
    )
    later = merge(person, third, supervisor, choices={"address": "kept", "phone": "kept"})

    _refused_undo(done, supervisor, "has changed since the merge")
    services.person_merge_undo(merge_id=later.pk, actor=supervisor, reason="Undo the later one first.")
    # The later undo wrote history on the kept record too: the earlier merge stays.
    assert "has changed since the merge" in services.person_merge_undo_refusal(
        PersonMerge.objects.get(pk=done.pk)
    )


def test_only_supervisors_of_the_force_undo(person, duplicate, supervisor, case_worker, outsider_supervisor):
    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    with pytest.raises(services.CaseError, match="Only supervisors"):
        services.person_merge_undo(merge_id=done.pk, actor=case_worker, reason="x")
    with pytest.raises(services.CaseError, match="does not exist"):
        services.person_merge_undo(merge_id=done.pk, actor=outsider_supervisor, reason="x")
    assert PersonMerge.objects.get(pk=done.pk).is_live


# --- The merged record elsewhere -----------------------------------------------------------------------


def test_a_merged_record_is_not_corrected_and_gets_no_case(
    person, duplicate, supervisor, case_worker, scheme, area
):
    merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    with pytest.raises(services.CaseError, match="correct that record instead"):
        services.person_correct(person_id=duplicate.pk, actor=case_worker, changes={"phone": "1"}, reason="x")
    with pytest.raises(ValidationError) as refused:
        services.case_create(
            actor=case_worker,
            person=Person.objects.get(pk=duplicate.pk),
            scheme=scheme,
            area=area,
            owner=case_worker,
            arrest_date=date(2027, 6, 1),
            offences=[services.OffenceEntry(OffenceFactory(name="Common assault"), date(2027, 5, 30))],
            victim_type="none",
        )
    assert "merged into another person's record" in refused.value.message_dict["person"][0]


def test_the_reoffending_import_finds_a_person_by_the_pnc_id_of_a_record_merged_into_theirs(
    person, duplicate, supervisor
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.services import reoffending_import

    Person.objects.filter(pk=duplicate.pk).update(pnc_id="12/0345678X")
    merge(person, duplicate, supervisor, choices={**ALL_FROM_KEPT, "pnc_id": "kept"}, pnc_confirmed=True)
    OffenceFactory(name="Common assault")
    upload = SimpleUploadedFile(
        "records.csv",
        b"pnc_id,offence_date,offence,outcome_type,outcome_date\n"
        b"12/0345678X,2026-05-01,Common assault,caution,2026-05-02\n",
    )

    result = reoffending_import(actor=supervisor, upload=upload)

    assert not result.errors and result.batch.rows_added == 1
    assert SubsequentOffence.objects.get().person == person


def test_every_reference_to_a_person_is_moved_by_a_merge():
    """Every model holding a person: moved by ``person_merge`` (cases, aliases), by a handler of
    ``PersonMerged`` (police records), kept on its own record (the history, the merges), or a summary
    the triggers refresh. A new reference fails here until the merge handles it."""
    handled = {
        ("cases.Case", "person"),  # moved, and back on undo
        ("cases.PersonAlias", "person"),  # moved, and back on undo
        ("cases.PersonChange", "person"),  # each record keeps its own history
        ("cases.Person", "merged_into"),  # the merge itself
        ("cases.PersonMerge", "kept"),
        ("cases.PersonMerge", "merged"),
        ("reporting.SubsequentOffence", "person"),  # reporting.services.recorded_offences_merge
        ("reporting.CaseFact", "person"),  # a summary of the case, refreshed by the triggers
        ("subjectaccess.SubjectAccessRequest", "person"),  # subjectaccess.people.requests_merge
        ("retention.LegalHold", "person"),  # retention.merging.retention_merge
        ("retention.RetentionReview", "person"),  # retention.merging.retention_merge (or dropped)
        ("retention.ErasureRecord", "person"),  # an erased record is never merged (_merge_refusal)
        # Forgotten for both records, found again for the kept one (person_duplicates_refresh).
        ("cases.SuspectedDuplicate", "person"),
        ("cases.SuspectedDuplicate", "other"),
    }
    found = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Person
    }
    assert found == handled


def test_an_alias_that_is_the_kept_records_own_name_stays_behind(person, duplicate, supervisor):
    PersonAlias.objects.create(person=duplicate, given_names="Kayleigh", family_name="BROOKS")

    done = merge(person, duplicate, supervisor, choices=ALL_FROM_KEPT)

    assert done.moved["aliases"] == []
    assert not person.aliases.filter(family_name__iexact="brooks").exists()

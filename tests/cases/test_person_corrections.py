"""Correcting a person (issue 14, part 1): the service's rules, its history rows and audit row."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, PersonFactory

from cases import services
from cases.models import Ethnicity, Person, PersonAlias, PersonChange
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import FREE_TEXT_CHANGED

pytestmark = pytest.mark.django_db

REASON = "The person gave a new phone number at the appointment."


def correct(person, actor, reason=REASON, **changes):
    return services.person_correct(person_id=person.pk, actor=actor, changes=changes, reason=reason)


def test_a_correction_changes_the_person_and_writes_a_history_row_per_field(person, case_worker):
    rows = correct(person, case_worker, phone="07700 900222", email="kb@example.com")

    person.refresh_from_db()
    assert (person.phone, person.email) == ("07700 900222", "kb@example.com")
    history = {c.field: c for c in PersonChange.objects.filter(person=person)}
    assert set(history) == {"phone", "email"} == {r.field for r in rows}
    assert (history["phone"].old_value, history["phone"].new_value) == ("07700 900111", "07700 900222")
    assert (history["email"].old_value, history["email"].new_value) == ("", "kb@example.com")
    assert {c.reason for c in history.values()} == {REASON}
    assert {c.changed_by for c in history.values()} == {case_worker}
    assert len({c.changed_at for c in history.values()}) == 1  # one correction, one moment


def test_a_correction_is_audited_without_the_values_or_the_reason_typed(person, case_worker):
    correct(person, case_worker, phone="07700 900222")

    event = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(person.pk))
    assert event.actor == case_worker
    assert event.owner_organisation == person.force
    assert event.changes == {"phone": [FREE_TEXT_CHANGED, FREE_TEXT_CHANGED]}
    assert event.reason == "Person corrected: phone number"
    assert "900222" not in str(event.changes) and REASON not in event.reason


def test_history_shows_display_values_not_ids(person, case_worker):
    ethnicity = Ethnicity.objects.order_by("position")[1]
    correct(person, case_worker, ethnicity=ethnicity, sex="female", date_of_birth=date(1995, 4, 3))

    history = {c.field: c for c in PersonChange.objects.filter(person=person)}
    assert (history["ethnicity"].old_value, history["ethnicity"].new_value) == ("", ethnicity.name)
    assert (history["sex"].old_value, history["sex"].new_value) == ("Male", "Female")
    assert (history["date_of_birth"].old_value, history["date_of_birth"].new_value) == (
        "2 April 1995",
        "3 April 1995",
    )


def test_a_future_date_of_birth_is_refused_and_nothing_is_saved(person, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, date_of_birth=timezone.localdate() + timedelta(days=1))

    assert refused.value.message_dict == {"date_of_birth": ["Date of birth must be in the past."]}
    person.refresh_from_db()
    assert person.date_of_birth == date(1995, 4, 2)
    assert not PersonChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_a_date_of_birth_after_an_offence_on_the_persons_case_is_refused(person, case_worker, force):
    case = CaseFactory(force=force, owner=case_worker, person=person)
    CaseOffenceFactory(case=case, offence_date=date(2027, 1, 10))

    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, date_of_birth=date(2027, 2, 1))

    assert "cannot be after the offence on 10 January 2027" in refused.value.message_dict["date_of_birth"][0]
    assert not PersonChange.objects.exists()


def test_a_pnc_id_held_by_another_person_of_the_force_is_refused_in_any_format(person, case_worker, force):
    PersonFactory(force=force, pnc_id="12/0345678X")

    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, pnc_id="2012/345678x")

    assert "Another person recorded by your force has this PNC ID" in refused.value.message_dict["pnc_id"][0]
    person.refresh_from_db()
    assert person.pnc_id == "15/0023456B"
    assert not PersonChange.objects.exists()


def test_a_pnc_id_held_in_another_force_is_no_obstacle(person, case_worker, other_force):
    PersonFactory(force=other_force, pnc_id="12/0345678X")

    correct(person, case_worker, pnc_id="2012/345678x")

    person.refresh_from_db()
    assert person.pnc_id == "12/0345678X"  # stored normalised
    assert PersonChange.objects.get().new_value == "12/0345678X"


def test_a_malformed_pnc_id_is_refused(person, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, pnc_id="not a pnc")

    assert "YY/NNNNNNNA" in refused.value.message_dict["pnc_id"][0]


def test_the_same_pnc_id_written_another_way_changes_nothing(person, case_worker):
    assert correct(person, case_worker, pnc_id="2015/23456b") == []
    assert not PersonChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_a_correction_that_changes_nothing_writes_nothing(person, case_worker):
    assert correct(person, case_worker, phone=" 07700 900111 ", postcode="FE1 2AB") == []
    assert not PersonChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_only_the_fields_that_changed_are_recorded(person, case_worker):
    rows = correct(person, case_worker, address="4 New Road\nFenchester", postcode="FE1 2AB")

    assert [r.field for r in rows] == ["address"]


def test_a_reason_is_required(person, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, reason="  ", phone="07700 900222")

    assert refused.value.message_dict == {"reason": ["Give the reason for the change."]}
    person.refresh_from_db()
    assert person.phone == "07700 900111"


def test_an_interpreter_needs_a_language(person, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(person, case_worker, interpreter_needed=True, interpreter_language="")

    assert "interpreter_language" in refused.value.message_dict
    assert not PersonChange.objects.exists()


def test_a_decision_maker_cannot_correct_a_person(person, decision_maker):
    with pytest.raises(services.CaseError, match="Only case workers and supervisors"):
        correct(person, decision_maker, phone="07700 900222")


def test_a_supervisor_can_correct_a_person(person, supervisor):
    correct(person, supervisor, family_name="Brookes")

    person.refresh_from_db()
    assert person.family_name == "Brookes"


def test_another_forces_person_cannot_be_corrected(person, outsider_supervisor):
    with pytest.raises(services.CaseError, match="does not exist"):
        correct(person, outsider_supervisor, phone="07700 900222")
    person.refresh_from_db()
    assert person.phone == "07700 900111"


def test_a_field_that_is_not_a_detail_is_refused(person, case_worker):
    with pytest.raises(services.CaseError, match="cannot be corrected here: force"):
        correct(person, case_worker, force=None)


@pytest.mark.postgres
def test_the_person_row_is_locked_while_it_is_corrected(person, case_worker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        correct(person, case_worker, phone="07700 900222")

    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and '"cases_person"' in q["sql"]]
    assert locks and 'FOR UPDATE OF "cases_person"' in locks[0]


# --- Aliases ------------------------------------------------------------------------------------------


def test_an_alias_is_added_with_its_history_row_and_audit(person, case_worker):
    alias = services.person_alias_add(
        person_id=person.pk, actor=case_worker, given_names="Kaylee", family_name="Brookes", reason=REASON
    )

    assert alias.is_current and str(alias) == "Kaylee Brookes"
    change = PersonChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("alias_added", "", "Kaylee Brookes")
    event = AuditEvent.objects.get(action=AuditAction.CHANGED)
    assert event.reason == "Person corrected: alias added"
    assert "Brookes" not in str(event.changes)


def test_adding_a_current_alias_again_does_nothing(person, case_worker):
    first = services.person_alias_add(
        person_id=person.pk, actor=case_worker, given_names="Kaylee", family_name="Brookes", reason=REASON
    )
    again = services.person_alias_add(
        person_id=person.pk, actor=case_worker, given_names="kaylee", family_name="BROOKES", reason=REASON
    )

    assert again == first
    assert PersonAlias.objects.count() == 1
    assert PersonChange.objects.count() == 1


def test_the_persons_own_name_is_not_an_alias(person, case_worker):
    with pytest.raises(ValidationError, match="own name"):
        services.person_alias_add(
            person_id=person.pk,
            actor=case_worker,
            given_names="Kayleigh",
            family_name="brooks",
            reason=REASON,
        )
    assert not PersonAlias.objects.exists()


def test_an_ended_alias_keeps_its_history(person, case_worker, supervisor):
    alias = PersonAlias.objects.create(person=person, given_names="Kaylee", family_name="Brookes")

    services.person_alias_end(
        person_id=person.pk, alias_id=alias.pk, actor=supervisor, reason="A misspelling."
    )

    alias.refresh_from_db()
    assert not alias.is_current
    assert (alias.ended_by, alias.end_reason) == (supervisor, "A misspelling.")
    assert alias.ended_at is not None
    change = PersonChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("alias_ended", "Kaylee Brookes", "")
    assert Person.objects.get(pk=person.pk).aliases.count() == 1  # kept, not deleted


def test_ending_an_alias_twice_does_nothing_the_second_time(person, case_worker, supervisor):
    alias = PersonAlias.objects.create(person=person, given_names="Kaylee", family_name="Brookes")
    services.person_alias_end(person_id=person.pk, alias_id=alias.pk, actor=case_worker, reason="Wrong.")

    services.person_alias_end(person_id=person.pk, alias_id=alias.pk, actor=supervisor, reason="Again.")

    alias.refresh_from_db()
    assert (alias.ended_by, alias.end_reason) == (case_worker, "Wrong.")
    assert PersonChange.objects.count() == 1


def test_another_persons_alias_cannot_be_ended(person, case_worker, force):
    other = PersonAlias.objects.create(person=PersonFactory(force=force), family_name="Smith")

    with pytest.raises(services.CaseError, match="alias does not exist"):
        services.person_alias_end(person_id=person.pk, alias_id=other.pk, actor=case_worker, reason="Wrong.")
    other.refresh_from_db()
    assert other.is_current


def test_an_alias_needs_a_reason_and_a_family_name(person, case_worker):
    with pytest.raises(ValidationError, match="reason"):
        services.person_alias_add(
            person_id=person.pk, actor=case_worker, given_names="Kaylee", family_name="Brookes", reason=""
        )
    with pytest.raises(ValidationError, match="family name"):
        services.person_alias_add(
            person_id=person.pk, actor=case_worker, given_names="Kaylee", family_name=" ", reason=REASON
        )
    assert not PersonAlias.objects.exists()

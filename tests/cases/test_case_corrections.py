"""Correcting a case (issue 14, part 2): the services' rules, who may correct what and when, the
timeline event and audit row of each correction, and the decision-maker told when the answer changes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, SEXUAL_ASSAULT, CaseFactory, CaseOffenceFactory, OffenceFactory

from cases import services
from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseOffence, CaseStatus
from cases.rules import latest_proceedings_date
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import FREE_TEXT_CHANGED
from offenderhub.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

REASON = "Mistyped at intake."


@pytest.fixture
def case(force, scheme, area, case_worker, person):
    case = CaseFactory(force=force, scheme=scheme, area=area, owner=case_worker, person=person)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))  # either way: no six-month limit
    return case


@pytest.fixture
def decided(case, case_worker, decision_maker, decide_kwargs):
    """The case decided eligible by the decision-maker."""
    services.case_submit_for_decision(case_id=case.pk, actor=case_worker)
    services.eligibility_decide(case_id=case.pk, actor=decision_maker, **decide_kwargs())
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT
    return case


def correct(case, actor, reason=REASON, **changes):
    return services.case_correct(case_id=case.pk, actor=actor, changes=changes, reason=reason)


def add_offence(case, actor, name=COMMON_ASSAULT, days_before_arrest=2, reason=REASON):
    return services.case_offence_correct_add(
        case_id=case.pk,
        actor=actor,
        offence=OffenceFactory(name=name),
        offence_date=case.arrest_date - timedelta(days=days_before_arrest),
        reason=reason,
    )


def nothing_written(case):
    return (
        not CaseEvent.objects.filter(
            case=case, code__in=[EventCode.CASE_CORRECTED, EventCode.OFFENCE_ADDED, EventCode.OFFENCE_REMOVED]
        ).exists()
        and not AuditEvent.objects.filter(
            action=AuditAction.CHANGED, object_id=str(case.pk), reason__startswith="Case corrected"
        ).exists()
    )


# --- Details ------------------------------------------------------------------------------------------


def test_correcting_the_arrest_date_writes_old_and_new_on_the_timeline_and_audit(case, case_worker):
    new = case.arrest_date + timedelta(days=1)

    event = correct(case, case_worker, arrest_date=new)

    case.refresh_from_db()
    assert case.arrest_date == new
    assert event.code == EventCode.CASE_CORRECTED and event.actor == case_worker
    old_text = f"{(new - timedelta(days=1)).day} {new - timedelta(days=1):%B %Y}"
    new_text = f"{new.day} {new:%B %Y}"
    assert event.summary == f"Corrected: arrest or report date {old_text} → {new_text}"
    assert event.notes == REASON
    assert event.details["changes"] == {"arrest_date": [old_text, new_text]}
    audit = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(case.pk))
    assert audit.changes == {"arrest_date": [old_text, new_text]}
    assert audit.reason == "Case corrected: arrest or report date"


def test_free_text_is_recorded_as_changed_without_its_content(case, case_worker):
    event = correct(case, case_worker, circumstances="Kicked a bin outside the station.")

    assert event.summary == "Corrected: circumstances changed"
    assert event.details["changes"] == {"circumstances": ["", FREE_TEXT_CHANGED]}
    audit = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(case.pk))
    assert audit.changes == {"circumstances": ["", FREE_TEXT_CHANGED]}
    assert "bin" not in str(audit.changes) and "bin" not in event.summary


def test_a_correction_that_changes_nothing_writes_nothing(case, case_worker):
    assert (
        correct(case, case_worker, arrest_date=case.arrest_date, circumstances=f" {case.circumstances} ")
        is None
    )
    assert correct(case, case_worker, flags=[]) is None
    assert nothing_written(case)


def test_the_same_correction_twice_is_made_once(case, case_worker):
    assert correct(case, case_worker, flags=["weapon", "hate_crime"]) is not None
    assert correct(case, case_worker, flags=["hate_crime", "weapon"]) is None
    case.refresh_from_db()
    assert case.flags == ["hate_crime", "weapon"]
    assert CaseEvent.objects.filter(case=case, code=EventCode.CASE_CORRECTED).count() == 1


def test_a_correction_needs_a_reason(case, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(case, case_worker, reason="  ", circumstances="New")
    assert refused.value.message_dict == {"reason": ["Give the reason for the change."]}
    assert nothing_written(case)


def test_an_arrest_date_before_an_offence_or_in_the_future_is_refused(case, case_worker):
    with pytest.raises(ValidationError) as refused:
        correct(case, case_worker, arrest_date=case.arrest_date - timedelta(days=5))
    assert "cannot be before the offence on" in refused.value.message_dict["arrest_date"][0]
    with pytest.raises(ValidationError) as refused:
        correct(case, case_worker, arrest_date=timezone.localdate() + timedelta(days=1))
    assert "cannot be in the future" in refused.value.message_dict["arrest_date"][0]
    assert nothing_written(case)


def test_no_victim_with_a_consent_recorded_is_refused_and_nothing_is_half_saved(case, case_worker):
    correct(case, case_worker, victim_type="person", victim_rj_consent="consents")

    with pytest.raises(ValidationError) as refused:
        correct(case, case_worker, victim_type="none", circumstances="Changed too")

    assert (
        "correct it before saying there is no identifiable victim"
        in refused.value.message_dict["victim_type"][0]
    )
    case.refresh_from_db()
    assert (case.victim_type, case.circumstances) == ("person", "")


def test_the_victims_views_are_corrected_before_the_decision(case, case_worker):
    obtained = timezone.localdate() - timedelta(days=3)
    event = correct(
        case,
        case_worker,
        victim_type="person",
        victim_views="Happy with a caution.",
        victim_views_obtained_on=obtained,
        victim_rj_consent="consents",
    )
    case.refresh_from_db()
    assert (case.victim_views, case.victim_views_obtained_on) == ("Happy with a caution.", obtained)
    assert event.details["changes"]["victim_views"] == ["", FREE_TEXT_CHANGED]
    assert event.details["changes"]["victim_rj_consent"] == [
        "Not applicable",
        "Consents to restorative justice",
    ]


def test_the_victims_views_are_refused_after_the_decision(decided, supervisor):
    with pytest.raises(services.CaseError, match="cannot be corrected after the eligibility decision"):
        correct(decided, supervisor, victim_views="Changed their mind.")
    assert nothing_written(decided)


def test_other_details_may_still_be_corrected_after_the_decision(decided, case_worker):
    assert correct(decided, case_worker, circumstances="Fuller account.") is not None


def test_partners_analysts_and_decision_makers_cannot_correct_details(
    case, decision_maker, practitioner, analyst
):
    for user in (decision_maker, practitioner, analyst):
        with pytest.raises(services.CaseError):
            correct(case, user, circumstances="No")
    assert nothing_written(case)


def test_another_forces_case_does_not_exist(case, outsider_supervisor):
    with pytest.raises(services.CaseError, match="does not exist"):
        correct(case, outsider_supervisor, circumstances="No")


@pytest.mark.parametrize("status", [CaseStatus.COMPLETED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN])
def test_a_finished_case_is_corrected_only_by_a_supervisor(case, case_worker, supervisor, status):
    Case.objects.filter(pk=case.pk).update(status=status)

    with pytest.raises(services.CaseError, match="only a supervisor may correct it"):
        correct(case, case_worker, circumstances="Late detail")
    assert correct(case, supervisor, circumstances="Late detail") is not None


# --- Offences -----------------------------------------------------------------------------------------


def test_adding_a_summary_only_offence_sets_the_six_month_limit(case, case_worker):
    event = add_offence(case, case_worker)

    case.refresh_from_db()
    offence_date = case.arrest_date - timedelta(days=2)
    assert case.first_summary_offence_date == offence_date
    assert case.offences.count() == 2
    assert event.code == EventCode.OFFENCE_ADDED
    assert event.summary == f"Offence added: {COMMON_ASSAULT} on {offence_date.day} {offence_date:%B %Y}"
    assert event.details["latest_proceedings_date"] == [None, str(latest_proceedings_date(offence_date))]
    assert not Notification.objects.exists()  # no decision yet: no one to tell
    audit = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(case.pk))
    assert audit.changes == {"offences": ["", event.summary.removeprefix("Offence added: ")]}


def test_adding_the_same_offence_twice_adds_it_once(case, case_worker):
    assert add_offence(case, case_worker) is not None
    assert add_offence(case, case_worker) is None
    assert case.offences.count() == 2


def test_an_offence_after_the_arrest_date_is_refused(case, case_worker):
    with pytest.raises(ValidationError) as refused:
        add_offence(case, case_worker, days_before_arrest=-1)
    assert "on or before the arrest or report date" in refused.value.message_dict["offence_date"][0]
    assert case.offences.count() == 1 and nothing_written(case)


def test_removing_an_offence_recomputes_the_limit_and_the_last_one_stays(case, case_worker):
    add_offence(case, case_worker)
    assault = case.offences.get(offence__name=COMMON_ASSAULT)

    event = services.case_offence_correct_remove(
        case_id=case.pk, case_offence_id=assault.pk, actor=case_worker, reason="Recorded on the wrong case."
    )

    case.refresh_from_db()
    assert case.first_summary_offence_date is None
    assert event.code == EventCode.OFFENCE_REMOVED and event.notes == "Recorded on the wrong case."
    assert (
        services.case_offence_correct_remove(
            case_id=case.pk, case_offence_id=assault.pk, actor=case_worker, reason="Again"
        )
        is None
    )  # already removed
    last = case.offences.get()
    with pytest.raises(services.CaseError, match="at least one offence"):
        services.case_offence_correct_remove(
            case_id=case.pk, case_offence_id=last.pk, actor=case_worker, reason="x"
        )
    assert case.offences.count() == 1


def test_an_offence_that_makes_the_case_ineligible_tells_the_decision_maker(
    decided, case_worker, decision_maker
):
    event = add_offence(decided, case_worker, name=SEXUAL_ASSAULT)  # a group the scheme excludes

    assert event.details["eligible_by_rules"] == [True, False]
    assert event.details["decision_makers_told"] == [decision_maker.pk]
    assert "not eligible" in event.notes and "decision-maker has been told" in event.notes
    told = Notification.objects.get()
    assert told.recipient == decision_maker and told.kind == NotificationKind.CASE_CORRECTED
    assert "now find the case not eligible" in told.body and decided.reference in told.body
    assert decided.person.family_name not in told.body


def test_an_offence_that_moves_the_limit_tells_the_decision_maker(decided, case_worker, decision_maker):
    add_offence(decided, case_worker, name=COMMON_ASSAULT)

    told = Notification.objects.get()
    limit = latest_proceedings_date(decided.arrest_date - timedelta(days=2))
    assert told.recipient == decision_maker
    assert f"Proceedings must now start by {limit.day} {limit:%B %Y}" in told.body


def test_when_the_answer_does_not_change_no_one_is_told(decided, case_worker):
    add_offence(decided, case_worker, name=ABH, days_before_arrest=3)  # either way, same gravity
    assert not Notification.objects.exists()


def test_a_flag_the_scheme_excludes_tells_the_decision_maker(decided, case_worker, decision_maker, scheme):
    scheme.excluded_flags = ["domestic_abuse"]
    scheme.save()

    event = correct(decided, case_worker, flags=["domestic_abuse"])

    assert event.details["eligible_by_rules"] == [True, False]
    assert Notification.objects.get().recipient == decision_maker


def test_every_decision_maker_is_told_when_the_one_who_decided_has_left(
    decided, case_worker, decision_maker, force, area
):
    from factories import UserFactory

    other = UserFactory(organisation=force, area=area, roles=[Role.DECISION_MAKER])
    decision_maker.is_active = False
    decision_maker.save()

    add_offence(decided, case_worker, name=SEXUAL_ASSAULT)

    assert set(Notification.objects.values_list("recipient", flat=True)) == {other.pk}


def test_after_the_caution_only_a_decision_maker_corrects_an_offence(
    case, case_worker, supervisor, decision_maker
):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE)

    for user in (case_worker, supervisor):
        with pytest.raises(services.CaseError, match="only a decision-maker may correct the offences"):
            add_offence(case, user)
    assert add_offence(case, decision_maker) is not None
    assert CaseOffence.objects.filter(case=case).count() == 2


def test_before_the_caution_a_decision_maker_does_not_correct_offences(case, decision_maker):
    with pytest.raises(services.CaseError, match="Only case workers and supervisors"):
        add_offence(case, decision_maker)

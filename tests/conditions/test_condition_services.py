"""Conditions, the caution, compliance, variations, breach reviews and the resumed prosecution, through
the services (DOMAIN.md, Law; DESIGN.md, journey steps 4-7): the legal caps refuse with a message that
states the limit, every change is on the timeline and in the audit log, and repeats are harmless."""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone
from factories import COMMON_ASSAULT, UserFactory
from pypdf import PdfReader

from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus
from cases.rules import latest_proceedings_date
from cases.services import CaseError
from conditions.document_store import caution_document_read
from conditions.models import (
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionKind,
    ConditionRecord,
    ConditionStatus,
    PeriodExtension,
    Prosecution,
    ProsecutionOutcome,
    Variation,
    VariationKind,
    VariationStatus,
)
from conditions.services import (
    breach_review_countersign,
    breach_review_decide,
    breach_review_open,
    caution_administer,
    condition_add,
    condition_progress,
    condition_record_add,
    condition_remove,
    condition_update,
    conditions_agree,
    conditions_reopen,
    period_extend,
    prosecution_update,
    variation_decide,
    variation_propose,
)
from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction, AuditEvent


def _codes(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("code", flat=True))


def _audited(action, obj):
    return AuditEvent.objects.filter(
        action=action, object_id=str(obj.pk), content_type__model=obj._meta.model_name
    )


def _rehabilitative(case):
    return case.conditions.get(kind=ConditionKind.REHABILITATIVE)


def _apology(case):
    return case.conditions.get(kind=ConditionKind.REPARATIVE)


def _fail(condition, actor, notes="Did not attend the session and did not answer calls."):
    condition_progress(condition_id=condition.pk, actor=actor, to=ConditionStatus.FAILED, notes=notes)
    return BreachReview.objects.get(
        case_id=condition.case_id, status__in=["open", "awaiting_countersignature"]
    )


def _decision(outcome, conditions=(), **overrides):
    """Keyword arguments of ``breach_review_decide``: a confirmation unless ``outcome`` is an excuse."""
    confirm = outcome == BreachOutcome.BREACH_CONFIRMED
    kwargs = {
        "outcome": outcome,
        "breached_condition_ids": [c.pk for c in conditions],
        "person_account": "Said he forgot the date; phone switched off.",
        "alternatives_tried": "Two calls and a letter; a new date offered and missed." if confirm else "",
        "reasonable_excuse": not confirm,
        "rationale": "No reasonable excuse given." if confirm else "In hospital on the day: letter seen.",
    }
    kwargs.update(overrides)
    return kwargs


def _text(caution) -> str:
    """The caution document's text, whitespace normalised (ReportLab wraps long lines)."""
    reader = PdfReader(io.BytesIO(caution_document_read(caution)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- The legal caps ----------------------------------------------------------------------------------
def test_a_penalty_over_fifty_pounds_is_refused_for_a_summary_only_offence(
    eligible_case_for, case_worker, terms, force
):
    case = eligible_case_for(offence=COMMON_ASSAULT)

    with pytest.raises(ValidationError) as refused:
        condition_add(
            case_id=case.pk,
            actor=case_worker,
            **terms(
                kind=ConditionKind.PUNITIVE,
                wording="Pay a financial penalty of £60 through the case worker.",
                responsible_organisation=force,
                amount_kind="penalty",
                amount=Decimal("60"),
            ),
        )

    assert refused.value.message_dict["amount"] == [
        "A financial penalty for a summary-only offence can be at most £50."
    ]
    assert not Condition.objects.exists()
    assert EventCode.CONDITION_ADDED not in _codes(case)


def test_a_penalty_within_the_either_way_maximum_is_added_and_recorded(
    eligible_case, case_worker, terms, force
):
    condition = condition_add(
        case_id=eligible_case.pk,
        actor=case_worker,
        **terms(
            kind=ConditionKind.PUNITIVE,
            wording="Pay a financial penalty of £100 through the case worker.",
            responsible_organisation=force,
            amount_kind="penalty",
            amount=Decimal("100"),
        ),
    )

    condition.refresh_from_db()
    assert (condition.amount, condition.status) == (Decimal("100.00"), ConditionStatus.PENDING)
    event = CaseEvent.objects.get(case=eligible_case, code=EventCode.CONDITION_ADDED)
    assert event.details == {"condition": condition.pk}
    assert event.actor == case_worker
    assert _audited(AuditAction.CREATED, condition).exists()


def test_reparative_attendance_over_twenty_hours_in_total_is_refused(
    eligible_case, case_worker, terms, force
):
    reparative = {"kind": ConditionKind.REPARATIVE, "responsible_organisation": force}
    condition_add(
        case_id=eligible_case.pk,
        actor=case_worker,
        **terms(wording="Complete 12 hours of unpaid reparative work.", hours=Decimal("12"), **reparative),
    )

    with pytest.raises(ValidationError) as refused:
        condition_add(
            case_id=eligible_case.pk,
            actor=case_worker,
            **terms(wording="Clean the pub's frontage for 9 hours.", hours=Decimal("9"), **reparative),
        )

    assert refused.value.message_dict["hours"] == [
        "Reparative and punitive attendance is limited to 20 hours in total; 12 hours are already set on "
        "other conditions. This would make 21 hours."
    ]
    assert eligible_case.conditions.count() == 1
    assert _codes(eligible_case).count(EventCode.CONDITION_ADDED) == 1


def test_a_single_reparative_condition_of_21_hours_is_refused(eligible_case, case_worker, terms, force):
    with pytest.raises(ValidationError, match="limited to 20 hours in total. This would make 21 hours."):
        condition_add(
            case_id=eligible_case.pk,
            actor=case_worker,
            **terms(kind=ConditionKind.REPARATIVE, responsible_organisation=force, hours=Decimal("21")),
        )

    assert not Condition.objects.exists()


def test_rehabilitative_hours_do_not_count_toward_the_attendance_cap(
    eligible_case, case_worker, terms, force
):
    condition_add(case_id=eligible_case.pk, actor=case_worker, **terms(hours=Decimal("30")))

    condition_add(
        case_id=eligible_case.pk,
        actor=case_worker,
        **terms(
            kind=ConditionKind.REPARATIVE,
            wording="Complete 20 hours of unpaid reparative work.",
            responsible_organisation=force,
            hours=Decimal("20"),
        ),
    )

    assert sorted(eligible_case.conditions.values_list("hours", flat=True)) == [Decimal("20"), Decimal("30")]


@pytest.mark.every_day
def test_a_due_date_past_the_scheme_maximum_is_refused_naming_the_maximum(eligible_case, case_worker, terms):
    maximum = timezone.localdate() + timedelta(days=140)

    with pytest.raises(ValidationError) as refused:
        condition_add(
            case_id=eligible_case.pk, actor=case_worker, **terms(due_date=maximum + timedelta(days=1))
        )

    assert refused.value.message_dict["due_date"] == [
        f"The scheme's maximum completion period is 20 weeks: the due date must be on or before "
        f"{maximum:%-d %B %Y}."
    ]
    assert not Condition.objects.exists()


@pytest.mark.every_day
def test_a_due_date_past_the_default_period_needs_a_supervisors_extension(
    eligible_case, case_worker, supervisor, terms
):
    today = timezone.localdate()
    late = today + timedelta(days=120)

    with pytest.raises(ValidationError) as refused:
        condition_add(case_id=eligible_case.pk, actor=case_worker, **terms(due_date=late))

    assert refused.value.message_dict["due_date"] == [
        f"The scheme's completion period is 16 weeks: the due date must be on or before "
        f"{today + timedelta(days=112):%-d %B %Y}. A supervisor can approve a longer period, up to 20 weeks "
        f"({today + timedelta(days=140):%-d %B %Y})."
    ]
    assert not Condition.objects.exists()

    extension = period_extend(
        case_id=eligible_case.pk, actor=supervisor, days=126, reason="Course runs only every six weeks."
    )
    condition = condition_add(case_id=eligible_case.pk, actor=case_worker, **terms(due_date=late))

    assert (extension.days, extension.approved_by) == (126, supervisor)
    assert condition.due_date == late
    event = CaseEvent.objects.get(case=eligible_case, code=EventCode.PERIOD_EXTENDED)
    assert (event.actor, event.notes) == (supervisor, "Course runs only every six weeks.")
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGED, object_id=str(eligible_case.pk), changes={"days": [None, 126]}
    ).exists()


def test_an_extended_period_never_reaches_past_the_maximum(eligible_case, case_worker, supervisor, terms):
    maximum = timezone.localdate() + timedelta(days=140)
    period_extend(case_id=eligible_case.pk, actor=supervisor, days=140, reason="Waiting list for the course.")

    condition_add(case_id=eligible_case.pk, actor=case_worker, **terms(due_date=maximum))
    with pytest.raises(ValidationError, match="maximum completion period is 20 weeks"):
        condition_add(
            case_id=eligible_case.pk, actor=case_worker, **terms(due_date=maximum + timedelta(days=1))
        )

    with pytest.raises(ValidationError) as refused:
        period_extend(case_id=eligible_case.pk, actor=supervisor, days=141, reason="Longer still.")
    assert refused.value.message_dict["days"] == [
        "Choose a period longer than the scheme's default of 112 days and no longer than its maximum of "
        "140 days."
    ]
    assert PeriodExtension.objects.get(case=eligible_case).days == 140


@pytest.mark.parametrize("who", ["case_worker", "decision_maker"])
def test_only_a_supervisor_extends_the_period(request, eligible_case, who):
    with pytest.raises(CaseError, match="Only a supervisor can approve a longer completion period."):
        period_extend(
            case_id=eligible_case.pk, actor=request.getfixturevalue(who), days=126, reason="Waiting list."
        )

    assert not PeriodExtension.objects.exists()
    assert EventCode.PERIOD_EXTENDED not in _codes(eligible_case)


# --- Agreeing the conditions -------------------------------------------------------------------------
def test_conditions_cannot_be_agreed_before_the_assessment_is_completed(eligible_case, case_worker, terms):
    condition_add(case_id=eligible_case.pk, actor=case_worker, **terms())

    with pytest.raises(CaseError, match="Complete the needs assessment before agreeing the conditions."):
        conditions_agree(case_id=eligible_case.pk, actor=case_worker)

    eligible_case.refresh_from_db()
    assert eligible_case.status == CaseStatus.ASSESSMENT
    assert EventCode.CONDITIONS_AGREED not in _codes(eligible_case)


def test_conditions_cannot_be_agreed_without_a_condition(assessed_case, case_worker):
    with pytest.raises(CaseError, match="Add at least one condition before agreeing them."):
        conditions_agree(case_id=assessed_case.pk, actor=case_worker)

    assessed_case.refresh_from_db()
    assert assessed_case.status == CaseStatus.ASSESSMENT


def test_agreeing_the_conditions_moves_the_case_once_however_often_it_is_asked(
    assessed_case, case_worker, terms
):
    condition_add(case_id=assessed_case.pk, actor=case_worker, **terms())

    conditions_agree(case_id=assessed_case.pk, actor=case_worker, notes="Agreed in the interview room.")
    conditions_agree(case_id=assessed_case.pk, actor=case_worker)

    assessed_case.refresh_from_db()
    assert assessed_case.status == CaseStatus.CONDITIONS_AGREED
    event = CaseEvent.objects.get(case=assessed_case, code=EventCode.CONDITIONS_AGREED)
    assert (event.status_before, event.status_after) == (CaseStatus.ASSESSMENT, CaseStatus.CONDITIONS_AGREED)
    assert (event.summary, event.notes) == ("1 condition agreed", "Agreed in the interview room.")
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGED,
        object_id=str(assessed_case.pk),
        changes={"status": [CaseStatus.ASSESSMENT, CaseStatus.CONDITIONS_AGREED]},
    ).exists()


def test_conditions_cannot_be_added_once_agreed(agreed_case, case_worker, terms):
    with pytest.raises(CaseError, match="After the caution, propose a variation."):
        condition_add(case_id=agreed_case.pk, actor=case_worker, **terms())

    assert agreed_case.conditions.count() == 2


def test_changing_a_condition_checks_the_caps_without_counting_it_twice(
    eligible_case, case_worker, terms, force
):
    reparative = terms(kind=ConditionKind.REPARATIVE, responsible_organisation=force, hours=Decimal("15"))
    condition = condition_add(case_id=eligible_case.pk, actor=case_worker, **reparative)

    condition_update(condition_id=condition.pk, actor=case_worker, **{**reparative, "hours": Decimal("20")})
    with pytest.raises(ValidationError, match="limited to 20 hours in total"):
        condition_update(
            condition_id=condition.pk, actor=case_worker, **{**reparative, "hours": Decimal("21")}
        )

    condition.refresh_from_db()
    assert condition.hours == Decimal("20")
    changed = CaseEvent.objects.get(case=eligible_case, code=EventCode.CONDITION_CHANGED)
    assert changed.details == {"condition": condition.pk, "fields": ["hours"]}
    changes = _audited(AuditAction.CHANGED, condition).get().changes
    assert list(changes) == ["hours"]
    assert [Decimal(v) for v in changes["hours"]] == [Decimal("15"), Decimal("20")]


def test_removing_a_draft_condition_keeps_its_wording_on_the_timeline(eligible_case, case_worker, terms):
    condition = condition_add(case_id=eligible_case.pk, actor=case_worker, **terms())

    condition_remove(condition_id=condition.pk, actor=case_worker)

    assert not Condition.objects.exists()
    removed = CaseEvent.objects.get(case=eligible_case, code=EventCode.CONDITION_REMOVED)
    assert (removed.notes, removed.details) == (condition.wording, {"condition": condition.pk})
    assert AuditEvent.objects.filter(action=AuditAction.DELETED, object_id=str(condition.pk)).exists()


def test_reopening_agreed_conditions_returns_the_case_to_assessment(agreed_case, case_worker):
    with pytest.raises(ValidationError, match="Say why the conditions need changing."):
        conditions_reopen(case_id=agreed_case.pk, actor=case_worker, reason=" ")

    conditions_reopen(case_id=agreed_case.pk, actor=case_worker, reason="He cannot attend on Tuesdays.")
    conditions_reopen(case_id=agreed_case.pk, actor=case_worker, reason="He cannot attend on Tuesdays.")

    agreed_case.refresh_from_db()
    assert agreed_case.status == CaseStatus.ASSESSMENT
    reopened = CaseEvent.objects.get(case=agreed_case, code=EventCode.CONDITIONS_REOPENED)
    assert (reopened.status_before, reopened.status_after, reopened.notes) == (
        CaseStatus.CONDITIONS_AGREED,
        CaseStatus.ASSESSMENT,
        "He cannot attend on Tuesdays.",
    )


# --- The caution -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("effect_explained", False, "until its effect has been explained"),
        ("warning_given", False, "without the warning that failing a condition may lead to prosecution"),
        ("consented", False, "without the person's consent"),
        ("signed", False, "until the person has signed the document"),
        ("admission_words", "  ", "Record the person's admission of the offence."),
        ("place", "", "Enter where the caution was given."),
    ],
)
def test_the_caution_needs_each_statutory_requirement(
    agreed_case, decision_maker, caution_kwargs, field, value, message
):
    with pytest.raises(ValidationError) as refused:
        caution_administer(case_id=agreed_case.pk, actor=decision_maker, **caution_kwargs(**{field: value}))

    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not Caution.objects.exists()
    agreed_case.refresh_from_db()
    assert agreed_case.status == CaseStatus.CONDITIONS_AGREED
    assert EventCode.CAUTION_ADMINISTERED not in _codes(agreed_case)


@pytest.mark.every_day
def test_the_caution_cannot_be_dated_in_the_future(agreed_case, decision_maker, caution_kwargs):
    tomorrow = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        caution_administer(
            case_id=agreed_case.pk, actor=decision_maker, **caution_kwargs(administered_on=tomorrow)
        )

    assert refused.value.message_dict == {"administered_on": ["The caution date cannot be in the future."]}
    assert not Caution.objects.exists()


@pytest.mark.every_day
def test_the_caution_makes_the_case_active_and_keeps_the_signed_document(
    agreed_case, decision_maker, caution_kwargs
):
    today = timezone.localdate()

    caution = caution_administer(case_id=agreed_case.pk, actor=decision_maker, **caution_kwargs())

    agreed_case.refresh_from_db()
    assert agreed_case.status == CaseStatus.ACTIVE
    caution = Caution.objects.get(pk=caution.pk)
    assert (caution.administered_on, caution.administered_by) == (today, decision_maker)
    assert caution.period_ends_on == today + timedelta(days=112)
    assert all([caution.effect_explained, caution.warning_given, caution.consented, caution.signed])
    # The document is a file in the private storage, and matches the checksum kept with the row.
    assert caution.document.name.startswith(f"cautions/{today:%Y/%m}/case-{agreed_case.pk}-")
    assert caution_document_read(caution).startswith(b"%PDF")
    with caution.document.open("rb") as file:
        assert caution.document_sha256 == Caution.digest(file.read())
    text = _text(caution)
    assert "Daniel Whitmore" in text
    assert "Assault occasioning actual bodily harm" in text
    for condition in agreed_case.conditions.all():
        assert condition.wording in text
    assert "may be prosecuted for the offence" in text
    event = CaseEvent.objects.get(case=agreed_case, code=EventCode.CAUTION_ADMINISTERED)
    assert (event.status_before, event.status_after) == (CaseStatus.CONDITIONS_AGREED, CaseStatus.ACTIVE)
    assert event.details == {"caution": caution.pk, "document_sha256": caution.document_sha256}
    assert event.actor == decision_maker
    assert _audited(AuditAction.CREATED, caution).exists()


def test_administering_twice_with_the_same_token_returns_the_same_caution(
    agreed_case, decision_maker, caution_kwargs
):
    kwargs = caution_kwargs()

    first = caution_administer(case_id=agreed_case.pk, actor=decision_maker, **kwargs)
    second = caution_administer(case_id=agreed_case.pk, actor=decision_maker, **kwargs)

    assert first.pk == second.pk
    assert Caution.objects.count() == 1
    assert _codes(agreed_case).count(EventCode.CAUTION_ADMINISTERED) == 1


def test_administering_again_from_a_new_form_is_refused(active_case, decision_maker, caution_kwargs):
    with pytest.raises(CaseError, match="The caution on this case has already been administered."):
        caution_administer(case_id=active_case.pk, actor=decision_maker, **caution_kwargs())

    assert Caution.objects.count() == 1


# --- Compliance --------------------------------------------------------------------------------------
def test_completing_every_condition_completes_the_case_diverted(active_case, case_worker):
    rehabilitative, apology = _rehabilitative(active_case), _apology(active_case)

    condition_progress(condition_id=rehabilitative.pk, actor=case_worker, to=ConditionStatus.IN_PROGRESS)
    condition_progress(condition_id=rehabilitative.pk, actor=case_worker, to=ConditionStatus.COMPLETE)
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE  # the apology is still to come

    condition_progress(
        condition_id=apology.pk, actor=case_worker, to=ConditionStatus.COMPLETE, notes="Letter read."
    )

    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.COMPLETED
    apology.refresh_from_db()
    assert (apology.status, apology.outcome_on, apology.outcome_notes) == (
        ConditionStatus.COMPLETE,
        timezone.localdate(),
        "Letter read.",
    )
    assert _codes(active_case)[-4:] == [
        EventCode.CONDITION_STARTED,
        EventCode.CONDITION_COMPLETED,
        EventCode.CONDITION_COMPLETED,
        EventCode.CASE_COMPLETED,
    ]
    completed = CaseEvent.objects.get(case=active_case, code=EventCode.CASE_COMPLETED)
    assert (completed.actor, completed.status_after) == (case_worker, CaseStatus.COMPLETED)
    assert (
        _audited(AuditAction.CHANGED, apology)
        .filter(changes={"status": [ConditionStatus.PENDING, ConditionStatus.COMPLETE]})
        .exists()
    )


def test_a_partner_completing_the_last_condition_completes_the_case_on_the_systems_authority(
    active_case, case_worker, practitioner
):
    condition_progress(condition_id=_apology(active_case).pk, actor=case_worker, to=ConditionStatus.COMPLETE)

    condition_progress(
        condition_id=_rehabilitative(active_case).pk, actor=practitioner, to=ConditionStatus.COMPLETE
    )

    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.COMPLETED
    completed = CaseEvent.objects.get(case=active_case, code=EventCode.CASE_COMPLETED)
    assert completed.actor is None
    partner_event = CaseEvent.objects.filter(case=active_case, code=EventCode.CONDITION_COMPLETED).latest(
        "id"
    )
    assert partner_event.actor == practitioner


def test_a_partner_cannot_record_progress_on_another_agencys_condition(active_case, other_practitioner):
    rehabilitative = _rehabilitative(active_case)

    with pytest.raises(CaseError, match="That condition does not exist."):
        condition_progress(
            condition_id=rehabilitative.pk, actor=other_practitioner, to=ConditionStatus.COMPLETE
        )

    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.PENDING


@pytest.mark.every_day
def test_failing_a_condition_opens_a_breach_review_due_within_the_schemes_days(
    active_case, case_worker, scheme
):
    rehabilitative = _rehabilitative(active_case)

    review = _fail(rehabilitative, case_worker)

    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.BREACH_REVIEW
    assert review.status == BreachStatus.OPEN
    assert review.decision_due_on == timezone.localdate() + timedelta(days=scheme.breach_decision_days)
    assert list(review.conditions.all()) == [rehabilitative]
    assert review.opened_by == case_worker
    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.FAILED
    assert _codes(active_case)[-2:] == [EventCode.CONDITION_FAILED, EventCode.BREACH_REVIEW_OPENED]
    opened = CaseEvent.objects.get(case=active_case, code=EventCode.BREACH_REVIEW_OPENED)
    assert (opened.status_before, opened.status_after) == (CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW)
    assert opened.details == {"breach_review": review.pk}
    assert _audited(AuditAction.CREATED, review).exists()


def test_failing_a_condition_needs_an_account_of_what_happened(active_case, case_worker):
    with pytest.raises(ValidationError) as refused:
        condition_progress(
            condition_id=_apology(active_case).pk, actor=case_worker, to=ConditionStatus.FAILED
        )

    assert refused.value.message_dict == {"notes": ["Say what happened."]}
    assert not BreachReview.objects.exists()


def test_opening_a_breach_review_twice_gives_one_review(active_case, case_worker):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)

    again = breach_review_open(
        case_id=active_case.pk, actor=case_worker, condition_ids=[rehabilitative.pk], reason="Missed session."
    )
    once_more = breach_review_open(
        case_id=active_case.pk, actor=case_worker, condition_ids=[rehabilitative.pk], reason="Missed session."
    )

    assert again.pk == once_more.pk == review.pk
    assert BreachReview.objects.filter(case=active_case).count() == 1
    assert _codes(active_case).count(EventCode.BREACH_REVIEW_OPENED) == 1


def test_a_breach_review_is_not_opened_for_a_condition_neither_failed_nor_overdue(active_case, case_worker):
    with pytest.raises(ValidationError, match="Only a failed or overdue condition can open a breach review."):
        breach_review_open(
            case_id=active_case.pk,
            actor=case_worker,
            condition_ids=[_apology(active_case).pk],
            reason="Worried he will not do it.",
        )

    assert not BreachReview.objects.exists()
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE


def test_the_partner_records_evidence_against_its_condition(active_case, practitioner, other_practitioner):
    rehabilitative = _rehabilitative(active_case)

    record = condition_record_add(
        condition_id=rehabilitative.pk,
        actor=practitioner,
        kind="attendance",
        text=" Attended the full session. ",
        reference="ATT-2291",
    )

    record.refresh_from_db()
    assert (record.author, record.author_organisation, record.text) == (
        practitioner,
        practitioner.organisation,
        "Attended the full session.",
    )
    event = CaseEvent.objects.get(case=active_case, code=EventCode.CONDITION_RECORD)
    assert (event.actor, event.details) == (
        practitioner,
        {"condition": rehabilitative.pk, "record": record.pk},
    )
    with pytest.raises(CaseError, match="That condition does not exist."):
        condition_record_add(
            condition_id=rehabilitative.pk, actor=other_practitioner, kind="note", text="Not ours."
        )
    assert ConditionRecord.objects.count() == 1


# --- Breach decisions --------------------------------------------------------------------------------
def test_an_excuse_accepted_continues_the_conditions(active_case, case_worker, decision_maker):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)

    breach_review_decide(
        review_id=review.pk, actor=decision_maker, **_decision(BreachOutcome.EXCUSED_CONTINUE)
    )

    review.refresh_from_db()
    assert (review.status, review.outcome, review.decided_by) == (
        BreachStatus.EXCUSED,
        BreachOutcome.EXCUSED_CONTINUE,
        decision_maker,
    )
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE
    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.IN_PROGRESS
    assert not Prosecution.objects.exists()
    assert _codes(active_case)[-2:] == [EventCode.BREACH_EXCUSED, EventCode.CONDITION_RESUMED]
    excused = CaseEvent.objects.get(case=active_case, code=EventCode.BREACH_EXCUSED)
    assert (excused.status_before, excused.status_after) == (CaseStatus.BREACH_REVIEW, CaseStatus.ACTIVE)
    assert (
        _audited(AuditAction.CHANGED, review)
        .filter(changes={"status": [BreachStatus.OPEN, BreachStatus.EXCUSED]})
        .exists()
    )


def test_an_excuse_accepted_with_a_variation_supersedes_the_failed_condition(
    active_case, case_worker, decision_maker
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    new_due = timezone.localdate() + timedelta(days=60)

    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.EXCUSED_VARY, new_due_date=new_due, person_consented=True),
    )

    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.SUPERSEDED
    replacement = Condition.objects.get(supersedes=rehabilitative)
    assert (replacement.due_date, replacement.status, replacement.wording) == (
        new_due,
        ConditionStatus.IN_PROGRESS,
        rehabilitative.wording,
    )
    variation = Variation.objects.get(case=active_case)
    assert (variation.status, variation.kind, variation.breach_review, variation.result) == (
        VariationStatus.APPROVED,
        VariationKind.NEW_DUE_DATE,
        review,
        replacement,
    )
    assert variation.decided_by == decision_maker
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE
    review.refresh_from_db()
    assert review.status == BreachStatus.EXCUSED
    assert EventCode.VARIATION_APPROVED in _codes(active_case)
    assert _audited(AuditAction.CREATED, replacement).exists()


def test_a_varied_excuse_needs_the_persons_consent_and_a_date_in_the_period(
    active_case, case_worker, decision_maker
):
    review = _fail(_rehabilitative(active_case), case_worker)
    too_late = timezone.localdate() + timedelta(days=141)

    with pytest.raises(ValidationError) as refused:
        breach_review_decide(
            review_id=review.pk,
            actor=decision_maker,
            **_decision(BreachOutcome.EXCUSED_VARY, new_due_date=too_late),
        )

    assert set(refused.value.message_dict) == {"person_consented", "new_due_date"}
    assert "maximum completion period is 20 weeks" in refused.value.message_dict["new_due_date"][0]
    review.refresh_from_db()
    assert review.status == BreachStatus.OPEN
    assert not Variation.objects.exists()


def test_a_confirmed_breach_resumes_the_prosecution_and_ends_the_caution(
    active_case, case_worker, decision_maker
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)

    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    review.refresh_from_db()
    assert review.status == BreachStatus.BREACH_CONFIRMED
    assert list(review.breached_conditions.all()) == [rehabilitative]
    prosecution = Prosecution.objects.get(case=active_case)
    assert (prosecution.breach_review, prosecution.resumed_by) == (review, decision_maker)
    assert prosecution.outcome == ProsecutionOutcome.PENDING
    assert prosecution.latest_proceedings_date is None  # either-way: no time limit
    caution = Caution.objects.get(case=active_case)
    assert caution.ceased_on == timezone.localdate()
    apology = _apology(active_case)  # still to be met: it ends with the caution
    assert (apology.status, apology.outcome_on) == (ConditionStatus.WITHDRAWN, timezone.localdate())
    assert apology.outcome_notes == "The caution ceased to have effect: the prosecution resumed."
    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.BREACHED  # found breached: not merely failed
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED
    assert _codes(active_case)[-4:] == [
        EventCode.BREACH_CONFIRMED,
        EventCode.CONDITION_BREACHED,
        EventCode.STATUS_CHANGED,  # the apology withdrawn
        EventCode.PROSECUTION_RESUMED,
    ]
    resumed = CaseEvent.objects.get(case=active_case, code=EventCode.PROSECUTION_RESUMED)
    assert (resumed.status_before, resumed.status_after) == (
        CaseStatus.BREACH_REVIEW,
        CaseStatus.PROSECUTION_RESUMED,
    )
    assert resumed.details == {"prosecution": prosecution.pk, "breach_review": review.pk}
    assert _audited(AuditAction.CREATED, prosecution).exists()


def test_confirming_the_same_breach_twice_resumes_one_prosecution(active_case, case_worker, decision_maker):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    decision = _decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative])

    breach_review_decide(review_id=review.pk, actor=decision_maker, **decision)
    again = breach_review_decide(review_id=review.pk, actor=decision_maker, **decision)

    assert again.pk == review.pk
    assert Prosecution.objects.filter(case=active_case).count() == 1
    assert _codes(active_case).count(EventCode.BREACH_CONFIRMED) == 1
    assert _codes(active_case).count(EventCode.PROSECUTION_RESUMED) == 1


def test_a_different_decision_after_the_breach_was_decided_is_refused(
    active_case, case_worker, decision_maker
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    with pytest.raises(CaseError, match="This breach review was already decided"):
        breach_review_decide(
            review_id=review.pk, actor=decision_maker, **_decision(BreachOutcome.EXCUSED_CONTINUE)
        )

    review.refresh_from_db()
    assert review.outcome == BreachOutcome.BREACH_CONFIRMED
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED


def test_a_breach_cannot_be_confirmed_without_the_conditions_breached_and_what_was_tried(
    active_case, case_worker, decision_maker
):
    review = _fail(_rehabilitative(active_case), case_worker)

    with pytest.raises(ValidationError) as refused:
        breach_review_decide(
            review_id=review.pk,
            actor=decision_maker,
            **_decision(BreachOutcome.BREACH_CONFIRMED, [], alternatives_tried=""),
        )

    assert set(refused.value.message_dict) == {"breached_conditions", "alternatives_tried"}
    assert not Prosecution.objects.exists()


# --- Countersignature --------------------------------------------------------------------------------
@pytest.fixture
def countersigned_scheme(scheme):
    scheme.breach_countersignature_required = True
    scheme.save(update_fields=["breach_countersignature_required"])
    return scheme


@pytest.fixture
def decider_and_supervisor(force, area):
    return UserFactory(
        full_name="Ruth Hale", organisation=force, area=area, roles=[Role.DECISION_MAKER, Role.SUPERVISOR]
    )


def test_a_confirmed_breach_waits_for_a_supervisors_countersignature(
    countersigned_scheme, active_case, case_worker, decision_maker, supervisor
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)

    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    review.refresh_from_db()
    assert review.status == BreachStatus.AWAITING_COUNTERSIGNATURE
    assert not Prosecution.objects.exists()
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.BREACH_REVIEW
    assert _codes(active_case)[-1] == EventCode.BREACH_AWAITING_COUNTERSIGNATURE

    breach_review_countersign(review_id=review.pk, actor=supervisor, agree=True)

    review.refresh_from_db()
    assert (review.status, review.countersigned_by) == (BreachStatus.BREACH_CONFIRMED, supervisor)
    prosecution = Prosecution.objects.get(case=active_case)
    assert prosecution.breach_review == review
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED
    assert _codes(active_case)[-4:] == [
        EventCode.BREACH_CONFIRMED,
        EventCode.CONDITION_BREACHED,  # marked on the countersignature, which confirms the breach
        EventCode.STATUS_CHANGED,  # the apology, still to be met, ends with the caution
        EventCode.PROSECUTION_RESUMED,
    ]
    confirmed = CaseEvent.objects.get(case=active_case, code=EventCode.BREACH_CONFIRMED)
    assert "countersigned" in confirmed.summary
    assert confirmed.actor == supervisor


def test_the_decision_maker_cannot_countersign_their_own_decision(
    countersigned_scheme, active_case, case_worker, decider_and_supervisor
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decider_and_supervisor,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    with pytest.raises(CaseError, match="Another supervisor must countersign a decision you made."):
        breach_review_countersign(review_id=review.pk, actor=decider_and_supervisor, agree=True)

    review.refresh_from_db()
    assert review.status == BreachStatus.AWAITING_COUNTERSIGNATURE
    assert not Prosecution.objects.exists()


def test_a_refused_countersignature_returns_the_review_to_the_decision_maker(
    countersigned_scheme, active_case, case_worker, decision_maker, supervisor
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    with pytest.raises(ValidationError, match="Say why you do not countersign"):
        breach_review_countersign(review_id=review.pk, actor=supervisor, agree=False)
    breach_review_countersign(
        review_id=review.pk, actor=supervisor, agree=False, notes="The hospital letter was not considered."
    )

    review.refresh_from_db()
    assert review.status == BreachStatus.OPEN
    assert review.countersignature_notes == "The hospital letter was not considered."
    assert review.countersigned_by is None
    assert not Prosecution.objects.exists()
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.BREACH_REVIEW
    refused = CaseEvent.objects.get(case=active_case, code=EventCode.BREACH_COUNTERSIGNATURE_REFUSED)
    assert (refused.actor, refused.details) == (supervisor, {"breach_review": review.pk})

    breach_review_decide(
        review_id=review.pk, actor=decision_maker, **_decision(BreachOutcome.EXCUSED_CONTINUE)
    )

    review.refresh_from_db()
    assert review.status == BreachStatus.EXCUSED
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE


def test_only_a_supervisor_countersigns(countersigned_scheme, active_case, case_worker, decision_maker):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )

    with pytest.raises(CaseError, match="Only a supervisor countersigns a breach decision."):
        breach_review_countersign(review_id=review.pk, actor=decision_maker, agree=True)

    assert not Prosecution.objects.exists()


# --- The six-month limit of a summary-only offence ---------------------------------------------------
@pytest.fixture
def late_summary_case(active_case_for, terms):
    """Common assault committed 190 days ago, decided and cautioned 100 days ago: the six months for
    starting proceedings have passed while the person was under the caution."""
    today = timezone.localdate()
    return active_case_for(
        offence=COMMON_ASSAULT,
        offence_date=today - timedelta(days=190),
        decision_date=today - timedelta(days=100),
        administered_on=today - timedelta(days=100),
        conditions=[terms(due_date=today + timedelta(days=5))],
    )


@pytest.mark.every_day
def test_confirming_a_breach_after_the_six_month_limit_needs_it_acknowledged(
    late_summary_case, case_worker, decision_maker
):
    condition = late_summary_case.conditions.get()
    review = _fail(condition, case_worker)
    limit = latest_proceedings_date(late_summary_case.offences.get().offence_date)

    with pytest.raises(ValidationError) as refused:
        breach_review_decide(
            review_id=review.pk,
            actor=decision_maker,
            **_decision(BreachOutcome.BREACH_CONFIRMED, [condition]),
        )

    assert refused.value.message_dict["time_limit_acknowledged"] == [
        f"Proceedings for common assault had to start by {limit:%-d %B %Y}. Confirm that you understand the "
        "prosecution can no longer start; it will be recorded as out of time."
    ]
    assert not Prosecution.objects.exists()
    review.refresh_from_db()
    assert review.status == BreachStatus.OPEN

    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [condition], time_limit_acknowledged=True),
    )

    prosecution = Prosecution.objects.get(case=late_summary_case)
    assert (prosecution.outcome, prosecution.outcome_on, prosecution.latest_proceedings_date) == (
        ProsecutionOutcome.OUT_OF_TIME,
        timezone.localdate(),
        limit,
    )
    resumed = CaseEvent.objects.get(case=late_summary_case, code=EventCode.PROSECUTION_RESUMED)
    assert f"Out of time: proceedings had to start by {limit:%-d %B %Y}" in resumed.summary


def test_a_charge_after_the_six_month_limit_is_refused(late_summary_case, case_worker, decision_maker):
    condition = late_summary_case.conditions.get()
    review = _fail(condition, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [condition], time_limit_acknowledged=True),
    )
    limit = Prosecution.objects.get().latest_proceedings_date
    today = timezone.localdate()

    with pytest.raises(ValidationError) as refused:
        prosecution_update(
            case_id=late_summary_case.pk,
            actor=case_worker,
            method="charge",
            proceedings_started_on=today,
            court="Fenshire Magistrates' Court",
            first_hearing_on=None,
            outcome=ProsecutionOutcome.PENDING,
            outcome_on=None,
        )

    assert refused.value.message_dict["proceedings_started_on"] == [
        f"Proceedings for this summary-only offence had to start by {limit:%-d %B %Y}. A later charge or "
        "requisition is out of time: record the outcome as out of time instead."
    ]
    prosecution = Prosecution.objects.get()
    assert prosecution.proceedings_started_on is None
    assert EventCode.PROSECUTION_UPDATED not in _codes(late_summary_case)


def test_recording_the_out_of_time_outcome_closes_the_case(late_summary_case, case_worker, decision_maker):
    condition = late_summary_case.conditions.get()
    review = _fail(condition, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [condition], time_limit_acknowledged=True),
    )

    # The case worker confirms the outcome the service already recorded, as the form shows it.
    prosecution_update(
        case_id=late_summary_case.pk,
        actor=case_worker,
        method="",
        proceedings_started_on=None,
        court="",
        first_hearing_on=None,
        outcome=ProsecutionOutcome.OUT_OF_TIME,
        outcome_on=timezone.localdate(),
    )

    late_summary_case.refresh_from_db()
    assert late_summary_case.status == CaseStatus.CLOSED
    assert _codes(late_summary_case)[-1] == EventCode.CASE_CLOSED


@pytest.mark.every_day
def test_the_caution_cannot_be_given_once_the_six_month_limit_has_passed(
    agreed_case_for, decision_maker, caution_kwargs, terms
):
    today = timezone.localdate()
    case = agreed_case_for(
        offence=COMMON_ASSAULT,
        offence_date=today - timedelta(days=190),
        decision_date=today - timedelta(days=100),
        conditions=[terms(due_date=today + timedelta(days=5))],
    )

    with pytest.raises(ValidationError) as refused:
        caution_administer(case_id=case.pk, actor=decision_maker, **caution_kwargs())

    assert "a breach could no longer be prosecuted" in refused.value.message_dict["administered_on"][0]
    assert not Caution.objects.exists()


# --- The resumed prosecution -------------------------------------------------------------------------
@pytest.fixture
def prosecuted_case(active_case, case_worker, decision_maker):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
    )
    return active_case


def test_a_final_court_outcome_closes_the_case(prosecuted_case, case_worker):
    today = timezone.localdate()

    prosecution = prosecution_update(
        case_id=prosecuted_case.pk,
        actor=case_worker,
        method="charge",
        proceedings_started_on=today,
        court="Fenshire Magistrates' Court",
        first_hearing_on=today,
        outcome=ProsecutionOutcome.CONVICTED,
        outcome_on=today,
        outcome_notes="Fined £120.",
    )

    prosecution.refresh_from_db()
    assert (prosecution.method, prosecution.proceedings_started_on, prosecution.outcome) == (
        "charge",
        today,
        ProsecutionOutcome.CONVICTED,
    )
    prosecuted_case.refresh_from_db()
    assert prosecuted_case.status == CaseStatus.CLOSED
    assert _codes(prosecuted_case)[-2:] == [EventCode.PROSECUTION_UPDATED, EventCode.CASE_CLOSED]
    closed = CaseEvent.objects.get(case=prosecuted_case, code=EventCode.CASE_CLOSED)
    assert (closed.status_before, closed.status_after) == (CaseStatus.PROSECUTION_RESUMED, CaseStatus.CLOSED)
    assert _audited(AuditAction.CHANGED, prosecution).exists()


def test_a_pending_prosecution_update_keeps_the_case_open(prosecuted_case, case_worker):
    today = timezone.localdate()

    prosecution_update(
        case_id=prosecuted_case.pk,
        actor=case_worker,
        method="requisition",
        proceedings_started_on=today,
        court="Fenshire Magistrates' Court",
        first_hearing_on=today + timedelta(days=21),
        outcome=ProsecutionOutcome.PENDING,
        outcome_on=None,
    )

    prosecuted_case.refresh_from_db()
    assert prosecuted_case.status == CaseStatus.PROSECUTION_RESUMED
    event = CaseEvent.objects.get(case=prosecuted_case, code=EventCode.PROSECUTION_UPDATED)
    assert event.summary.startswith(f"Written charge and requisition on {today:%-d %B %Y}")


def test_a_court_outcome_needs_the_charge_date(prosecuted_case, case_worker):
    with pytest.raises(ValidationError) as refused:
        prosecution_update(
            case_id=prosecuted_case.pk,
            actor=case_worker,
            method="",
            proceedings_started_on=None,
            court="",
            first_hearing_on=None,
            outcome=ProsecutionOutcome.CONVICTED,
            outcome_on=timezone.localdate(),
        )

    assert "proceedings_started_on" in refused.value.message_dict
    prosecuted_case.refresh_from_db()
    assert prosecuted_case.status == CaseStatus.PROSECUTION_RESUMED


# --- Variations --------------------------------------------------------------------------------------
def _propose(case, actor, condition, **overrides):
    kwargs = {
        "case_id": case.pk,
        "actor": actor,
        "variation_kind": VariationKind.NEW_DUE_DATE,
        "condition_id": condition.pk,
        "new_due_date": timezone.localdate() + timedelta(days=70),
        "reason": "The course was cancelled by the provider.",
        "person_consented": True,
        "consented_on": timezone.localdate(),
    }
    kwargs.update(overrides)
    return variation_propose(**kwargs)


def test_a_variation_needs_the_persons_consent_and_a_reason(active_case, case_worker):
    with pytest.raises(ValidationError) as refused:
        _propose(
            active_case,
            case_worker,
            _rehabilitative(active_case),
            reason=" ",
            person_consented=False,
            consented_on=None,
        )

    assert refused.value.message_dict["reason"] == ["Give the reason for the variation."]
    assert refused.value.message_dict["person_consented"] == ["A variation needs the person's consent."]
    assert not Variation.objects.exists()
    assert EventCode.VARIATION_PROPOSED not in _codes(active_case)


@pytest.mark.every_day
def test_a_variation_cannot_go_past_the_schemes_maximum(active_case, case_worker):
    too_late = timezone.localdate() + timedelta(days=141)

    with pytest.raises(ValidationError) as refused:
        _propose(active_case, case_worker, _rehabilitative(active_case), new_due_date=too_late)

    assert (
        "The scheme's maximum completion period is 20 weeks" in refused.value.message_dict["new_due_date"][0]
    )
    assert not Variation.objects.exists()


def test_an_approved_variation_supersedes_the_condition(active_case, case_worker, decision_maker):
    rehabilitative = _rehabilitative(active_case)
    variation = _propose(active_case, case_worker, rehabilitative)
    assert variation.status == VariationStatus.PROPOSED
    proposed = CaseEvent.objects.get(case=active_case, code=EventCode.VARIATION_PROPOSED)
    assert proposed.details == {"variation": variation.pk}

    variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True)

    variation.refresh_from_db()
    assert (variation.status, variation.decided_by) == (VariationStatus.APPROVED, decision_maker)
    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.SUPERSEDED
    replacement = variation.result
    assert (replacement.supersedes, replacement.due_date, replacement.status) == (
        rehabilitative,
        variation.new_due_date,
        ConditionStatus.PENDING,
    )
    assert CaseEvent.objects.filter(
        case=active_case, code=EventCode.VARIATION_APPROVED, details={"variation": variation.pk}
    ).exists()
    assert (
        _audited(AuditAction.CHANGED, variation)
        .filter(changes={"status": [VariationStatus.PROPOSED, VariationStatus.APPROVED]})
        .exists()
    )
    # Approving it again changes nothing.
    variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True)
    assert Condition.objects.filter(supersedes=rehabilitative).count() == 1


def test_a_new_condition_variation_adds_the_condition_on_approval(
    active_case, case_worker, decision_maker, terms, force
):
    variation = variation_propose(
        case_id=active_case.pk,
        actor=case_worker,
        variation_kind=VariationKind.NEW_CONDITION,
        reason="Drinking again: a second session agreed.",
        person_consented=True,
        consented_on=timezone.localdate(),
        **terms(
            wording="Attend a second alcohol session at Compass",
            due_date=timezone.localdate() + timedelta(days=30),
        ),
    )
    assert active_case.conditions.count() == 2  # nothing added until approved

    variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True)

    variation.refresh_from_db()
    added = variation.result
    assert (added.wording, added.kind, added.status) == (
        "Attend a second alcohol session at Compass",
        ConditionKind.REHABILITATIVE,
        ConditionStatus.PENDING,
    )
    assert active_case.conditions.count() == 3


def test_refusing_a_variation_needs_the_reason_and_leaves_the_condition(
    active_case, case_worker, decision_maker
):
    rehabilitative = _rehabilitative(active_case)
    variation = _propose(active_case, case_worker, rehabilitative)

    with pytest.raises(ValidationError, match="Give the reason for refusing the variation."):
        variation_decide(variation_id=variation.pk, actor=decision_maker, approve=False)
    variation_decide(
        variation_id=variation.pk, actor=decision_maker, approve=False, notes="Another course runs next week."
    )

    variation.refresh_from_db()
    assert (variation.status, variation.decision_notes) == (
        VariationStatus.REFUSED,
        "Another course runs next week.",
    )
    assert variation.result is None
    rehabilitative.refresh_from_db()
    assert rehabilitative.status == ConditionStatus.PENDING
    assert active_case.conditions.count() == 2
    refused = CaseEvent.objects.get(case=active_case, code=EventCode.VARIATION_REFUSED)
    assert (refused.actor, refused.notes) == (decision_maker, "Another course runs next week.")

    with pytest.raises(CaseError, match="This variation was already refused."):
        variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True)


# --- Who may do what ---------------------------------------------------------------------------------
def test_a_case_worker_cannot_administer_the_caution(agreed_case, case_worker, caution_kwargs):
    with pytest.raises(CaseError, match="Only decision-makers administer the caution."):
        caution_administer(case_id=agreed_case.pk, actor=case_worker, **caution_kwargs())

    assert not Caution.objects.exists()


def test_a_case_worker_cannot_approve_a_variation(active_case, case_worker):
    variation = _propose(active_case, case_worker, _rehabilitative(active_case))

    with pytest.raises(CaseError, match="Only decision-makers approve variations."):
        variation_decide(variation_id=variation.pk, actor=case_worker, approve=True)

    variation.refresh_from_db()
    assert variation.status == VariationStatus.PROPOSED


def test_a_case_worker_cannot_decide_a_breach(active_case, case_worker, supervisor):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)

    for user in (case_worker, supervisor):
        with pytest.raises(CaseError, match="Only decision-makers decide breach reviews."):
            breach_review_decide(
                review_id=review.pk, actor=user, **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative])
            )

    review.refresh_from_db()
    assert review.status == BreachStatus.OPEN
    assert not Prosecution.objects.exists()


def test_another_forces_decision_maker_is_told_the_case_does_not_exist(
    agreed_case, outsider_decision_maker, caution_kwargs
):
    with pytest.raises(CaseError, match="does not exist"):
        caution_administer(case_id=agreed_case.pk, actor=outsider_decision_maker, **caution_kwargs())

    assert not Caution.objects.exists()


def test_another_forces_users_cannot_touch_the_conditions_or_the_breach(
    active_case, case_worker, outsider_decision_maker, outsider_supervisor
):
    rehabilitative = _rehabilitative(active_case)
    apology = _apology(active_case)
    review = _fail(rehabilitative, case_worker)

    with pytest.raises(CaseError, match="does not exist"):
        condition_progress(condition_id=apology.pk, actor=outsider_supervisor, to=ConditionStatus.COMPLETE)
    with pytest.raises(CaseError, match="does not exist"):
        breach_review_decide(
            review_id=review.pk,
            actor=outsider_decision_maker,
            **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
        )
    with pytest.raises(CaseError, match="does not exist"):
        _propose(active_case, outsider_supervisor, apology)

    apology.refresh_from_db()
    assert apology.status == ConditionStatus.PENDING
    review.refresh_from_db()
    assert review.status == BreachStatus.OPEN
    assert not Variation.objects.exists()


# --- Two people at once ------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_decision_makers_confirming_the_same_breach_at_once_resume_one_prosecution(
    active_case, case_worker, force
):
    rehabilitative = _rehabilitative(active_case)
    review = _fail(rehabilitative, case_worker)
    deciders = [UserFactory(organisation=force, roles=[Role.DECISION_MAKER]) for _ in range(2)]
    start = threading.Barrier(len(deciders))
    results = []

    def confirm(user_pk):
        try:
            actor = User.objects.get(pk=user_pk)
            start.wait(timeout=10)
            breach_review_decide(
                review_id=review.pk,
                actor=actor,
                **_decision(BreachOutcome.BREACH_CONFIRMED, [rehabilitative]),
            )
            results.append("decided")
        except Exception as exc:  # reported by the assertion below
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(user.pk,)) for user in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert results == ["decided", "decided"]
    assert Prosecution.objects.filter(case=active_case).count() == 1
    assert CaseEvent.objects.filter(case=active_case, code=EventCode.PROSECUTION_RESUMED).count() == 1
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED

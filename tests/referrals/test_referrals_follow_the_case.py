"""Referrals follow what happens to the case and its conditions; and the review's mends: a condition
withdrawn after the caution, an overdue condition excused, bad query strings, audited form pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from referral_support import partner_condition

from cases.events import EventCode
from cases.models import CaseStatus
from cases.services import CaseError, case_withdraw
from conditions.models import BreachOutcome, Condition, ConditionStatus, VariationKind
from conditions.services import (
    breach_review_decide,
    condition_progress,
    variation_decide,
    variation_propose,
)
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.notifications.models import Notification, NotificationKind
from referrals.models import ReferralStatus, WithdrawReason

pytestmark = pytest.mark.django_db


def _fail_and_confirm(case, case_worker, decision_maker):
    condition = partner_condition(case)
    condition_progress(
        condition_id=condition.pk, actor=case_worker, to=ConditionStatus.FAILED, notes="Missed it."
    )
    review = case.breach_reviews.get()
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        outcome=BreachOutcome.BREACH_CONFIRMED,
        breached_condition_ids=[condition.pk],
        person_account="Gave no reason.",
        alternatives_tried="Two reminders.",
        reasonable_excuse=False,
        rationale="No reasonable excuse.",
    )


def test_a_varied_due_date_moves_the_open_referral_to_the_new_condition(
    accepted_referral, active_case, case_worker, decision_maker, agency
):
    old = partner_condition(active_case)
    new_date = old.due_date + timedelta(days=7)
    variation = variation_propose(
        case_id=active_case.pk,
        actor=case_worker,
        variation_kind=VariationKind.NEW_DUE_DATE,
        condition_id=old.pk,
        new_due_date=new_date,
        reason="The course was cancelled.",
        person_consented=True,
        consented_on=timezone.localdate(),
    )

    variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True)

    accepted_referral.refresh_from_db()
    new = Condition.objects.get(supersedes=old)
    assert accepted_referral.condition == new
    assert accepted_referral.due_date == new_date
    assert accepted_referral.status == ReferralStatus.ACCEPTED
    assert active_case.events.filter(code=EventCode.REFERRAL_CHANGED).count() == 1
    assert (
        Notification.objects.filter(
            recipient_organisation=agency, kind=NotificationKind.REFERRAL_SENT
        ).count()
        == 2
    )


def test_a_resumed_prosecution_withdraws_the_open_referrals_and_tells_the_agency(
    accepted_referral, active_case, case_worker, decision_maker, agency
):
    _fail_and_confirm(active_case, case_worker, decision_maker)

    accepted_referral.refresh_from_db()
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED
    assert accepted_referral.status == ReferralStatus.WITHDRAWN
    assert accepted_referral.withdraw_reason == WithdrawReason.CASE_CLOSED
    assert Notification.objects.filter(
        recipient_organisation=agency, kind=NotificationKind.REFERRAL_WITHDRAWN
    ).exists()


def test_withdrawing_a_case_withdraws_its_referrals(assessed_case, send_referral, case_worker):
    referral = send_referral(assessed_case, condition=None)  # a referral for a need, before conditions

    case_withdraw(case_id=assessed_case.pk, actor=case_worker, reason="No further action.")

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    assert referral.withdraw_reason == WithdrawReason.CASE_CLOSED


def test_only_a_decision_maker_withdraws_a_condition_once_the_caution_is_given(
    referral, active_case, case_worker, decision_maker
):
    condition = partner_condition(active_case)

    with pytest.raises(CaseError, match="Your role cannot"):
        condition_progress(
            condition_id=condition.pk, actor=case_worker, to=ConditionStatus.WITHDRAWN, notes="Not needed."
        )
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.PENDING

    condition_progress(
        condition_id=condition.pk, actor=decision_maker, to=ConditionStatus.WITHDRAWN, notes="Not needed."
    )
    condition.refresh_from_db()
    referral.refresh_from_db()
    assert condition.status == ConditionStatus.WITHDRAWN
    assert referral.status == ReferralStatus.WITHDRAWN
    assert referral.withdraw_reason == WithdrawReason.CONDITION_VARIED


@pytest.mark.every_day
def test_an_overdue_condition_is_excused_only_with_a_new_due_date(
    active_case_for, case_worker, decision_maker
):
    today = timezone.localdate()
    case = active_case_for(
        offence_date=today - timedelta(days=50),
        decision_date=today - timedelta(days=40),
        administered_on=today - timedelta(days=30),
    )
    condition = partner_condition(case)
    Condition.objects.filter(pk=condition.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    from conditions.services import breach_review_open

    review = breach_review_open(
        case_id=case.pk, actor=case_worker, condition_ids=[condition.pk], reason="Overdue."
    )
    decision = {
        "review_id": review.pk,
        "actor": decision_maker,
        "breached_condition_ids": [],
        "person_account": "The course was full.",
        "alternatives_tried": "",
        "reasonable_excuse": True,
        "rationale": "A good reason.",
    }

    with pytest.raises(ValidationError) as refused:
        breach_review_decide(outcome=BreachOutcome.EXCUSED_CONTINUE, **decision)

    assert "past its due date" in refused.value.message_dict["outcome"][0]
    review.refresh_from_db()
    assert review.is_open
    breach_review_decide(
        outcome=BreachOutcome.EXCUSED_VARY,
        new_due_date=timezone.localdate() + timedelta(days=14),
        person_consented=True,
        **decision,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert Condition.objects.get(supersedes=condition).due_date == timezone.localdate() + timedelta(days=14)


def test_a_garbled_catalogue_choice_shows_the_empty_form(client_for, case_worker, assessed_case):
    response = client_for(case_worker).get(f"/conditions/new/{assessed_case.pk}/?template=abc")

    assert response.status_code == 200
    assert response.context["chosen_template"] is None


def test_opening_a_form_page_is_audited(client_for, active_case, case_worker, force):
    condition = partner_condition(active_case)

    response = client_for(case_worker).get(f"/conditions/{condition.pk}/vary/")

    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        actor=case_worker, action=AuditAction.VIEWED, object_id=str(condition.pk), owner_organisation=force
    ).exists()


def test_the_workspace_lists_referrals_on_first_opening(client_for, partner_manager, referral, force):
    response = client_for(partner_manager).get("/referrals/")

    assert response.status_code == 200
    assert [r.pk for r in response.context["referrals"]] == [referral.pk]
    assert AuditEvent.objects.filter(
        actor=partner_manager,
        action=AuditAction.VIEWED,
        object_label="Partner referral list",
        owner_organisation=force,
    ).exists()


def test_a_failing_handler_rolls_the_whole_withdrawal_back(
    assessed_case, send_referral, case_worker, monkeypatch
):
    """Handlers run inside the announcer's transaction: if one fails, nothing of the change is kept."""
    from cases.events import CaseWithdrawn
    from offenderhub.core import events

    referral = send_referral(assessed_case, condition=None)
    monkeypatch.setattr(events, "_HANDLERS", {k: list(v) for k, v in events._HANDLERS.items()})

    def fails(event):
        raise RuntimeError("a handler failed")

    events.subscribe(CaseWithdrawn, fails)

    with pytest.raises(RuntimeError):
        case_withdraw(case_id=assessed_case.pk, actor=case_worker, reason="No further action.")

    assessed_case.refresh_from_db()
    referral.refresh_from_db()
    assert assessed_case.status == CaseStatus.ASSESSMENT
    assert referral.status == ReferralStatus.SENT
    assert not assessed_case.events.filter(code=EventCode.WITHDRAWN).exists()

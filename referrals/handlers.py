"""How referrals answer the events of the apps below (docs/architecture.md, "Domain events"). Each
handler is registered in ``ReferralsConfig.ready`` and calls one service or selector of this app; it
runs inside the announcer's transaction, with the case row already locked."""

from assessments.events import ServiceSuggestionsAsked
from cases.events import CasePageAsked, CaseWithdrawn
from conditions.events import ConditionDeliveryAsked, ConditionVaried, ConditionWithdrawn, ProsecutionResumed
from offenderhub.accounts.models import POLICE_ROLES

from .models import Referral, WithdrawReason
from .selectors import case_evidence_list_for, case_referral_list_for, service_suggestion_list_for
from .services import REFERRABLE_CASE_STATUSES, referrals_follow_variation, referrals_withdraw_for


def case_withdrawn(event: CaseWithdrawn) -> None:
    referrals_withdraw_for(event.case, reason=WithdrawReason.CASE_CLOSED, notes="The case was withdrawn.")


def condition_withdrawn(event: ConditionWithdrawn) -> None:
    referrals_withdraw_for(
        event.case, conditions=[event.condition], reason=WithdrawReason.CONDITION_VARIED, notes=event.notes
    )


def condition_varied(event: ConditionVaried) -> None:
    referrals_follow_variation(event.case, old=event.old, new=event.new, actor=event.actor)


def prosecution_resumed(event: ProsecutionResumed) -> None:
    referrals_withdraw_for(event.case, reason=WithdrawReason.CASE_CLOSED, notes="The prosecution resumed.")


def condition_delivery(event: ConditionDeliveryAsked) -> bool:
    return Referral.objects.filter(condition=event.condition, organisation_id=event.organisation_id).exists()


def case_page(event: CasePageAsked) -> dict:
    if event.tab == "conditions":
        user, case = event.user, event.case
        referrals = list(case_referral_list_for(user, case))
        return {
            "referrals": referrals,
            "can_refer": user.has_role(*POLICE_ROLES) and case.status in REFERRABLE_CASE_STATUSES,
            "referred_condition_ids": {r.condition_id for r in referrals if r.is_open},
        }
    if event.tab == "documents":
        return {"evidence": list(case_evidence_list_for(event.user, event.case))}
    return {}


def service_suggestions(event: ServiceSuggestionsAsked) -> list[dict]:
    return service_suggestion_list_for(event.assessment, needs=event.needs)

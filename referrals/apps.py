from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self):
        from assessments.events import ServiceSuggestionsAsked
        from cases.events import CasePageAsked, CaseWithdrawn, subscribe
        from conditions.events import (
            ConditionDeliveryAsked,
            ConditionVaried,
            ConditionWithdrawn,
            ProsecutionResumed,
        )

        from . import handlers

        # Referrals follow the case and its conditions: withdrawn when there is nothing left to deliver,
        # moved to the new condition when one is varied to a new due date (referrals/handlers.py).
        subscribe(CaseWithdrawn, handlers.case_withdrawn)
        subscribe(ConditionWithdrawn, handlers.condition_withdrawn)
        subscribe(ConditionVaried, handlers.condition_varied)
        subscribe(ProsecutionResumed, handlers.prosecution_resumed)
        # A partner agency holding a referral for a condition records progress on it.
        subscribe(ConditionDeliveryAsked, handlers.condition_delivery)
        # The case page shows the referrals; a completed assessment suggests the directory's services.
        subscribe(CasePageAsked, handlers.case_page)
        subscribe(ServiceSuggestionsAsked, handlers.service_suggestions)

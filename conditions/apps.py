from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "conditions"

    def ready(self):
        from cases.events import CasePageAsked, subscribe

        from . import handlers

        # The case page shows the assessments, conditions, caution, breach and prosecution.
        subscribe(CasePageAsked, handlers.case_page)

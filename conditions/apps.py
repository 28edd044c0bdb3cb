from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "conditions"

    def ready(self):
        from cases.events import CasePageAsked, subscribe

        from . import handlers

        # The case's file shows the conditions, breach reviews and variations, and the victim's conditions.
        subscribe(CasePageAsked, handlers.case_page)

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from cases.events import CasePageAsked, subscribe

        from . import handlers

        # The case's "Assessment" page shows the assessments.
        subscribe(CasePageAsked, handlers.case_page)

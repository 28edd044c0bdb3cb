"""How conditions answer the events of the apps below (docs/architecture.md, "Domain events"). Each
handler is registered in ``ConditionsConfig.ready`` and calls one function of this app."""

from cases.events import CasePageAsked

from .views import case_page_part


def case_page(event: CasePageAsked) -> dict:
    return case_page_part(event.user, event.case, event.offences)

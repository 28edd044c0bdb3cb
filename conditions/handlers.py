"""How conditions answer the events of the apps below (docs/architecture.md, "Domain events"). Each
handler is registered in ``ConditionsConfig.ready`` and calls one function of this app."""

from cases.events import CasePageAsked

from .selectors import victim_condition_list_for
from .views import case_conditions_part


def case_page(event: CasePageAsked) -> dict:
    if event.tab == "conditions":
        return case_conditions_part(event.user, event.case)
    if event.tab == "victim":
        return {"victim_conditions": list(victim_condition_list_for(event.user, event.case))}
    return {}

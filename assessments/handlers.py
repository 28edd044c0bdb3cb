"""How assessments answer the events of the apps below (docs/architecture.md, "Domain events"). Each
handler is registered in ``AssessmentsConfig.ready`` and calls one selector of this app."""

from cases.events import CasePageAsked
from offenderhub.accounts.models import POLICE_ROLES

from .models import AssessmentKind
from .selectors import assessment_summary_list_for
from .services import STARTABLE_IN


def case_page(event: CasePageAsked) -> dict:
    """The case's "Assessment" page: each assessment with its needs, and whether one may be started."""
    if event.tab != "assessment":
        return {}
    user, case = event.user, event.case
    assessments = list(assessment_summary_list_for(user, case))
    kinds = {a.kind for a in assessments}
    initial_done = any(a.kind == AssessmentKind.INITIAL and a.is_locked for a in assessments)
    police = user.has_role(*POLICE_ROLES)
    return {
        "assessments": assessments,
        "can_start_assessment": police
        and case.status in STARTABLE_IN[AssessmentKind.INITIAL]
        and AssessmentKind.INITIAL not in kinds,
        "can_start_final_assessment": police
        and initial_done
        and AssessmentKind.FINAL not in kinds
        and case.status in STARTABLE_IN[AssessmentKind.FINAL],
    }

"""The joint needs assessment through its services (DOMAIN.md, Needs assessment): a row per pathway,
drafts saved and audited, contributions attributed to an organisation and a person, completion that
locks it, suggested services from the directory, and the distance travelled by the end."""

import pytest
from django.core.exceptions import ValidationError
from factories import CaseFactory

from assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Contribution,
    NeedLevel,
    Pathway,
    PathwayNeed,
)
from assessments.selectors import distance_travelled
from assessments.services import (
    assessment_complete,
    assessment_contribute,
    assessment_start,
    assessment_update,
)
from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from cases.services import CaseError
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Service
from referrals.selectors import service_suggestion_list_for


def _audited(action, assessment):
    return AuditEvent.objects.filter(
        action=action, object_id=str(assessment.pk), content_type__model="assessment"
    )


def _update(assessment, actor, *, goals="Keep my job and stop drinking.", needs=None, **overrides):
    kwargs = {
        "assessment_id": assessment.pk,
        "actor": actor,
        "goals": goals,
        "risk_flags": [],
        "risk_notes": "",
        "needs": needs or {},
    }
    kwargs.update(overrides)
    return assessment_update(**kwargs)


def _levels(assessment):
    return dict(assessment.needs.values_list("pathway", "level"))


@pytest.fixture
def assessment(eligible_case, case_worker):
    return assessment_start(case_id=eligible_case.pk, actor=case_worker)


# --- Starting -----------------------------------------------------------------------------------------
def test_starting_an_assessment_creates_a_need_of_none_for_each_of_the_eleven_pathways(
    eligible_case, case_worker
):
    assessment = assessment_start(case_id=eligible_case.pk, actor=case_worker)

    assert (assessment.kind, assessment.status, assessment.created_by) == (
        AssessmentKind.INITIAL,
        AssessmentStatus.DRAFT,
        case_worker,
    )
    assert len(Pathway.values) == 11
    assert _levels(assessment) == dict.fromkeys(Pathway.values, NeedLevel.NONE)
    event = CaseEvent.objects.get(case=eligible_case, code=EventCode.ASSESSMENT_STARTED)
    assert (event.actor, event.summary) == (case_worker, "Initial assessment started")
    assert _audited(AuditAction.CREATED, assessment).exists()


def test_starting_an_assessment_twice_returns_the_same_one(eligible_case, case_worker, decision_maker):
    first = assessment_start(case_id=eligible_case.pk, actor=case_worker)

    second = assessment_start(case_id=eligible_case.pk, actor=decision_maker)

    assert second.pk == first.pk
    assert Assessment.objects.count() == 1
    assert PathwayNeed.objects.count() == 11
    assert CaseEvent.objects.filter(case=eligible_case, code=EventCode.ASSESSMENT_STARTED).count() == 1


def test_an_assessment_does_not_start_before_the_case_is_decided_eligible(force, scheme, case_worker):
    case = CaseFactory(force=force, scheme=scheme, area=case_worker.area, owner=case_worker)

    with pytest.raises(CaseError, match="A case that is “Intake” cannot start this assessment."):
        assessment_start(case_id=case.pk, actor=case_worker)

    assert not Assessment.objects.exists()


def test_a_partner_cannot_start_the_assessment(eligible_case, practitioner):
    with pytest.raises(CaseError, match="Only police staff run needs assessments."):
        assessment_start(case_id=eligible_case.pk, actor=practitioner)

    assert not Assessment.objects.exists()


def test_another_forces_supervisor_is_told_the_case_does_not_exist(
    eligible_case, assessment, outsider_supervisor
):
    with pytest.raises(CaseError, match="That case does not exist."):
        assessment_start(case_id=eligible_case.pk, actor=outsider_supervisor)
    with pytest.raises(CaseError, match="That case does not exist."):
        _update(assessment, outsider_supervisor, needs={Pathway.HEALTH: (NeedLevel.HIGH, "")})

    assert _levels(assessment)[Pathway.HEALTH] == NeedLevel.NONE


# --- The draft ------------------------------------------------------------------------------------------
def test_saving_the_draft_records_levels_notes_goals_and_an_audit_row(assessment, case_worker):
    _update(
        assessment,
        case_worker,
        goals="  Keep my job and stop drinking.  ",
        risk_flags=["self_harm"],
        risk_notes="Low mood since losing his flat.",
        needs={
            Pathway.ACCOMMODATION: (NeedLevel.HIGH, "Sofa surfing since March. "),
            Pathway.DRUGS_ALCOHOL: (NeedLevel.MEDIUM, "Binge drinking at weekends."),
        },
    )

    assessment.refresh_from_db()
    assert assessment.goals == "Keep my job and stop drinking."
    assert (assessment.risk_flags, assessment.risk_notes) == (
        ["self_harm"],
        "Low mood since losing his flat.",
    )
    accommodation = assessment.needs.get(pathway=Pathway.ACCOMMODATION)
    assert (accommodation.level, accommodation.notes) == (NeedLevel.HIGH, "Sofa surfing since March.")
    assert _levels(assessment)[Pathway.DRUGS_ALCOHOL] == NeedLevel.MEDIUM
    assert _levels(assessment)[Pathway.HEALTH] == NeedLevel.NONE
    audit = _audited(AuditAction.CHANGED, assessment).get()
    # Which answers changed, never what was written (an audit row can never be erased).
    assert audit.changes["accommodation"] == ["None", "High"]
    assert audit.changes["accommodation_notes"] == ["", "(text changed)"]
    assert audit.changes["goals"] == ["", "(text changed)"]
    assert audit.changes["risk_notes"] == ["", "(text changed)"]
    assert "Sofa surfing" not in str(audit.changes)
    assert audit.actor == case_worker


def test_saving_an_unchanged_draft_writes_no_audit_row(assessment, case_worker):
    needs = {Pathway.ACCOMMODATION: (NeedLevel.LOW, "Rent arrears.")}
    _update(assessment, case_worker, needs=needs)

    _update(assessment, case_worker, needs=needs)

    assert _audited(AuditAction.CHANGED, assessment).count() == 1


def test_an_unknown_risk_flag_or_level_is_refused(assessment, case_worker):
    with pytest.raises(ValidationError) as refused:
        _update(assessment, case_worker, risk_flags=["dangerous"])
    assert refused.value.message_dict == {"risk_flags": ["Choose risk flags from the list."]}

    with pytest.raises(ValidationError, match="Give each pathway a level from the list."):
        _update(assessment, case_worker, needs={Pathway.HEALTH: (7, "")})

    assessment.refresh_from_db()
    assert assessment.goals == ""
    assert not _audited(AuditAction.CHANGED, assessment).exists()


# --- Contributions --------------------------------------------------------------------------------------
def test_a_contribution_is_attributed_to_the_organisation_and_the_person(assessment, case_worker, agency):
    contribution = assessment_contribute(
        assessment_id=assessment.pk,
        actor=case_worker,
        organisation=agency,
        contributor_name=" Jamie Cole ",
        pathway=Pathway.DRUGS_ALCOHOL,
        text="Known to us from 2023; did well on the brief intervention.",
    )

    contribution.refresh_from_db()
    assert (contribution.organisation, contribution.contributor_name, contribution.recorded_by) == (
        agency,
        "Jamie Cole",
        case_worker,
    )
    assert contribution.pathway == Pathway.DRUGS_ALCOHOL
    event = CaseEvent.objects.get(case=assessment.case, code=EventCode.ASSESSMENT_CONTRIBUTION)
    assert event.summary == "Contribution to the assessment from Jamie Cole, Compass Recovery Service"
    assert event.details == {"assessment": assessment.pk, "contribution": contribution.pk}
    assert (
        _audited(AuditAction.CHANGED, assessment)
        .filter(reason="Contribution from Compass Recovery Service")
        .exists()
    )


def test_the_force_itself_can_be_credited_with_a_contribution(assessment, case_worker, force):
    contribution = assessment_contribute(
        assessment_id=assessment.pk,
        actor=case_worker,
        organisation=force,
        contributor_name="PC Dale Moss",
        pathway="",
        text="Arresting officer: cooperative, remorseful.",
    )

    assert (contribution.organisation, contribution.pathway) == (force, "")


@pytest.mark.parametrize("organisation", ["opcc", "other_force"])
def test_a_contribution_cannot_be_credited_to_the_commissioners_office_or_another_force(
    request, assessment, case_worker, organisation
):
    with pytest.raises(ValidationError) as refused:
        assessment_contribute(
            assessment_id=assessment.pk,
            actor=case_worker,
            organisation=request.getfixturevalue(organisation),
            contributor_name="Nia Evans",
            pathway="",
            text="Offered a view.",
        )

    assert refused.value.message_dict == {"organisation": ["Choose your force or a partner agency."]}
    assert not Contribution.objects.exists()
    assert not CaseEvent.objects.filter(code=EventCode.ASSESSMENT_CONTRIBUTION).exists()


def test_a_contribution_needs_a_name_and_text(assessment, case_worker, agency):
    with pytest.raises(ValidationError) as refused:
        assessment_contribute(
            assessment_id=assessment.pk,
            actor=case_worker,
            organisation=agency,
            contributor_name=" ",
            pathway="",
            text="",
        )

    assert set(refused.value.message_dict) == {"contributor_name", "text"}
    assert not Contribution.objects.exists()


# --- Completing ------------------------------------------------------------------------------------------
def test_completing_needs_the_persons_own_goals(assessment, case_worker):
    with pytest.raises(ValidationError) as refused:
        assessment_complete(assessment_id=assessment.pk, actor=case_worker)

    assert refused.value.message_dict == {
        "goals": ["Record the person's own goals before completing the assessment."]
    }
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert not CaseEvent.objects.filter(code=EventCode.ASSESSMENT_COMPLETED).exists()


def test_completing_locks_the_assessment_and_lists_the_needs_on_the_timeline(assessment, case_worker, agency):
    _update(
        assessment,
        case_worker,
        needs={
            Pathway.DRUGS_ALCOHOL: (NeedLevel.MEDIUM, "Weekend drinking."),
            Pathway.ACCOMMODATION: (NeedLevel.HIGH, "Sofa surfing."),
            Pathway.FINANCE_DEBT: (NeedLevel.LOW, "Small arrears."),
        },
    )

    assessment_complete(assessment_id=assessment.pk, actor=case_worker)

    assessment.refresh_from_db()
    assert (assessment.status, assessment.completed_by) == (AssessmentStatus.COMPLETED, case_worker)
    assert assessment.completed_at is not None
    event = CaseEvent.objects.get(case=assessment.case, code=EventCode.ASSESSMENT_COMPLETED)
    assert event.summary == "Initial assessment completed"
    assert event.notes == "Needs: Accommodation (high), Drugs and alcohol (medium)"
    assert (
        _audited(AuditAction.CHANGED, assessment)
        .filter(changes={"status": [AssessmentStatus.DRAFT, AssessmentStatus.COMPLETED]})
        .exists()
    )

    with pytest.raises(CaseError, match="This assessment was completed and is locked."):
        _update(assessment, case_worker, needs={Pathway.ACCOMMODATION: (NeedLevel.NONE, "Housed.")})
    with pytest.raises(CaseError, match="This assessment was completed and is locked."):
        assessment_contribute(
            assessment_id=assessment.pk,
            actor=case_worker,
            organisation=agency,
            contributor_name="Jamie Cole",
            pathway="",
            text="Too late.",
        )

    assert _levels(assessment)[Pathway.ACCOMMODATION] == NeedLevel.HIGH
    assert not Contribution.objects.exists()


def test_completing_twice_records_one_completion(assessment, case_worker, decision_maker):
    _update(assessment, case_worker)
    assessment_complete(assessment_id=assessment.pk, actor=case_worker)

    again = assessment_complete(assessment_id=assessment.pk, actor=decision_maker)

    assert again.completed_by == case_worker
    assert CaseEvent.objects.filter(code=EventCode.ASSESSMENT_COMPLETED).count() == 1


# --- The end-of-period assessment -----------------------------------------------------------------------
def test_the_end_of_period_assessment_waits_for_the_caution(assessment, case_worker):
    with pytest.raises(CaseError, match="A case that is “Assessment” cannot start this assessment."):
        assessment_start(case_id=assessment.case_id, actor=case_worker, kind=AssessmentKind.FINAL)

    assert not Assessment.objects.filter(kind=AssessmentKind.FINAL).exists()


def test_the_end_of_period_assessment_needs_a_completed_initial_one(assessment, case_worker):
    # The services never let a case reach "active" without a completed initial assessment, so the
    # status is set behind their back to check the final assessment's own guard.
    Case.objects.filter(pk=assessment.case_id).update(status=CaseStatus.ACTIVE)

    with pytest.raises(CaseError, match="Complete the initial assessment first."):
        assessment_start(case_id=assessment.case_id, actor=case_worker, kind=AssessmentKind.FINAL)

    assert not Assessment.objects.filter(kind=AssessmentKind.FINAL).exists()


def test_the_end_of_period_assessment_starts_once_the_caution_is_given(
    assessment, case_worker, caution_given
):
    _update(assessment, case_worker)
    assessment_complete(assessment_id=assessment.pk, actor=case_worker)
    case = caution_given(assessment.case)

    final = assessment_start(case_id=case.pk, actor=case_worker, kind=AssessmentKind.FINAL)

    assert (final.kind, final.status) == (AssessmentKind.FINAL, AssessmentStatus.DRAFT)
    assert final.needs.count() == 11
    event = CaseEvent.objects.filter(case=case, code=EventCode.ASSESSMENT_STARTED).latest("id")
    assert event.summary == "End-of-period assessment started"


# --- Suggested services ---------------------------------------------------------------------------------
def _service(organisation, name, pathways, *, areas=(), is_active=True):
    service = Service(organisation=organisation, name=name, pathways=pathways, is_active=is_active)
    service.full_clean()
    service.save()
    service.areas.set(areas)
    return service


def test_services_are_suggested_for_medium_and_high_needs_in_the_cases_area(
    assessment, case_worker, agency, other_agency, area, other_area
):
    _update(
        assessment,
        case_worker,
        needs={
            Pathway.DRUGS_ALCOHOL: (NeedLevel.MEDIUM, ""),
            Pathway.ACCOMMODATION: (NeedLevel.HIGH, ""),
            Pathway.FINANCE_DEBT: (NeedLevel.LOW, ""),
        },
    )
    alcohol = _service(agency, "Alcohol brief intervention", [Pathway.DRUGS_ALCOHOL, Pathway.HEALTH])
    housing_north = _service(other_agency, "Tenancy sustainment", [Pathway.ACCOMMODATION], areas=[area])
    _service(other_agency, "Hostel places", [Pathway.ACCOMMODATION], areas=[other_area])
    _service(agency, "Debt advice clinic", [Pathway.FINANCE_DEBT])
    _service(agency, "Closed detox service", [Pathway.DRUGS_ALCOHOL], is_active=False)

    suggestions = service_suggestion_list_for(assessment)

    assert [(s["service"], s["level"]) for s in suggestions] == [
        (housing_north, NeedLevel.HIGH),
        (alcohol, NeedLevel.MEDIUM),
    ]
    assert [n.pathway for n in suggestions[1]["needs"]] == [Pathway.DRUGS_ALCOHOL]


def test_no_services_are_suggested_without_a_medium_or_high_need(assessment, case_worker, agency):
    _update(assessment, case_worker, needs={Pathway.DRUGS_ALCOHOL: (NeedLevel.LOW, "")})
    _service(agency, "Alcohol brief intervention", [Pathway.DRUGS_ALCOHOL])

    assert service_suggestion_list_for(assessment) == []


# --- Distance travelled ---------------------------------------------------------------------------------
def test_distance_travelled_compares_each_pathway_from_start_to_end(assessment, case_worker, caution_given):
    _update(
        assessment,
        case_worker,
        needs={
            Pathway.ACCOMMODATION: (NeedLevel.HIGH, ""),
            Pathway.DRUGS_ALCOHOL: (NeedLevel.MEDIUM, ""),
            Pathway.FINANCE_DEBT: (NeedLevel.LOW, ""),
        },
    )
    assessment_complete(assessment_id=assessment.pk, actor=case_worker)
    case = caution_given(assessment.case)
    final = assessment_start(case_id=case.pk, actor=case_worker, kind=AssessmentKind.FINAL)
    _update(
        final,
        case_worker,
        goals="Stay in the flat.",
        needs={
            Pathway.ACCOMMODATION: (NeedLevel.LOW, "Housed by the council."),
            Pathway.DRUGS_ALCOHOL: (NeedLevel.MEDIUM, ""),
            Pathway.GAMBLING: (NeedLevel.LOW, "New: online betting."),
        },
    )
    assert distance_travelled(case.assessments.all()) == []  # the final one is still a draft

    assessment_complete(assessment_id=final.pk, actor=case_worker)
    distances = distance_travelled(case.assessments.all())

    assert [(d.pathway, d.initial, d.final, d.change) for d in distances] == [
        (Pathway.ACCOMMODATION, NeedLevel.HIGH, NeedLevel.LOW, 2),
        (Pathway.DRUGS_ALCOHOL, NeedLevel.MEDIUM, NeedLevel.MEDIUM, 0),
        (Pathway.FINANCE_DEBT, NeedLevel.LOW, NeedLevel.NONE, 1),
        (Pathway.GAMBLING, NeedLevel.NONE, NeedLevel.LOW, -1),
    ]
    assert (distances[0].label, distances[0].initial_label, distances[0].final_label) == (
        "Accommodation",
        "High",
        "Low",
    )

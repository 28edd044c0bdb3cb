"""What the assessment tests share: the force's scheme, a case decided eligible (so at assessment)
through the real decision service, a second area, and a builder that takes a case with a completed
initial assessment on to the caution, where the end-of-period assessment can start."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from factories import (
    ABH,
    AreaFactory,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    PersonFactory,
    SchemeFactory,
)

from cases.models import CaseStatus
from cases.services import eligibility_decide
from conditions.models import ConditionKind
from conditions.services import caution_administer, condition_add, conditions_agree


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH")


@pytest.fixture
def other_area(force):
    return AreaFactory(force=force, name="South Fenshire", code="south")


@pytest.fixture
def eligible_case(force, scheme, case_worker, decision_maker):
    """Daniel Whitmore's case for assault occasioning actual bodily harm, decided eligible today."""
    case = CaseFactory(
        force=force,
        scheme=scheme,
        area=case_worker.area,
        owner=case_worker,
        person=PersonFactory(
            force=force, created_by=case_worker, given_names="Daniel", family_name="Whitmore"
        ),
        status=CaseStatus.AWAITING_DECISION,
    )
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=ABH))
    eligibility_decide(
        case_id=case.pk,
        actor=decision_maker,
        based_on=None,
        outcome="eligible",
        evidence_person_committed=True,
        sufficient_evidence_to_charge=True,
        authority="authorised_officer",
        admission="admits",
        gravity_adjustment=0,
        rationale="Admitted in interview; first offence.",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT
    return case


@pytest.fixture
def caution_given(case_worker, decision_maker, agency):
    """``caution_given(case)``: add one condition, agree it and give the caution today (the case's
    initial assessment must be completed). Returns the case, now active."""

    def give(case):
        condition_add(
            case_id=case.pk,
            actor=case_worker,
            kind=ConditionKind.REHABILITATIVE,
            wording="Attend the Compass alcohol awareness session",
            due_date=timezone.localdate() + timedelta(days=28),
            responsible_organisation=agency,
        )
        conditions_agree(case_id=case.pk, actor=case_worker)
        caution_administer(
            case_id=case.pk,
            actor=decision_maker,
            administered_on=timezone.localdate(),
            place="Parkside Police Station",
            admission_words="I pushed the door attendant.",
            effect_explained=True,
            warning_given=True,
            consented=True,
            signed=True,
            submission_token=uuid.uuid4(),
        )
        case.refresh_from_db()
        assert case.status == CaseStatus.ACTIVE
        return case

    return give

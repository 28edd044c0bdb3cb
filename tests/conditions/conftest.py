"""What the condition tests share: the force's scheme, a partner's service, and builders that drive a
case through the real services to each stage of the journey (eligible at assessment, assessed,
conditions agreed, active under the caution). Every builder takes the same keyword arguments, so a test
can ask for, say, an active case for a summary-only offence committed months ago."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from factories import (
    ABH,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    PersonFactory,
    SchemeFactory,
    UserFactory,
)

from assessments.models import NeedLevel
from assessments.services import assessment_complete, assessment_start, assessment_update
from cases.models import CaseStatus
from cases.services import eligibility_decide
from conditions.models import ConditionKind
from conditions.services import caution_administer, condition_add, conditions_agree
from offenderhub.accounts.models import Role
from referrals.models import Service

REHABILITATIVE_WORDING = "Attend the Compass alcohol awareness session and complete it"
APOLOGY_WORDING = "Write a letter of apology to the door attendant"


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH")


@pytest.fixture
def outsider_decision_maker(other_force):
    return UserFactory(full_name="Oscar Marsh", organisation=other_force, roles=[Role.DECISION_MAKER])


@pytest.fixture
def other_practitioner(other_agency):
    return UserFactory(full_name="Kim Doyle", organisation=other_agency, roles=[Role.PARTNER_PRACTITIONER])


@pytest.fixture
def partner_service(agency, area):
    service = Service(
        organisation=agency,
        name="Alcohol brief intervention",
        pathways=["drugs_alcohol", "health"],
        contact_email="referrals@compass.example",
    )
    service.full_clean()
    service.save()
    service.areas.set([area])
    return service


@pytest.fixture
def terms(agency):
    """``terms(**overrides)``: keyword arguments of ``condition_add`` for a rehabilitative condition
    delivered by the partner agency, due in four weeks."""

    def build(**overrides):
        kwargs = {
            "kind": ConditionKind.REHABILITATIVE,
            "wording": REHABILITATIVE_WORDING,
            "due_date": timezone.localdate() + timedelta(days=28),
            "responsible_organisation": agency,
            "owner": None,
            "hours": None,
            "amount_kind": "",
            "amount": None,
        }
        kwargs.update(overrides)
        return kwargs

    return build


@pytest.fixture
def default_conditions(terms, force, case_worker):
    """The two conditions of the agreed and active cases: a rehabilitative session with the partner
    agency (3 hours) and a letter of apology arranged by the case worker."""
    today = timezone.localdate()
    return [
        terms(hours=Decimal("3"), due_date=today + timedelta(days=42)),
        terms(
            kind=ConditionKind.REPARATIVE,
            wording=APOLOGY_WORDING,
            due_date=today + timedelta(days=14),
            responsible_organisation=force,
            owner=case_worker,
        ),
    ]


@pytest.fixture
def caution_kwargs():
    """``caution_kwargs(**overrides)``: keyword arguments of ``caution_administer`` meeting every
    statutory requirement, given today."""

    def build(**overrides):
        kwargs = {
            "administered_on": timezone.localdate(),
            "place": "Parkside Police Station",
            "admission_words": "I pushed the door attendant and he fell over.",
            "effect_explained": True,
            "warning_given": True,
            "consented": True,
            "signed": True,
            "submission_token": uuid.uuid4(),
        }
        kwargs.update(overrides)
        return kwargs

    return build


# --- The journey, stage by stage ------------------------------------------------------------------
@pytest.fixture
def eligible_case_for(force, scheme, case_worker, decision_maker):
    """``eligible_case_for(offence=ABH, offence_date=..., decision_date=...)``: a case of Daniel
    Whitmore decided eligible by the decision-maker, now at assessment. The offence is committed eleven
    days ago unless given; the decision is dated today unless given."""

    def build(*, offence=ABH, offence_date=None, decision_date=None):
        offence_date = offence_date or timezone.localdate() - timedelta(days=11)
        case = CaseFactory(
            force=force,
            scheme=scheme,
            area=case_worker.area,
            owner=case_worker,
            person=PersonFactory(
                force=force, created_by=case_worker, given_names="Daniel", family_name="Whitmore"
            ),
            status=CaseStatus.AWAITING_DECISION,
            arrest_date=offence_date + timedelta(days=1),
        )
        CaseOffenceFactory(case=case, offence=OffenceFactory(name=offence), offence_date=offence_date)
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
            time_limit_acknowledged=True,
            decision_date=decision_date,
        )
        case.refresh_from_db()
        assert case.status == CaseStatus.ASSESSMENT
        return case

    return build


@pytest.fixture
def assessed_case_for(eligible_case_for, case_worker):
    """An eligible case whose initial needs assessment is completed (drink at high, housing medium)."""

    def build(**case_kwargs):
        case = eligible_case_for(**case_kwargs)
        assessment = assessment_start(case_id=case.pk, actor=case_worker)
        assessment_update(
            assessment_id=assessment.pk,
            actor=case_worker,
            goals="Stop drinking before nights out; keep my job.",
            risk_flags=[],
            risk_notes="",
            needs={
                "drugs_alcohol": (NeedLevel.HIGH, "Binge drinking at weekends."),
                "accommodation": (NeedLevel.MEDIUM, "Staying with a friend."),
            },
        )
        assessment_complete(assessment_id=assessment.pk, actor=case_worker)
        return case

    return build


@pytest.fixture
def agreed_case_for(assessed_case_for, case_worker, default_conditions):
    """An assessed case with conditions (the two default ones unless given) agreed with the person."""

    def build(*, conditions=None, **case_kwargs):
        case = assessed_case_for(**case_kwargs)
        for condition_terms in default_conditions if conditions is None else conditions:
            condition_add(case_id=case.pk, actor=case_worker, **condition_terms)
        conditions_agree(case_id=case.pk, actor=case_worker)
        case.refresh_from_db()
        assert case.status == CaseStatus.CONDITIONS_AGREED
        return case

    return build


@pytest.fixture
def active_case_for(agreed_case_for, decision_maker, caution_kwargs):
    """An agreed case cautioned by the decision-maker (today unless ``administered_on`` is given)."""

    def build(*, administered_on=None, **kwargs):
        case = agreed_case_for(**kwargs)
        overrides = {"administered_on": administered_on} if administered_on else {}
        caution_administer(case_id=case.pk, actor=decision_maker, **caution_kwargs(**overrides))
        case.refresh_from_db()
        assert case.status == CaseStatus.ACTIVE
        return case

    return build


@pytest.fixture
def eligible_case(eligible_case_for):
    return eligible_case_for()


@pytest.fixture
def assessed_case(assessed_case_for):
    return assessed_case_for()


@pytest.fixture
def agreed_case(agreed_case_for):
    return agreed_case_for()


@pytest.fixture
def active_case(active_case_for):
    return active_case_for()

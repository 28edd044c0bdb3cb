"""What the referral tests share: the builders of the condition tests (the force's scheme, the partner's
service, cases driven through the real services to each stage of the journey), a second agency with
its own manager and service, a practitioner of the agency who is not assigned, and referrals sent,
accepted and worked through the real services."""

import importlib.util
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from factories import UserFactory
from referral_support import DESIRED_OUTCOMES, REASON, partner_condition

from offenderhub.accounts.models import Role
from offenderhub.celery import app as celery_app
from referrals.models import AppointmentFormat, AppointmentSetting, Service
from referrals.services import appointment_book, referral_accept, referral_send


def _conditions_conftest():
    """tests/conditions/conftest.py, loaded under a name of its own: its fixtures drive a case to each
    stage of the journey through the real services, and are reused here rather than copied."""
    path = Path(__file__).resolve().parent.parent / "conditions" / "conftest.py"
    spec = importlib.util.spec_from_file_location("referral_tests_condition_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_journey = _conditions_conftest()
scheme = _journey.scheme
partner_service = _journey.partner_service
terms = _journey.terms
default_conditions = _journey.default_conditions
caution_kwargs = _journey.caution_kwargs
eligible_case_for = _journey.eligible_case_for
assessed_case_for = _journey.assessed_case_for
agreed_case_for = _journey.agreed_case_for
active_case_for = _journey.active_case_for
assessed_case = _journey.assessed_case
active_case = _journey.active_case
other_practitioner = _journey.other_practitioner  # Kim Doyle, of the other agency


# --- More of the cast -----------------------------------------------------------------------------
@pytest.fixture
def other_partner_manager(other_agency):
    """Partner B: the manager of another agency."""
    return UserFactory(full_name="Omar Hale", organisation=other_agency, roles=[Role.PARTNER_MANAGER])


@pytest.fixture
def colleague_practitioner(agency):
    """A practitioner of the same agency who is not assigned to the referral."""
    return UserFactory(full_name="Lee Marsh", organisation=agency, roles=[Role.PARTNER_PRACTITIONER])


@pytest.fixture
def other_service(other_agency):
    service = Service(organisation=other_agency, name="Tenancy support", pathways=["accommodation"])
    service.full_clean()
    service.save()
    return service


@pytest.fixture
def eager_worker():
    """Jobs run in the test's own process as soon as they are queued (configuration, not mocks)."""
    saved = celery_app.conf.get("task_always_eager")
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=saved)


# --- Referrals through the real services -------------------------------------------------------------
@pytest.fixture
def send_referral(case_worker, partner_service):
    """``send_referral(case, **overrides)``: the case worker refers the person to the partner's service
    to deliver the case's rehabilitative condition (``condition=None`` for a referral for a need)."""
    default = object()

    def send(case, *, condition=default, actor=None, **overrides):
        if condition is default:
            condition = partner_condition(case)
        kwargs = {
            "service": partner_service,
            "reason": REASON,
            "desired_outcomes": DESIRED_OUTCOMES,
            "due_date": condition.due_date if condition else timezone.localdate() + timedelta(days=28),
            "condition": condition,
            "needs": ["drugs_alcohol"],
            "needs_summary": "Drugs and alcohol (high): binge drinking at weekends.",
            "availability": "Weekday mornings",
        }
        kwargs.update(overrides)
        return referral_send(case_id=case.pk, actor=actor or case_worker, **kwargs)

    return send


@pytest.fixture
def referral(active_case, send_referral):
    """A referral sent for the active case's rehabilitative condition, waiting for the agency."""
    return send_referral(active_case)


@pytest.fixture
def accepted_referral(referral, partner_manager, practitioner):
    """The referral accepted by the agency's manager and assigned to the practitioner."""
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
    referral.refresh_from_db()
    return referral


@pytest.fixture
def book(practitioner):
    """``book(referral, days_ago=1)``: an appointment booked by the practitioner, by default yesterday
    at 10:00 (so its outcome can be recorded); a negative ``days_ago`` books one in the future."""

    def build(referral, *, days_ago=1, actor=None):
        day = timezone.localdate() - timedelta(days=days_ago)
        starts_at = timezone.make_aware(datetime.combine(day, time(10, 0)))
        return appointment_book(
            referral_id=referral.pk,
            actor=actor or practitioner,
            starts_at=starts_at,
            duration_minutes=60,
            format=AppointmentFormat.IN_PERSON,
            setting=AppointmentSetting.ONE_TO_ONE,
            location="Compass, 4 Mill Lane",
        )

    return build

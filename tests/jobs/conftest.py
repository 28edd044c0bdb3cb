"""What the job tests share: the journey builders of the condition tests (cases driven through the real
services to each stage), a second scheme that confirms undecided breaches automatically, referrals and
appointments through the referral services, and ``run_jobs`` (``manage.py run_daily_jobs`` with its
JSON read back)."""

import importlib.util
import io
import json
from datetime import datetime, time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from factories import SchemeFactory
from job_support import DESIRED_OUTCOMES, REASON

from conditions.models import ConditionKind
from offenderhub.celery import app as celery_app
from referrals.models import AppointmentFormat, AppointmentSetting
from referrals.services import appointment_book, referral_send


@pytest.fixture(autouse=True)
def _no_subject_access_files():
    """The suite's private storage is shared by the tests of one process, whose database rows are rolled
    back: start each job test with no subject access export files, or the daily sweep
    (``subject_access_files``) would count the files other tests left."""
    from django.core.files.storage import storages

    from subjectaccess.files import stored_files

    storage = storages["private"]
    for name in list(stored_files(storage)):
        storage.delete(name)


def _conditions_conftest():
    """tests/conditions/conftest.py, loaded under a name of its own (as tests/referrals does): its
    fixtures drive a case to each stage of the journey through the real services."""
    path = Path(__file__).resolve().parent.parent / "conditions" / "conftest.py"
    spec = importlib.util.spec_from_file_location("job_tests_condition_fixtures", path)
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


@pytest.fixture
def auto_confirm_scheme(force):
    """A second scheme of the force whose undecided breach reviews are confirmed at their deadline."""
    return SchemeFactory(force=force, name="Offender Hub Plus", code="OHP", auto_confirm_without_excuse=True)


@pytest.fixture
def conditions_due(terms, force, case_worker):
    """``conditions_due(rehabilitative, apology)``: the ``conditions=`` of a journey builder, a
    rehabilitative session with the partner agency and a letter of apology arranged by the case
    worker, due on the dates given."""

    def build(rehabilitative, apology):
        return [
            terms(due_date=rehabilitative),
            terms(
                kind=ConditionKind.REPARATIVE,
                wording="Write a letter of apology to the door attendant",
                due_date=apology,
                responsible_organisation=force,
                owner=case_worker,
            ),
        ]

    return build


@pytest.fixture
def send_referral(case_worker, partner_service):
    """``send_referral(case)``: the case worker refers the person to the partner's service to deliver
    the case's rehabilitative condition."""

    def send(case):
        condition = case.conditions.get(kind=ConditionKind.REHABILITATIVE)
        return referral_send(
            case_id=case.pk,
            actor=case_worker,
            service=partner_service,
            reason=REASON,
            desired_outcomes=DESIRED_OUTCOMES,
            due_date=condition.due_date,
            condition=condition,
            needs=["drugs_alcohol"],
        )

    return send


@pytest.fixture
def book(practitioner):
    """``book(referral, day)``: an appointment booked by the practitioner on ``day`` at 10:00."""

    def build(referral, day):
        return appointment_book(
            referral_id=referral.pk,
            actor=practitioner,
            starts_at=timezone.make_aware(datetime.combine(day, time(10, 0))),
            duration_minutes=60,
            format=AppointmentFormat.IN_PERSON,
            setting=AppointmentSetting.ONE_TO_ONE,
            location="Compass, 4 Mill Lane",
        )

    return build


@pytest.fixture
def run_jobs(db):
    """``run_jobs(today, *names)``: ``manage.py run_daily_jobs --today <today> [--job <name> ...]``,
    its JSON output parsed."""

    def run(today, *names):
        out = io.StringIO()
        args = ["--today", today.isoformat()]
        for name in names:
            args += ["--job", name]
        call_command("run_daily_jobs", *args, stdout=out)
        return json.loads(out.getvalue())

    return run


@pytest.fixture
def eager_worker():
    """Jobs run in the test's own process as soon as they are queued (configuration, not mocks)."""
    saved = celery_app.conf.get("task_always_eager")
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=saved)

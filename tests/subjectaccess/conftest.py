"""What the subject access tests share: the referral tests' builders (a case driven through the real
services to each stage), and ``subject``: one person with a record of every kind the force holds,
made through the services where they exist and directly where the export only reads it."""

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory
from sar_support import (
    ALIAS,
    BREACH_ACCOUNT,
    CONDITION_NOTE,
    NEW_PHONE,
    NOTE,
    SCRUTINY_OBSERVATIONS,
    SESSION_SUMMARY,
    pdf_bytes,
)

from cases.models import CaseStatus
from cases.services import person_alias_add, person_correct
from conditions.models import BreachReview, PeriodExtension, Prosecution, Variation
from conditions.services import condition_record_add
from offenderhub.celery import app as celery_app
from referrals.models import Attendance, EvidenceKind
from referrals.services import appointment_record_outcome, evidence_upload, referral_note_add
from reporting.models import ReoffendingImport, ScrutinyItem, ScrutinySample, SubsequentOffence

TESTS = Path(__file__).resolve().parent.parent


def _referrals_conftest():
    """tests/referrals/conftest.py under a name of its own (it loads the condition tests' builders)."""
    sys.path.insert(0, str(TESTS / "referrals"))
    spec = importlib.util.spec_from_file_location(
        "subject_access_referral_fixtures", TESTS / "referrals" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_referrals = _referrals_conftest()
scheme = _referrals.scheme
partner_service = _referrals.partner_service
terms = _referrals.terms
default_conditions = _referrals.default_conditions
caution_kwargs = _referrals.caution_kwargs
eligible_case_for = _referrals.eligible_case_for
assessed_case_for = _referrals.assessed_case_for
agreed_case_for = _referrals.agreed_case_for
active_case_for = _referrals.active_case_for
send_referral = _referrals.send_referral
book = _referrals.book
other_practitioner = _referrals.other_practitioner


@pytest.fixture
def eager_worker():
    """Jobs run in the test's own process as soon as they are queued (configuration, not mocks)."""
    saved = celery_app.conf.get("task_always_eager")
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=saved)


@pytest.fixture
def subject(
    active_case_for,
    send_referral,
    book,
    case_worker,
    decision_maker,
    supervisor,
    partner_manager,
    practitioner,
    force,
):
    """Daniel Whitmore, with one active case holding every kind of record (a referral worked by the
    partner with a session, a note, a document; a condition record; a variation, an extension, a
    breach review and a prosecution), an alias, a correction, an offence on police records, a
    scrutiny finding, and a second case at intake."""
    from referrals.services import referral_accept

    case = active_case_for()
    person = case.person
    referral = send_referral(case)
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
    appointment = book(referral)
    appointment_record_outcome(
        appointment_id=appointment.pk,
        actor=practitioner,
        attendance=Attendance.ATTENDED,
        summary=SESSION_SUMMARY,
        engagement="good",
    )
    referral_note_add(referral_id=referral.pk, actor=practitioner, text=NOTE)
    evidence_upload(
        referral_id=referral.pk,
        actor=practitioner,
        upload=SimpleUploadedFile(
            "certificate-daniel.pdf", pdf_bytes("Certificate of attendance"), content_type="application/pdf"
        ),
        kind=EvidenceKind.CERTIFICATE,
        description="First session",
    )
    condition = case.conditions.first()
    condition_record_add(
        condition_id=condition.pk,
        actor=case_worker,
        kind="attendance",
        text=CONDITION_NOTE,
        reference="CMP-1",
    )
    person_alias_add(
        person_id=person.pk, actor=case_worker, given_names=ALIAS[0], family_name=ALIAS[1], reason="Known as"
    )
    person_correct(person_id=person.pk, actor=case_worker, changes={"phone": NEW_PHONE}, reason="New number")
    # Records the export only reads, made directly.
    today = timezone.localdate()
    Variation.objects.create(
        case=case,
        kind="new_due_date",
        condition=condition,
        new_due_date=today + timedelta(days=30),
        reason="Course moved",
        person_consented=True,
        consented_on=today,
        proposed_by=case_worker,
    )
    PeriodExtension.objects.create(case=case, days=140, reason="Course runs late", approved_by=supervisor)
    review = BreachReview.objects.create(
        case=case,
        status="breach_confirmed",
        opened_by=case_worker,
        opened_reason="Missed two sessions",
        decision_due_on=today,
        person_account=BREACH_ACCOUNT,
        reasonable_excuse=False,
        outcome="breach_confirmed",
        decided_by=decision_maker,
    )
    review.conditions.set([condition])
    review.breached_conditions.set([condition])
    Prosecution.objects.create(case=case, breach_review=review, court="Fenchester Magistrates' Court")
    batch = ReoffendingImport.objects.create(
        force=force,
        filename="police.csv",
        sha256="0" * 64,
        rows_total=1,
        rows_added=1,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
    )
    SubsequentOffence.objects.create(
        person=person,
        offence=OffenceFactory(name="Shop theft (goods worth over £200)"),
        offence_date=today - timedelta(days=400),
        outcome_type="conviction",
        outcome_date=today - timedelta(days=300),
        source=batch,
    )
    sample = ScrutinySample.objects.create(
        force=force, title="Panel, June", size_requested=1, seed=1, created_by=supervisor
    )
    ScrutinyItem.objects.create(
        sample=sample, case=case, position=1, finding="appropriate", observations=SCRUTINY_OBSERVATIONS
    )
    second = CaseFactory(
        force=force,
        scheme=case.scheme,
        area=case.area,
        owner=case_worker,
        person=person,
        status=CaseStatus.INTAKE,
        circumstances="Second case circumstances",
    )
    CaseOffenceFactory(
        case=second, offence=OffenceFactory(name="Criminal damage (under £5,000)"), offence_date=today
    )
    person.refresh_from_db()
    return person


@pytest.fixture
def other_person(active_case_for, send_referral, practitioner, partner_manager):
    """Another person of the same force, with a referral and a note of their own."""
    from referrals.services import referral_accept

    case = active_case_for()
    person = case.person
    person.given_names, person.family_name, person.phone = "Olivia", "Quennell", "07700 900999"
    person.save(update_fields=["given_names", "family_name", "phone"])
    referral = send_referral(case)
    referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
    referral_note_add(referral_id=referral.pk, actor=practitioner, text="Olivia's own note, not Daniel's.")
    case.circumstances = "Olivia's own circumstances"
    case.save(update_fields=["circumstances"])
    return person

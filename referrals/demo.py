"""The partner directory's demo services, and demo referrals and the partners' work on them, called
from the compliance demo stories (``hub/compliance_demo.py``) so that referrals are sent, worked and
reported on through the real services."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Pathway
from offenderhub.accounts.models import Organisation, User

from . import services
from .models import Referral, Service

SERVICES = [
    ("Compass Drug and Alcohol Service", "Alcohol and drug brief intervention", [Pathway.DRUGS_ALCOHOL], 3),
    ("Compass Drug and Alcohol Service", "Victim awareness course", [Pathway.ATTITUDES], 10),
    ("Open Door Housing Support", "Tenancy and housing support", [Pathway.ACCOMMODATION], 5),
    (
        "Fenland Debt and Money Advice",
        "Debt and benefits advice",
        [Pathway.FINANCE_DEBT, Pathway.EDUCATION_EMPLOYMENT],
        5,
    ),
]


def seed_services():
    for agency, name, pathways, days in SERVICES:
        organisation = Organisation.objects.get(name=agency)
        Service.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "pathways": list(pathways),
                "contact_email": organisation.email or "",
                "capacity": 30,
                "first_contact_working_days": days,
            },
        )


def users():
    return {
        "compass_manager": User.objects.get(email="manager@compass.example"),
        "compass_practitioner": User.objects.get(email="practitioner@compass.example"),
        "opendoor_manager": User.objects.get(email="manager@opendoor.example"),
        "opendoor_practitioner": User.objects.get(email="practitioner@opendoor.example"),
    }


def refer(case, case_worker, service_name, *, condition=None, outcomes=None, due_in=None, sent_days_ago=0):
    """Send a referral; ``sent_days_ago`` records it as sent earlier, so sessions in the past follow it."""
    service = Service.objects.get(name=service_name)
    referral = services.referral_send(
        case_id=case.pk,
        actor=case_worker,
        service=service,
        condition=condition,
        reason=condition.wording if condition else "Need identified at the joint assessment.",
        desired_outcomes=outcomes
        or ["Attends every session arranged", "Understands the triggers for their offending"],
        due_date=condition.due_date if condition else timezone.localdate() + timedelta(days=due_in or 42),
        needs=["drugs_alcohol"] if "lcohol" in service_name else [],
        needs_summary="Drinking most days since losing work (high need).",
        risk_summary="No risk to staff identified.",
        availability="Weekday mornings",
    )
    if sent_days_ago:
        Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=sent_days_ago))
        referral.refresh_from_db()
    return referral


def accept(referral, manager, practitioner):
    accepted = services.referral_accept(referral_id=referral.pk, actor=manager, practitioner=practitioner)
    if referral.sent_at < timezone.now() - timedelta(days=2):  # sent earlier: accepted two days later
        Referral.objects.filter(pk=referral.pk).update(accepted_at=referral.sent_at + timedelta(days=2))
    return accepted


def session(referral, practitioner, *, days_ago, attendance="attended", **outcome):
    appointment = services.appointment_book(
        referral_id=referral.pk,
        actor=practitioner,
        starts_at=timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
        - timedelta(days=days_ago),
        duration_minutes=60,
        format="in_person",
        setting="one_to_one",
        location="Compass, 12 Market Street, Fenchester",
    )
    if attendance is None:
        return appointment
    talk = {"summary": "Talked through drinking patterns and set a goal for the week.", "engagement": "good"}
    defaults = {
        "attended": talk,
        "late": talk,
        "did_not_attend": {
            "non_attendance": "unacceptable",
            "non_attendance_notes": "No contact before the session; said afterwards he forgot.",
        },
    }.get(attendance, {})
    return services.appointment_record_outcome(
        appointment_id=appointment.pk, actor=practitioner, attendance=attendance, **{**defaults, **outcome}
    )


def report(referral, practitioner, *, completed):
    result = "completed" if completed else "not_completed"
    return services.referral_report_submit(
        referral_id=referral.pk,
        actor=practitioner,
        result=result,
        summary="Completed the brief intervention."
        if completed
        else "Missed most sessions despite reminders.",
        outcomes={o.pk: ("achieved" if completed else "not_achieved", "") for o in referral.outcomes.all()},
    )


def certificate(referral, practitioner):
    """A small attendance certificate, generated as a real PDF, uploaded as evidence."""
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 760, "Certificate of attendance: brief intervention, Compass Drug and Alcohol Service")
    pdf.save()
    upload = SimpleUploadedFile(
        "attendance-certificate.pdf", buffer.getvalue(), content_type="application/pdf"
    )
    return services.evidence_upload(
        referral_id=referral.pk,
        actor=practitioner,
        upload=upload,
        kind="certificate",
        description="Session 1",
    )


def note(referral, user, text):
    return services.referral_note_add(referral_id=referral.pk, actor=user, text=text)

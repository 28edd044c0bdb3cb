"""A subject access request in progress for a first run (called by ``seed_demo``): Tom Hargreaves,
whose case is active, asked for his information twelve days ago; the export was produced, the victim's
views were withheld to protect the store manager (s.45(4)(e)), and it was produced again, ready for
the supervisor to check and release. Idempotent: keyed on the person's PNC ID."""

from datetime import timedelta

from django.utils import timezone

from cases.models import Case, Person
from offenderhub.accounts.models import User

from .models import RequesterKind, SubjectAccessRequest
from .services import (
    subject_access_export_produce,
    subject_access_redaction_add,
    subject_access_request_create,
)

PNC_ID = "14/0101234K"  # Tom Hargreaves (hub/compliance_demo.py, the "active" story)


def _produce(sar, supervisor):
    """The job's work, done here: nothing is queued while the demo loads."""
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        export_requested_at=timezone.now(), export_requested_by=supervisor, export_claimed_at=None
    )
    subject_access_export_produce(request_id=sar.pk)


def seed_subject_access(out):
    person = Person.objects.filter(pnc_id=PNC_ID).first()
    if person is None or SubjectAccessRequest.objects.filter(person=person).exists():
        out(f"subject access requests: {SubjectAccessRequest.objects.count()}")
        return
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    today = timezone.localdate()
    sar = subject_access_request_create(
        actor=supervisor,
        person=person,
        received_on=today - timedelta(days=12),
        requester_kind=RequesterKind.DATA_SUBJECT,
        received_from=f"{person.full_name}, by letter to the Offender Hub team",
    )
    _produce(sar, supervisor)
    case = Case.objects.filter(person=person).order_by("created_at").first()
    if case is not None and case.victim_views:
        subject_access_redaction_add(
            request_id=sar.pk,
            actor=supervisor,
            item=f"case-{case.pk}.victim_views",
            ground="others",
            reasons="The store manager's own words about the offence; he was not asked whether they may be "
            "shared. The person is told that the victim's views were withheld.",
        )
        _produce(sar, supervisor)
    out(f"subject access requests: {SubjectAccessRequest.objects.count()} ({sar.reference} in review)")

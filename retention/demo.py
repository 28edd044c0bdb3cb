"""Demo data for retention (called by ``seed_demo``): six people whose cases ended six to eight years
ago, migrated from the scheme's earlier records as the reporting demo's cohort is, then the daily
retention job run for today. So a first run shows the review queue with records falling due (one
with an erasure awaiting a second supervisor's approval), one kept until a later date, one held by a
legal hold and never flagged, and one erasure in the register, made through the real services by two
supervisors.

Idempotent: keyed on the cases' reference numbers (an erased person has no name or PNC ID left to key
on), and each decision is taken only while its review is still waiting for it."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cases.events import EventCode
from cases.matching import person_match_keys
from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EligibilityDecision,
    Offence,
    Person,
    Scheme,
)
from cases.services import case_offence_add
from conditions.document_store import caution_document_attach, removed_on_error
from conditions.documents import caution_document_pdf
from conditions.models import Caution, Condition, ConditionStatus, ConditionTemplate
from offenderhub.accounts.models import Organisation, User
from reporting.summaries import refresh_all_stale

from .jobs import retention_reviews_flag
from .models import ReviewStatus
from .services import (
    legal_hold_set,
    retention_review_erasure_approve,
    retention_review_erasure_request,
    retention_review_retain,
)

# Number, given, family, age now, sex, offence, days since the case ended, how it ended, what then.
ARCHIVE = [
    (1, "Wayne", "Colbert", 41, "male", "Theft from a vehicle", 8 * 365, CaseStatus.COMPLETED, "erased"),
    (
        2,
        "Tracey",
        "Nolan",
        37,
        "female",
        "Shop theft (goods worth over £200)",
        7 * 365,
        CaseStatus.CLOSED,
        "kept",
    ),
    (
        3,
        "Dean",
        "Fairweather",
        45,
        "male",
        "Criminal damage (under £5,000)",
        6 * 365 + 30,
        CaseStatus.WITHDRAWN,
        "held",
    ),
    (
        4,
        "Shannon",
        "Pike",
        33,
        "female",
        "Criminal damage (under £5,000)",
        6 * 365 + 100,
        CaseStatus.COMPLETED,
        "due",
    ),
    (5, "Craig", "Lowther", 52, "male", "Common assault", 6 * 365 + 10, CaseStatus.INELIGIBLE, "due"),
    (6, "Nicola", "Hart", 29, "female", "Theft from a vehicle", 7 * 365 + 40, CaseStatus.COMPLETED, "asked"),
]
# Above the numbers the service issues, as the reporting demo's cohort (8000xx) is.
REFERENCE_BASE = 870000


def _archive_case(force, number, given, family, age, sex, offence_name, days, status):
    """One person and their case, as the earlier records held them: opened, decided, cautioned (if it
    got that far) and ended ``days`` ago, with the timeline events that say when."""
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    decider = User.objects.get(email="decisions@fenshire-police.example")
    now = timezone.now()
    ended = now - timedelta(days=days)
    opened = ended - timedelta(days=150 if status in {CaseStatus.COMPLETED, CaseStatus.CLOSED} else 20)
    person = Person.objects.create(
        force=force,
        given_names=given,
        family_name=family,
        **person_match_keys(given, family),
        date_of_birth=timezone.localdate() - relativedelta(years=age) - timedelta(days=40 * number),
        sex=sex,
        pnc_id=f"11/{8800000 + number:07d}P",
        address=f"{number} Mill Court\nFenchester",
        postcode=f"FE{number} 2AB",
        phone=f"07700 90{number:04d}",
        created_by=case_worker,
    )
    case = Case.objects.create(
        reference=f"OH-{opened.year}-{REFERENCE_BASE + number}",
        force=force,
        scheme=Scheme.objects.get(code="OH"),
        area=case_worker.area,
        owner=case_worker,
        person=person,
        status=status,
        arrest_date=opened.date(),
        victim_type="none",
        circumstances=f"{given} {family}: migrated from the scheme's earlier records.",
        created_by=case_worker,
        created_at=opened,
    )
    offence = case_offence_add(
        case=case,
        offence=Offence.objects.get(name=offence_name),
        offence_date=opened.date() - timedelta(days=2),
    )
    events = [CaseEvent(case=case, code=EventCode.CASE_OPENED, occurred_at=opened, summary="Migrated record")]
    if status != CaseStatus.WITHDRAWN:
        EligibilityDecision.objects.create(
            case=case,
            outcome="ineligible" if status == CaseStatus.INELIGIBLE else "eligible",
            decided_by=decider,
            decision_date=opened.date() + timedelta(days=5),
            evidence_person_committed=True,
            sufficient_evidence_to_charge=True,
            authority="authorised_officer",
            admission="admits",
            gravity_score=2,
            criteria=[],
            rationale=f"Migrated from the scheme's earlier records ({given} {family}).",
        )
    if status in {CaseStatus.COMPLETED, CaseStatus.CLOSED}:
        template = ConditionTemplate.objects.get(name="Write a letter of apology")
        conditions = Condition.objects.bulk_create(
            [
                Condition(
                    case=case,
                    template=template,
                    kind=template.kind,
                    wording=template.wording,
                    due_date=opened.date() + timedelta(days=40),
                    responsible_organisation=force,
                    created_by=case_worker,
                    status=ConditionStatus.COMPLETE,
                    outcome_on=opened.date() + timedelta(days=30),
                )
            ]
        )
        caution = Caution(
            case=case,
            administered_on=opened.date() + timedelta(days=10),
            administered_by=decider,
            place="Fenchester police station",
            admission_words=f"I, {given} {family}, admit it.",
            effect_explained=True,
            warning_given=True,
            consented=True,
            signed=True,
            period_ends_on=opened.date() + timedelta(days=122),
        )
        caution_document_attach(
            caution,
            caution_document_pdf(case=case, caution=caution, offences=[offence], conditions=conditions),
        )
        with removed_on_error(caution):
            caution.save()
    events.append(
        CaseEvent(
            case=case,
            code=EventCode.STATUS_CHANGED,
            occurred_at=ended,
            status_before=CaseStatus.ACTIVE,
            status_after=status,
            summary=f"Status changed to {CaseStatus(status).label}",
        )
    )
    CaseEvent.objects.bulk_create(events)
    return case


def seed_retention(out):
    force = Organisation.objects.get(name="Fenshire Constabulary")
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    records_supervisor = User.objects.get(email="supervisor2@fenshire-police.example")
    people = {}
    for number, given, family, age, sex, offence, days, status, then in ARCHIVE:
        case = Case.objects.filter(force=force, reference__endswith=f"-{REFERENCE_BASE + number}").first()
        if case is None:
            case = _archive_case(force, number, given, family, age, sex, offence, days, status)
            if then == "held":
                legal_hold_set(
                    actor=supervisor,
                    person_id=case.person_id,
                    reason="A complaint about the arrest is with the IOPC: keep the record until it is "
                    "concluded.",
                )
        people[then] = people.get(then, []) + [case.person]
    flagged = retention_reviews_flag(today=timezone.localdate())["retention_reviews_flagged"]

    def waiting(person):
        return person.retention_reviews.filter(status=ReviewStatus.DUE).first()

    (kept,) = people["kept"]
    if review := waiting(kept):
        retention_review_retain(
            review_id=review.pk,
            actor=supervisor,
            retain_until=timezone.localdate() + relativedelta(years=2),
            reason="Linked to an investigation of a series of shop thefts that is still open: review "
            "again in two years.",
        )
    (asked,) = people["asked"]
    if review := waiting(asked):
        retention_review_erasure_request(review_id=review.pk, actor=records_supervisor)
    (erased,) = people["erased"]
    if review := waiting(erased):
        retention_review_erasure_request(review_id=review.pk, actor=supervisor)
        retention_review_erasure_approve(review_id=review.pk, actor=records_supervisor)
    # The dashboard's summaries of the cases added and erased here (the reporting step made the rest).
    refresh_all_stale()
    out(f"retention: {flagged} records flagged for review today; one kept, one held, one erased")

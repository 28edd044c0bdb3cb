"""Demo data for the commissioner's reports: a cohort of cases cautioned two years ago (so that
proven reoffending and the cost of crime have matured), a reoffending import from police records
through the real import service, and a scrutiny sample with findings.

The historical cohort is written directly, as a migration of the scheme's earlier records would be:
the services only take today's decisions. Everything is keyed on PNC IDs, so it is idempotent."""

import csv
import io
import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, Pathway, PathwayNeed
from cases.events import EventCode
from cases.matching import person_match_keys
from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EligibilityDecision,
    Ethnicity,
    Offence,
    Person,
    Scheme,
)
from cases.services import OffenceEntry, case_create, case_offence_add, person_create
from conditions.document_store import caution_document_attach, removed_on_error
from conditions.documents import caution_document_pdf
from conditions.models import (
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionStatus,
    ConditionTemplate,
    Prosecution,
    ProsecutionOutcome,
)
from offenderhub.accounts.models import Organisation, User

from . import services
from .models import ScrutinySample
from .summaries import rebuild

COHORT = 40
OFFENCES = [
    "Shop theft (goods worth over £200)",
    "Criminal damage (under £5,000)",
    "Assault occasioning actual bodily harm",
    "Possession of a controlled drug (Class B or C)",
    "Theft from a vehicle",
]
LATER_OFFENCES = [
    "Criminal damage (under £5,000)",
    "Theft from a vehicle",
    "Shop theft (goods worth over £200)",
    "Assault occasioning actual bodily harm",
]


def _pnc(i):
    return f"05/{7700000 + i:07d}Z"


def _cohort(force, rng):
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    decider = User.objects.get(email="decisions@fenshire-police.example")
    scheme = Scheme.objects.get(code="OH")
    ethnicities = list(Ethnicity.objects.order_by("position"))
    common = [e for e in ethnicities if e.code in {"W1", "W2", "A4", "B2", "M3"}] or ethnicities
    letter = ConditionTemplate.objects.get(name="Write a letter of apology")
    treatment = ConditionTemplate.objects.get(name="Attend an alcohol or drug intervention")
    today = timezone.localdate()
    cases = []
    for i in range(COHORT):
        if Person.objects.filter(force=force, pnc_id=_pnc(i)).exists():
            continue
        age = rng.choice([19, 22, 27, 31, 38, 44, 52, 60])
        given = rng.choice(["Sam", "Alex", "Jo", "Chris", "Lee", "Robin", "Kim", "Jamie"])
        person = Person.objects.create(
            force=force,
            given_names=given,
            family_name=f"Cohort{i:02d}",
            **person_match_keys(given, f"Cohort{i:02d}"),
            date_of_birth=today - relativedelta(years=age) - timedelta(days=rng.randint(0, 300)),
            sex=rng.choice(["male", "male", "female"]),
            ethnicity=rng.choice(common + [common[0]] * 3),
            pnc_id=_pnc(i),
            created_by=case_worker,
        )
        opened = timezone.now() - timedelta(days=rng.randint(560, 760))
        offence_date = opened.date() - timedelta(days=rng.randint(2, 30))
        breached = i % 7 == 3  # about one in seven, as the seeds report (compliance about 85%)
        case = Case.objects.create(
            reference=f"OH-{opened.year}-{800000 + i}",
            force=force,
            scheme=scheme,
            area=case_worker.area,
            owner=case_worker,
            person=person,
            status=CaseStatus.CLOSED if breached else CaseStatus.COMPLETED,
            arrest_date=offence_date,
            victim_type="none",
            created_by=case_worker,
            created_at=opened,
        )
        case_offence_add(
            case=case, offence=Offence.objects.get(name=rng.choice(OFFENCES)), offence_date=offence_date
        )
        decided = opened.date() + timedelta(days=rng.randint(3, 15))
        EligibilityDecision.objects.create(
            case=case,
            outcome="eligible",
            decided_by=decider,
            decision_date=decided,
            evidence_person_committed=True,
            sufficient_evidence_to_charge=True,
            authority="authorised_officer",
            admission="admits",
            gravity_adjustment=0,
            gravity_score=2,
            criteria=[],
            rationale="Migrated from the scheme's earlier records.",
        )
        cautioned = decided + timedelta(days=rng.randint(5, 25))
        conditions = [
            Condition(
                case=case,
                template=treatment,
                kind=treatment.kind,
                wording=treatment.wording,
                due_date=cautioned + timedelta(days=70),
                responsible_organisation=force,
                created_by=case_worker,
                status=ConditionStatus.BREACHED if breached else ConditionStatus.COMPLETE,
                outcome_on=cautioned + timedelta(days=60),
            ),
            Condition(
                case=case,
                template=letter,
                kind=letter.kind,
                wording=letter.wording,
                due_date=cautioned + timedelta(days=14),
                responsible_organisation=force,
                created_by=case_worker,
                status=ConditionStatus.COMPLETE,
                outcome_on=cautioned + timedelta(days=10),
            ),
        ]
        Condition.objects.bulk_create(conditions)
        caution = Caution(
            case=case,
            administered_on=cautioned,
            administered_by=decider,
            place="Fenchester police station",
            admission_words="I admit it.",
            effect_explained=True,
            warning_given=True,
            consented=True,
            signed=True,
            period_ends_on=cautioned + timedelta(days=112),
        )
        caution_document_attach(
            caution,
            caution_document_pdf(
                case=case, caution=caution, offences=list(case.offences.all()), conditions=conditions
            ),
        )
        if breached:
            caution.ceased_on = cautioned + timedelta(days=75)
            caution.ceased_reason = "Breach confirmed: the prosecution resumed"
        with removed_on_error(caution):
            caution.save()
        if breached:
            review = BreachReview.objects.create(
                case=case,
                status=BreachStatus.BREACH_CONFIRMED,
                opened_reason="Condition failed",
                decision_due_on=cautioned + timedelta(days=72),
                outcome="breach_confirmed",
                reasonable_excuse=False,
                person_account="No reason given.",
                alternatives_tried="Reminders and a rearranged session.",
                rationale="No reasonable excuse.",
                decided_by=decider,
                decided_at=opened + timedelta(days=80),
            )
            review.conditions.add(conditions[0])
            review.breached_conditions.add(conditions[0])
            Prosecution.objects.create(
                case=case,
                breach_review=review,
                resumed_by=decider,
                method="requisition",
                proceedings_started_on=cautioned + timedelta(days=80),
                court="Fenchester Magistrates' Court",
                outcome=ProsecutionOutcome.CONVICTED,
                outcome_on=cautioned + timedelta(days=120),
                case_file_team_notified_at=opened + timedelta(days=81),
            )
        for kind in [AssessmentKind.INITIAL] + ([] if breached else [AssessmentKind.FINAL]):
            assessment = Assessment.objects.create(
                case=case,
                kind=kind,
                status=AssessmentStatus.COMPLETED,
                goals="Stay out of trouble.",
                created_by=case_worker,
                completed_by=case_worker,
                completed_at=opened,
            )
            start = {
                Pathway.DRUGS_ALCOHOL: rng.choice([2, 3]),
                Pathway.ACCOMMODATION: rng.choice([0, 1, 2]),
                Pathway.FINANCE_DEBT: rng.choice([1, 2]),
                Pathway.EDUCATION_EMPLOYMENT: rng.choice([0, 2]),
            }
            PathwayNeed.objects.bulk_create(
                PathwayNeed(
                    assessment=assessment,
                    pathway=p,
                    level=max(
                        0, start.get(p, 0) - (rng.choice([1, 1, 2]) if kind == AssessmentKind.FINAL else 0)
                    ),
                )
                for p in Pathway.values
            )
        CaseEvent.objects.create(
            case=case,
            code=EventCode.CASE_OPENED,
            summary="Migrated from the scheme's earlier records",
            occurred_at=opened,
            actor=case_worker,
        )
        cases.append((case, person, cautioned, offence_date))
    return cases


def _police_records(cases, rng):
    """A police records extract: offences before the caution for some, proven reoffending for about
    one in ten, and some later offences outside the follow-up year."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["pnc_id", "offence_date", "offence", "outcome_type", "outcome_date"])
    for n, (_case, person, cautioned, _offence_date) in enumerate(cases):
        for k in range(rng.choice([0, 0, 1, 2])):
            when = cautioned - timedelta(days=rng.randint(40, 350))
            writer.writerow(
                [person.pnc_id, when, rng.choice(LATER_OFFENCES), "conviction", when + timedelta(days=30 + k)]
            )
        if n % 10 == 4:
            when = cautioned + timedelta(days=rng.randint(60, 330))
            writer.writerow(
                [person.pnc_id, when, rng.choice(LATER_OFFENCES), "caution", when + timedelta(days=20)]
            )
        if n % 13 == 6:
            when = cautioned + timedelta(days=rng.randint(400, 500))
            writer.writerow(
                [person.pnc_id, when, rng.choice(LATER_OFFENCES), "conviction", when + timedelta(days=40)]
            )
    return buffer.getvalue()


def _data_quality_examples(force) -> bool:
    """For the supervisor's data-quality page: Daniel Whitmore recorded a second time, without his PNC
    ID and written another way (as an import or a hurried intake might: "Danny Whitmoore", his date of
    birth a day out), with a case opened three weeks ago and left at intake; the duplicate matching
    lists the two as suspected duplicates, with its reasons. With the demo's people without an ethnic
    group and its conditions without an owner, four of the page's categories show something on a first
    run. Once only."""
    original = Person.objects.filter(force=force, pnc_id="19/0012345A").first()
    if original is None or Person.objects.filter(force=force, family_name="Whitmoore", pnc_id="").exists():
        return False
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    person = person_create(
        actor=case_worker,
        data={
            "given_names": "Danny",
            "family_name": "Whitmoore",
            "date_of_birth": original.date_of_birth + timedelta(days=1),
            "sex": original.sex,
            "address": "Flat 2, 40 Station Road\nFenchester",
            "postcode": "FE2 9XY",
        },
    )
    opened = timezone.now() - timedelta(days=21)
    case = case_create(
        actor=case_worker,
        person=person,
        scheme=Scheme.objects.get(code="OH"),
        area=case_worker.area,
        owner=case_worker,
        arrest_date=opened.date() - timedelta(days=1),
        offences=[
            OffenceEntry(
                Offence.objects.get(name="Shop theft (goods worth £200 or less)"),
                opened.date() - timedelta(days=2),
            )
        ],
        victim_type="none",
        circumstances="Demo case: opened and not taken further.",
    )
    Case.objects.filter(pk=case.pk).update(created_at=opened)
    CaseEvent.objects.filter(case=case).update(occurred_at=opened)
    return True


def seed_extract_permission(analyst) -> bool:
    """The analyst may download the pseudonymised case extract, granted by their office's
    administrator on a data sharing agreement (once: a permission revoked since stays revoked)."""
    from .models import ExtractPermission

    if ExtractPermission.objects.filter(user=analyst).exists():
        return False
    administrator = User.objects.get(email="admin@fenshire-opcc.example")
    services.extract_permission_grant(
        actor=administrator,
        user_id=analyst.pk,
        authority="Data sharing agreement FEN-DSA-2026-03 between Fenshire Constabulary and the "
        "commissioner's office, approved by the force's data protection officer",
    )
    return True


def seed_reporting(out):
    force = Organisation.objects.get(name="Fenshire Constabulary")
    if _data_quality_examples(force):
        out("data quality: a duplicate person with a case stuck at intake")
    rng = random.Random(2016)  # the Offender Hub's first year; a fixed seed keeps the demo the same
    cases = _cohort(force, rng)
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    if cases:
        upload = SimpleUploadedFile("police-records-extract.csv", _police_records(cases, rng).encode())
        result = services.reoffending_import(actor=supervisor, upload=upload)
        if result.errors:
            raise RuntimeError(f"Demo import refused: {result.errors[:3]}")
    analyst = User.objects.get(email="analyst@fenshire-opcc.example")
    if not ScrutinySample.objects.filter(force=force).exists():
        sample = services.scrutiny_sample_create(
            actor=analyst,
            force_id=force.pk,
            title="Scrutiny panel (demo)",
            outcomes=["completed", "breached"],
            size=6,
            seed=42,
        )
        items = list(sample.items.all()[:2])
        findings = [("appropriate", ""), ("observations", "Conditions could have addressed housing as well.")]
        for item, (finding, observations) in zip(items, findings, strict=False):
            services.scrutiny_finding_record(
                actor=analyst, item_id=item.pk, force_id=force.pk, finding=finding, observations=observations
            )
    out(f"historical cohort: {len(cases)} cases added; scrutiny samples: {ScrutinySample.objects.count()}")
    if seed_extract_permission(analyst):
        out("case extract: the commissioner's office's administrator let the analyst download it")
    summarised = rebuild()["cases"]
    out(f"dashboard summaries: {summarised} cases summarised")

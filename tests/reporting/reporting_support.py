"""Builders for the reporting tests: cases written directly at the stage a test needs (as the demo's
historical cohort is), with explicit dates, so every dashboard figure has a known answer."""

import csv
import io
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factories import (
    COMMON_ASSAULT,
    AreaFactory,
    CaseFactory,
    OffenceFactory,
    PersonFactory,
    SchemeFactory,
    UserFactory,
)

from cases.models import (
    Admission,
    Authority,
    CaseOffence,
    CaseStatus,
    DecisionOutcome,
    EligibilityDecision,
    Ethnicity,
)
from conditions.models import BreachOutcome, BreachReview, BreachStatus, Caution, Prosecution
from offenderhub.accounts.models import Role
from reporting.services import COLUMNS

DOCUMENT = b"%PDF-"
ADMISSION_WORDS = "I kicked the bus shelter glass in on Mill Lane."
CIRCUMSTANCES = "Damaged the shelter outside the Red Lion after an argument."
RATIONALE = "Admits the offence; low gravity; first offence."
OUTCOMES = ("ineligible", "active", "completed", "breached")


def pnc(n: int) -> str:
    """A PNC ID in the stored (normalised) form."""
    return f"19/{n:07d}A"


class CaseBuilder:
    """``build(outcome=..., cautioned_on=...)``: a case of ``force`` at intake (outcome None),
    decided ineligible, active under a caution, completed (diverted) or breached (prosecution
    resumed). Person fields (``sex``, ``date_of_birth``, ``ethnicity`` code, ``pnc_id``...) pass
    through; ``person=`` reuses a person."""

    def __init__(self, force, *, scheme=None, area=None, worker=None, decider=None):
        self.force = force
        self.scheme = scheme or SchemeFactory(force=force)
        self.area = area or AreaFactory(force=force)
        self.worker = worker or UserFactory(organisation=force, area=self.area, roles=[Role.CASE_WORKER])
        self.decider = decider or UserFactory(organisation=force, area=self.area, roles=[Role.DECISION_MAKER])

    def person(self, *, ethnicity=None, **fields):
        if isinstance(ethnicity, str):
            ethnicity = Ethnicity.objects.get(code=ethnicity)
        return PersonFactory(force=self.force, created_by=self.worker, ethnicity=ethnicity, **fields)

    def __call__(
        self,
        *,
        outcome=None,
        cautioned_on=None,
        person=None,
        offences=(COMMON_ASSAULT,),
        scheme=None,
        area=None,
        created_at=None,
        **person_fields,
    ):
        assert outcome is None or outcome in OUTCOMES, outcome
        if outcome in {"active", "completed", "breached"}:
            cautioned_on = cautioned_on or timezone.localdate() - timedelta(days=30)
        decided_on = (cautioned_on or timezone.localdate()) - timedelta(days=7)
        arrested_on = decided_on - timedelta(days=14)
        status = {
            None: CaseStatus.INTAKE,
            "ineligible": CaseStatus.INELIGIBLE,
            "active": CaseStatus.ACTIVE,
            "completed": CaseStatus.COMPLETED,
            "breached": CaseStatus.PROSECUTION_RESUMED,
        }[outcome]
        extra = {"created_at": created_at} if created_at else {}
        case = CaseFactory(
            force=self.force,
            scheme=scheme or self.scheme,
            area=area or self.area,
            owner=self.worker,
            person=person or self.person(**person_fields),
            status=status,
            arrest_date=arrested_on,
            circumstances=CIRCUMSTANCES,
            **extra,
        )
        for name in offences:
            CaseOffence.objects.create(
                case=case, offence=OffenceFactory(name=name), offence_date=arrested_on - timedelta(days=1)
            )
        if outcome is None:
            return case
        EligibilityDecision.objects.create(
            case=case,
            outcome=DecisionOutcome.INELIGIBLE if outcome == "ineligible" else DecisionOutcome.ELIGIBLE,
            decided_by=self.decider,
            decision_date=decided_on,
            evidence_person_committed=True,
            sufficient_evidence_to_charge=True,
            authority=Authority.AUTHORISED_OFFICER,
            admission=Admission.ADMITS,
            gravity_score=2,
            criteria=[{"code": "gravity", "label": "Gravity within the scheme's limit", "passed": True}],
            rationale=RATIONALE,
        )
        if outcome == "ineligible":
            return case
        Caution.objects.create(
            case=case,
            administered_on=cautioned_on,
            administered_by=self.decider,
            place="Parkside Police Station",
            admission_words=ADMISSION_WORDS,
            effect_explained=True,
            warning_given=True,
            consented=True,
            signed=True,
            period_ends_on=cautioned_on + timedelta(days=112),
            document=ContentFile(DOCUMENT, name="caution.pdf"),
            document_sha256=Caution.digest(DOCUMENT),
        )
        if outcome == "breached":
            review = BreachReview.objects.create(
                case=case,
                status=BreachStatus.BREACH_CONFIRMED,
                opened_reason="The apology letter was not written.",
                decision_due_on=cautioned_on + timedelta(days=70),
                reasonable_excuse=False,
                outcome=BreachOutcome.BREACH_CONFIRMED,
                rationale="No reasonable excuse.",
                decided_by=self.decider,
                decided_at=timezone.now(),
            )
            Prosecution.objects.create(case=case, breach_review=review, resumed_by=self.decider)
        return case


def police_records_csv(rows, *, name="police-records.csv", header=COLUMNS) -> SimpleUploadedFile:
    """A police records extract: ``rows`` of (pnc_id, offence_date, offence, outcome_type, outcome_date),
    dates as ``date`` or text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in row])
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def body(response) -> str:
    """A response's text, read to the end where it is streamed (the case extract)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def csv_rows(response) -> list[list[str]]:
    """The cells of a CSV download."""
    return list(csv.reader(io.StringIO(body(response))))


EXTRACT_FORM = {
    "purpose": "Evaluation of the scheme for the commissioner's board",
    "recipient": "OPCC performance team",
}


def extract_download(client, **data):
    """Download the pseudonymised case extract, recording its purpose and recipient."""
    from django.urls import reverse

    return client.post(reverse("reporting:extract"), {**EXTRACT_FORM, **data})

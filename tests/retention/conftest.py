"""What the retention tests share: the force's scheme, a second supervisor (the four eyes of an
erasure), cases that ended on a chosen day (with the timeline event that ended them), a review flagged
by the daily job, and ``run_jobs`` (``manage.py run_daily_jobs --today``)."""

import io
import json
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, PersonFactory, SchemeFactory, UserFactory

from cases.events import EventCode
from cases.models import Case, CaseEvent, CaseStatus
from offenderhub.accounts.models import Role
from retention.jobs import retention_reviews_flag
from retention.models import RetentionReview

# The cases' ends are set relative to this day; the job runs years later.
ENDED = date(2020, 3, 10)


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH")


@pytest.fixture
def second_supervisor(force):
    return UserFactory(full_name="Mark Bell", organisation=force, roles=[Role.SUPERVISOR])


@pytest.fixture
def outsider_case_worker(other_force):
    return UserFactory(full_name="Orla Marsh", organisation=other_force, roles=[Role.CASE_WORKER])


def at_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


@pytest.fixture
def ended_case(force, scheme, area, case_worker):
    """``ended_case(person=None, status=COMPLETED, ended_on=ENDED, force=...)``: a case of the person (a
    new one unless given) that reached ``status`` on ``ended_on``, as its timeline says."""

    def build(person=None, *, status=CaseStatus.COMPLETED, ended_on=ENDED, of_force=None):
        if of_force is None or of_force == force:
            person = person or PersonFactory(force=force, created_by=case_worker)
            own = {"force": force, "scheme": scheme, "area": area, "owner": case_worker, "person": person}
        else:  # another force's case: its scheme, area, case worker and person made to match
            own = {"force": of_force, **({"person": person} if person else {})}
        case = CaseFactory(status=status, arrest_date=ended_on.replace(day=1), **own)
        CaseOffenceFactory(case=case, offence_date=ended_on.replace(day=1))
        CaseEvent.objects.create(
            case=case,
            code=EventCode.STATUS_CHANGED,
            occurred_at=at_noon(ended_on),
            status_before=CaseStatus.ACTIVE,
            status_after=status,
            summary="Ended",
        )
        return case

    return build


@pytest.fixture
def flagged(ended_case):
    """``flagged(person=None, today=...)``: a review of the person (with a case ended long ago, unless
    they have one) opened by the daily job, run for ``today`` (by default the tests' own day; years
    later for cases that end today)."""

    def build(person=None, *, today=date(2027, 6, 16)):
        if person is None:
            person = ended_case().person
        retention_reviews_flag(today=today)
        return RetentionReview.objects.get(person=person, status="due")

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


# --- A person with everything a record can hold ----------------------------------------------------


@pytest.fixture
def partner_service(agency, area):
    from referrals.models import Service

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
def journey(
    force,
    scheme,
    area,
    agency,
    case_worker,
    decision_maker,
    supervisor,
    partner_manager,
    practitioner,
    partner_service,
    analyst,
    settings,
    tmp_path,
):
    """Zebulon Quillfeather's record, built through the real services with something written in every
    place a record can hold it: the person (corrected, with aliases added and ended), a case completed
    (decision, assessment with a contribution, conditions with evidence notes, the signed caution, a
    referral with sessions, notes, an uploaded document and the end report, a scrutiny finding) and a
    second case whose breach resumed the prosecution, then closed at court; legal holds set and
    cleared. Every text typed about him names him ("Zebulon"), so a search for the name finds them all.
    Beside him, Olive Brampton's case with its own caution and upload, which an erasure of his record
    must leave whole. Returns a namespace of what a test needs, ``values``: what must be gone."""
    from types import SimpleNamespace

    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile
    from factories import OffenceFactory

    from assessments.models import NeedLevel
    from assessments.services import (
        assessment_complete,
        assessment_contribute,
        assessment_start,
        assessment_update,
    )
    from cases.services import (
        MERGE_DETAILS,
        OffenceEntry,
        case_create,
        case_submit_for_decision,
        eligibility_decide,
        merge_detail_choosable,
        person_alias_add,
        person_alias_end,
        person_correct,
        person_create,
        person_merge,
    )
    from conditions.models import BreachOutcome, BreachReview, ConditionKind, ConditionStatus, RecordKind
    from conditions.services import (
        breach_review_decide,
        caution_administer,
        condition_add,
        condition_progress,
        condition_record_add,
        conditions_agree,
        period_extend,
        prosecution_update,
        variation_decide,
        variation_propose,
    )
    from imports.models import CaseloadImport, ImportStatus
    from referrals.models import (
        AppointmentFormat,
        AppointmentSetting,
        Attendance,
        EndReport,
        Engagement,
        EvidenceKind,
    )
    from referrals.services import (
        appointment_book,
        appointment_record_outcome,
        appointment_reschedule,
        evidence_upload,
        referral_accept,
        referral_note_add,
        referral_report_submit,
        referral_send,
    )
    from reporting.models import ScrutinyItem, ScrutinySample
    from reporting.selectors import BREACHED, DIVERTED
    from reporting.services import scrutiny_finding_record
    from retention.services import legal_hold_clear, legal_hold_set
    from subjectaccess.services import (
        subject_access_export_produce,
        subject_access_export_request,
        subject_access_redaction_add,
        subject_access_release,
        subject_access_request_create,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    name = "Zebulon"

    def make_person(given, family, pnc, **more):
        return person_create(
            actor=case_worker,
            data={
                "given_names": given,
                "family_name": family,
                "date_of_birth": date(1991, 4, 23),
                "sex": "male",
                "pnc_id": pnc,
                **more,
            },
            aliases=[("Zed", "Marrowby")] if given == name else [],
        )

    person = make_person(
        name,
        "Quillfeather",
        "99/0123456Z",
        address="7 Marshmallow Lane\nFenchester",
        postcode="FE9 9ZQ",
        phone="07700 900111",
        email="zebulon.q@mail.example",
        vulnerable=True,
        vulnerability_notes="Zebulon has a learning disability.",
        interpreter_needed=True,
        interpreter_language="Zebulon's Welsh",
    )
    person_correct(
        person_id=person.pk,
        actor=case_worker,
        changes={"phone": "07700 900222"},
        reason="Zebulon gave a new number.",
    )
    person_alias_add(
        person_id=person.pk,
        actor=case_worker,
        given_names="Zee",
        family_name="Harrowgate",
        reason="Zebulon uses his stepfather's name.",
    )
    person_alias_end(
        person_id=person.pk,
        actor=case_worker,
        alias_id=person.aliases.get(family_name="Marrowby").pk,
        reason="Zebulon never used Marrowby.",
    )

    def open_case(who):
        case = case_create(
            actor=case_worker,
            person=who,
            scheme=scheme,
            area=area,
            owner=case_worker,
            arrest_date=today - timedelta(days=10),
            offences=[
                OffenceEntry(
                    OffenceFactory(name="Assault occasioning actual bodily harm"),
                    today - timedelta(days=11),
                    f"{who.given_names} pushed the door attendant at the Red Lion.",
                )
            ],
            victim_type="person",
            victim_views=f"The door attendant wants {who.given_names} to get help with his drinking.",
            victim_rj_consent="consents",
            circumstances=f"{who.given_names} was refused entry and pushed the door attendant.",
        )
        case_submit_for_decision(case_id=case.pk, actor=case_worker)
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
            rationale=f"{who.given_names} admitted it in interview; a first offence.",
            time_limit_acknowledged=True,
        )
        assessment = assessment_start(case_id=case.pk, actor=case_worker)
        assessment_update(
            assessment_id=assessment.pk,
            actor=case_worker,
            goals=f"{who.given_names} wants to keep his job.",
            risk_flags=["risk_to_staff"],
            risk_notes=f"{who.given_names} was aggressive when drunk.",
            needs={"drugs_alcohol": (NeedLevel.HIGH, f"{who.given_names} binge drinks at weekends.")},
        )
        assessment_contribute(
            assessment_id=assessment.pk,
            actor=case_worker,
            organisation=agency,
            contributor_name=f"{who.given_names}'s key worker",
            pathway="drugs_alcohol",
            text=f"We know {who.given_names} from an earlier referral.",
        )
        assessment_complete(assessment_id=assessment.pk, actor=case_worker)
        condition_add(
            case_id=case.pk,
            actor=case_worker,
            kind=ConditionKind.REHABILITATIVE,
            wording=f"{who.given_names} attends the Compass alcohol awareness session",
            due_date=today + timedelta(days=42),
            responsible_organisation=agency,
            owner=None,
            hours=None,
            amount_kind="",
            amount=None,
        )
        condition_add(
            case_id=case.pk,
            actor=case_worker,
            kind=ConditionKind.REPARATIVE,
            wording=f"{who.given_names} writes a letter of apology to the door attendant",
            due_date=today + timedelta(days=14),
            responsible_organisation=force,
            owner=case_worker,
            hours=None,
            amount_kind="",
            amount=None,
        )
        conditions_agree(case_id=case.pk, actor=case_worker)
        caution_administer(
            case_id=case.pk,
            actor=decision_maker,
            administered_on=today,
            place=f"{who.given_names}'s solicitor's office",
            admission_words=f"I, {who.given_names}, pushed him and he fell.",
            effect_explained=True,
            warning_given=True,
            consented=True,
            signed=True,
            interpreter=f"{who.given_names}'s cousin",
            appropriate_adult=f"{who.given_names}'s mother",
        )
        case.refresh_from_db()
        return case

    def refer_and_work(case, who):
        condition = case.conditions.get(kind=ConditionKind.REHABILITATIVE)
        referral = referral_send(
            case_id=case.pk,
            actor=case_worker,
            service=partner_service,
            reason=f"{who.given_names} drinks before nights out.",
            desired_outcomes=[f"{who.given_names} sets a drinking goal"],
            due_date=condition.due_date,
            condition=condition,
            needs=["drugs_alcohol"],
            needs_summary=f"{who.given_names}: alcohol, high.",
            risk_summary=f"{who.given_names} can be aggressive.",
            interpreter_language=f"{who.given_names}'s Welsh",
            availability=f"{who.given_names} works days: evenings only.",
            access_needs=f"{who.given_names} needs large print.",
        )
        referral_accept(referral_id=referral.pk, actor=partner_manager, practitioner=practitioner)
        start = timezone.make_aware(datetime.combine(today - timedelta(days=3), time(10, 0)))
        first = appointment_book(
            referral_id=referral.pk,
            actor=practitioner,
            starts_at=start,
            duration_minutes=60,
            format=AppointmentFormat.IN_PERSON,
            setting=AppointmentSetting.ONE_TO_ONE,
            location=f"{who.given_names}'s home",
        )
        appointment_record_outcome(
            appointment_id=first.pk,
            actor=practitioner,
            attendance=Attendance.LATE,
            late_reason=f"{who.given_names}'s bus was late.",
            summary=f"{who.given_names} talked through his drinking diary.",
            engagement=Engagement.GOOD,
            behaviour=f"{who.given_names} was calm.",
            concerns=f"{who.given_names} mentioned debts.",
            alert_case_worker=True,
        )
        second = appointment_book(
            referral_id=referral.pk,
            actor=practitioner,
            starts_at=start + timedelta(days=10),
            duration_minutes=60,
            format=AppointmentFormat.PHONE,
            setting=AppointmentSetting.ONE_TO_ONE,
        )
        appointment_reschedule(
            appointment_id=second.pk,
            actor=practitioner,
            starts_at=start + timedelta(days=12),
            requested_by="person",
            reason=f"{who.given_names} has a hospital appointment.",
        )
        referral_note_add(
            referral_id=referral.pk, actor=practitioner, text=f"{who.given_names} is doing well."
        )
        evidence_upload(
            referral_id=referral.pk,
            actor=practitioner,
            upload=SimpleUploadedFile(
                f"{who.given_names.lower()}-{who.family_name.lower()}-certificate.png",
                b"\x89PNG\r\n\x1a\n" + f"tEXtAuthor {who.given_names} {who.family_name}".encode(),
            ),
            kind=EvidenceKind.CERTIFICATE,
            description=f"{who.given_names}'s attendance certificate",
        )
        return referral, condition

    # The first case: completed, diverted.
    first = open_case(person)
    referral, rehabilitative = refer_and_work(first, person)
    apology = first.conditions.get(kind=ConditionKind.REPARATIVE)
    condition_record_add(
        condition_id=apology.pk,
        actor=case_worker,
        kind=RecordKind.DOCUMENT,
        text=f"Seen {name}'s letter.",
        reference=f"Letter from {name}",
    )
    condition_progress(
        condition_id=apology.pk, actor=case_worker, to=ConditionStatus.COMPLETE, notes=f"{name} apologised."
    )
    outcome = referral.outcomes.get()
    referral_report_submit(
        referral_id=referral.pk,
        actor=practitioner,
        result=EndReport.Result.COMPLETED,
        summary=f"{name} attended every session.",
        outcomes={outcome.pk: ("achieved", f"{name} keeps to his goal.")},
    )
    first.refresh_from_db()
    assert first.status == CaseStatus.COMPLETED, first.status

    # The second case: varied, breached, prosecuted and closed at court.
    second = open_case(person)
    period_extend(case_id=second.pk, actor=supervisor, days=130, reason=f"{name} is in hospital for a month.")
    letter = second.conditions.get(kind=ConditionKind.REPARATIVE)
    variation = variation_propose(
        case_id=second.pk,
        actor=case_worker,
        variation_kind="new_due_date",
        reason=f"{name} asked for more time.",
        person_consented=True,
        consented_on=today,
        condition_id=letter.pk,
        new_due_date=today + timedelta(days=21),
    )
    variation_decide(variation_id=variation.pk, actor=decision_maker, approve=True, notes=f"{name} agreed.")
    rehab = second.conditions.get(kind=ConditionKind.REHABILITATIVE)
    condition_progress(
        condition_id=rehab.pk, actor=case_worker, to=ConditionStatus.FAILED, notes=f"{name} did not attend."
    )
    review = BreachReview.objects.get(case=second, status="open")
    breach_review_decide(
        review_id=review.pk,
        actor=decision_maker,
        outcome=BreachOutcome.BREACH_CONFIRMED,
        breached_condition_ids=[rehab.pk],
        person_account=f"{name} says he forgot.",
        alternatives_tried=f"Two calls to {name} and a letter.",
        reasonable_excuse=False,
        rationale=f"{name} gave no reasonable excuse.",
    )
    prosecution_update(
        case_id=second.pk,
        actor=case_worker,
        method="charge",
        proceedings_started_on=today,
        court="Fenchester Magistrates' Court",
        first_hearing_on=None,
        outcome="convicted",
        outcome_on=today,
        outcome_notes=f"{name} was fined £120.",
    )
    second.refresh_from_db()
    assert second.status == CaseStatus.CLOSED, second.status

    # The scrutiny panel's finding on the first case, and holds set and cleared.
    # (Written as the service would draw it: the service draws only from at least the minimum cohort.)
    finished = Case.objects.filter(DIVERTED | BREACHED, force=force, caution__isnull=False).order_by("pk")
    sample = ScrutinySample.objects.create(
        force=force,
        title="Panel",
        outcomes=["breached", "completed"],
        size_requested=5,
        seed=1,
        created_by=analyst,
    )
    ScrutinyItem.objects.bulk_create(
        ScrutinyItem(sample=sample, case=case, position=n) for n, case in enumerate(finished[:5], start=1)
    )
    for item in sample.items.all():
        scrutiny_finding_record(
            actor=analyst,
            item_id=item.pk,
            force_id=force.pk,
            finding="observations",
            observations=f"{name}'s housing was not addressed.",
        )
    legal_hold_set(actor=supervisor, person_id=person.pk, reason=f"{name} has made a complaint.")
    legal_hold_clear(actor=supervisor, person_id=person.pk, reason=f"{name}'s complaint was withdrawn.")
    legal_hold_set(actor=supervisor, case_id=first.pk, reason=f"{name}'s claim against the force.")
    legal_hold_clear(actor=supervisor, case_id=first.pk, reason=f"{name}'s claim was settled.")

    # Someone else, whose record stays whole.
    olive = make_person("Olive", "Brampton", "98/0654321Y", address="3 Orchard Row", phone="07700 900333")
    olive_case = open_case(olive)
    refer_and_work(olive_case, olive)

    # A second record of him, merged into his: its names, address and phone on the merged record, in the
    # merge's snapshots and in its reason.
    twin = make_person(name, "Quillfeather", "", address="9 Quince Court", phone="07700 900444")
    person.refresh_from_db()
    choices = {d: "kept" for d in MERGE_DETAILS if merge_detail_choosable(person, twin, d)}
    person_merge(
        actor=supervisor,
        kept_id=person.pk,
        merged_id=twin.pk,
        choices=choices,
        reason=f"{name} was recorded twice at intake.",
    )

    # His subject access request, answered: who made it, a reason for withholding, the export's files.
    sar = subject_access_request_create(
        actor=supervisor,
        person=person,
        received_on=today,
        requester_kind="representative",
        received_from=f"{name}'s solicitor, by letter",
    )
    subject_access_redaction_add(
        request_id=sar.pk,
        actor=supervisor,
        item="",
        ground="others",
        reasons=f"The door attendant's statement about {name} was given in confidence.",
    )
    subject_access_export_request(request_id=sar.pk, actor=supervisor)
    assert subject_access_export_produce(request_id=sar.pk)
    subject_access_release(request_id=sar.pk, actor=supervisor, release_method="post")

    # Caseload files checked and waiting to be imported: one naming him (his PNC ID and names, as the
    # force's old records have them), one naming only Olive, which stays.
    def waiting_import(rows):
        content = ("case_reference,pnc_id,given_names,family_name\n" + "".join(rows)).encode()
        batch = CaseloadImport(
            force=force,
            filename="caseload.csv",
            sha256="0" * 64,
            size=len(content),
            status=ImportStatus.CHECKED,
            uploaded_by=supervisor,
        )
        batch.file.save("caseload.csv", ContentFile(content), save=False)
        batch.save()
        return batch

    waiting_import([f"OLD/1,99/0123456Z,{name},Quillfeather\n", "OLD/2,98/0654321Y,Olive,Brampton\n"])
    olive_import = waiting_import(["OLD/3,98/0654321Y,Olive,Brampton\n"])
    # A caseload file refused last week (its file deleted, as a refused file is), whose report quotes
    # the email address it gave him, mistyped, as the checker writes it.
    CaseloadImport.objects.create(
        force=force,
        filename="caseload.csv",
        sha256="1" * 64,
        size=100,
        status=ImportStatus.REFUSED,
        uploaded_by=supervisor,
        report={
            "values_kept": True,
            "line_word": "Line",
            "counts": {"rows": 1, "cases_held": 0},
            "errors": [
                {
                    "line": 2,
                    "column": "email",
                    "message": "is not an email address",
                    "value": "zebulon.q@mail.example.",
                }
            ],
            "errors_total": 1,
            "warnings": [],
            "warnings_total": 0,
            "likely_matches": [],
            "likely_matches_total": 0,
        },
    )

    person.refresh_from_db()
    return SimpleNamespace(
        person=person,
        cases=[first, second],
        other=olive,
        other_case=olive_case,
        twin=twin,
        sar=sar,
        other_import=olive_import,
        values=[
            name,
            "Quillfeather",
            "Marrowby",
            "Harrowgate",
            "99/0123456Z",
            "Marshmallow",
            "FE9 9ZQ",
            "07700 900111",
            "07700 900222",
            "zebulon.q@mail.example",
            "Quince Court",
            "07700 900444",
        ],
    )

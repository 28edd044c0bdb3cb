"""The subject access export: everything held about one person, nothing of anyone else, what is
withheld, produced by a job, audited as a disclosure."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from sar_support import (
    ALIAS,
    BREACH_ACCOUNT,
    CONDITION_NOTE,
    NEW_PHONE,
    NOTE,
    SCRUTINY_OBSERVATIONS,
    SESSION_SUMMARY,
)

from offenderhub.audit.models import AuditAction, AuditEvent
from subjectaccess.export import subject_access_export_build
from subjectaccess.models import RequesterKind, RequestStatus, SubjectAccessRequest, response_due_on
from subjectaccess.services import (
    SubjectAccessError,
    subject_access_export_produce,
    subject_access_export_request,
    subject_access_exports_produce,
    subject_access_redaction_add,
    subject_access_release,
    subject_access_request_create,
)

EVERY_KIND = {
    "person",
    "alias",
    "change",
    "recorded-offence",
    "case",
    "offence",
    "event",
    "decision",
    "assessment",
    "need",
    "condition",
    "condition-record",
    "variation",
    "extension",
    "caution",
    "breach-review",
    "prosecution",
    "referral",
    "outcome",
    "appointment",
    "note",
    "document",
    "scrutiny",
    "file",
    "disclosure",
}


def _request(subject, supervisor, **overrides):
    kwargs = {
        "actor": supervisor,
        "person": subject,
        "received_on": date(2027, 6, 10),
        "requester_kind": RequesterKind.DATA_SUBJECT,
        "received_from": "Daniel Whitmore, by letter",
    }
    kwargs.update(overrides)
    return subject_access_request_create(**kwargs)


def _build(person, redactions=()):
    return subject_access_export_build(
        person=person, request={"reference": "SAR-TEST"}, redactions=redactions
    )


def _produced(subject, supervisor):
    sar = _request(subject, supervisor)
    subject_access_export_request(request_id=sar.pk, actor=supervisor)
    assert subject_access_export_produce(request_id=sar.pk)
    sar.refresh_from_db()
    return sar


def _archive(sar):
    with sar.export_archive.open("rb") as file:
        return zipfile.ZipFile(io.BytesIO(file.read()))


# --- What the export holds ----------------------------------------------------------------------------
def test_export_holds_every_kind_of_record_the_force_keeps_on_the_person(subject):
    export = _build(subject)

    kinds = set(export.counts())
    assert kinds >= EVERY_KIND, EVERY_KIND - kinds
    text = json.dumps(export.as_json(), ensure_ascii=False)
    for value in (
        NOTE,
        SESSION_SUMMARY,
        CONDITION_NOTE,
        BREACH_ACCOUNT,
        SCRUTINY_OBSERVATIONS,
        NEW_PHONE,
        *ALIAS,
    ):
        assert value in text
    assert "Second case circumstances" in text
    assert "certificate-daniel.pdf" in text
    assert [d.archive_name.split("/")[0] for d in export.documents] == [
        "documents",
        "documents",
    ]  # caution, evidence


def test_export_lists_the_disclosures_from_the_audit_log_with_recipients(subject, agency):
    export = _build(subject)

    [section] = [s for s in export.sections if s.key == "disclosures"]
    recipients = [next(f.value for f in item.fields if f.name == "recipient") for item in section.items]
    assert agency.name in recipients  # the referral sent to the partner agency
    assert all(next(f.value for f in item.fields if f.name == "occurred_at") for item in section.items)


def test_export_holds_nothing_of_another_person(subject, other_person):
    export = _build(subject)

    text = json.dumps(export.as_json(), ensure_ascii=False)
    assert "Olivia" not in text
    assert "Quennell" not in text
    assert "07700 900999" not in text
    other_case = other_person.cases.get()
    assert other_case.reference not in text
    assert f"person-{other_person.pk}" not in {item.key for item in export.items()}
    referral_items = {item.key for item in export.items() if item.key.startswith("referral-")}
    case = subject.cases.order_by("created_at").first()
    assert referral_items == {f"referral-{r.pk}" for r in case.referrals.all()}


def test_export_reads_the_same_number_of_queries_whatever_the_number_of_cases(
    subject, active_case_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lone = active_case_for().person
    with CaptureQueriesContext(connection) as few:
        _build(lone)
    with django_assert_num_queries(len(few)):
        _build(subject)


# --- What is withheld ---------------------------------------------------------------------------------
def test_redactions_are_recorded_with_their_ground_and_withhold_items_fields_and_documents(
    subject, supervisor
):
    sar = _produced(subject, supervisor)
    case = subject.cases.order_by("created_at").first()
    note = case.referrals.get().notes.get()
    evidence = case.referrals.get().evidence.get()

    subject_access_redaction_add(
        request_id=sar.pk, actor=supervisor, item=f"note-{note.pk}", ground="crime", reasons="Ongoing inquiry"
    )
    subject_access_redaction_add(
        request_id=sar.pk,
        actor=supervisor,
        item=f"case-{case.pk}.victim_views",
        ground="others",
        reasons="The victim's own words",
    )
    subject_access_redaction_add(
        request_id=sar.pk,
        actor=supervisor,
        item=f"document-{evidence.pk}",
        ground="others",
        reasons="Names staff",
    )
    subject_access_redaction_add(
        request_id=sar.pk, actor=supervisor, item="", ground="inquiry", reasons="Intelligence not confirmed"
    )

    sar.refresh_from_db()
    assert sar.redactions.count() == 4
    assert sar.export_out_of_date
    reasons = set(sar.redactions.values_list("reasons", flat=True))
    assert "Ongoing inquiry" in reasons
    audit = AuditEvent.objects.filter(action=AuditAction.CHANGED, object_label=sar.audit_label())
    assert audit.count() == 4
    assert not any("Ongoing inquiry" in e.reason for e in audit)  # the reasons stay out of the audit log

    subject_access_export_request(request_id=sar.pk, actor=supervisor)
    assert subject_access_export_produce(request_id=sar.pk)
    sar.refresh_from_db()
    data = json.loads(_archive(sar).read("data.json"))
    text = json.dumps(data, ensure_ascii=False)
    assert NOTE not in text  # nor its copy on the case's timeline
    assert "Ongoing inquiry" not in text
    assert "section 45(4)(b)" in text
    assert {w["paragraph"] for w in data["withheld"]} == {"45(4)(a)", "45(4)(b)", "45(4)(e)"}
    names = _archive(sar).namelist()
    assert not [n for n in names if n.startswith(f"documents/document-{evidence.pk}")]
    assert [n for n in names if n.startswith("documents/caution-")]
    pdf = "\n".join(page.extract_text() for page in PdfReader(sar.export_pdf.open("rb")).pages)
    assert NOTE not in pdf.replace("\n", " ")
    assert "Withheld under section 45(4)(b)" in pdf.replace("\n", " ")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("case 12", "Enter the item as the export names it"),
        ("case-999999", "The export has no item case-999999."),
        ("person-{person}.shoe_size", "has no field shoe_size"),
    ],
)
def test_redaction_of_an_item_the_export_does_not_hold_is_refused(subject, supervisor, item, message):
    sar = _produced(subject, supervisor)

    with pytest.raises(ValidationError) as refused:
        subject_access_redaction_add(
            request_id=sar.pk,
            actor=supervisor,
            item=item.format(person=subject.pk),
            ground="crime",
            reasons="x",
        )

    assert message in " ".join(refused.value.messages)
    assert not sar.redactions.exists()


def test_redaction_of_an_item_before_the_export_is_produced_is_refused(subject, supervisor):
    sar = _request(subject, supervisor)

    with pytest.raises(ValidationError, match="Produce the export first"):
        subject_access_redaction_add(
            request_id=sar.pk, actor=supervisor, item=f"person-{subject.pk}", ground="crime", reasons="x"
        )


def test_recording_the_same_redaction_twice_records_it_once(subject, supervisor):
    sar = _produced(subject, supervisor)
    for _ in range(2):
        subject_access_redaction_add(
            request_id=sar.pk,
            actor=supervisor,
            item=f"person-{subject.pk}.phone",
            ground="others",
            reasons="x",
        )

    assert sar.redactions.count() == 1


# --- Producing, releasing, auditing -----------------------------------------------------------------
def test_producing_the_export_writes_a_pdf_and_an_archive_and_is_audited_as_a_disclosure(subject, supervisor):
    sar = _produced(subject, supervisor)

    assert sar.status == RequestStatus.IN_REVIEW
    assert sar.export_pdf.name and sar.export_archive.name
    assert len(sar.export_pdf_sha256) == len(sar.export_archive_sha256) == 64
    archive = _archive(sar)
    assert {"data.json", "README.txt"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    for document in data["documents"]:
        assert document["file"] in archive.namelist()
    [disclosure] = AuditEvent.objects.filter(
        action=AuditAction.DISCLOSED, object_label=f"Person #{subject.pk}"
    )
    assert disclosure.actor == supervisor
    assert disclosure.recipient == f"The person, through subject access request {sar.reference}"
    assert sar.reference in disclosure.reason
    assert "Whitmore" not in disclosure.reason + disclosure.recipient  # nothing erasable in the audit log


def test_the_pdf_has_a_heading_for_every_section_in_plain_english(subject, supervisor):
    sar = _produced(subject, supervisor)

    reader = PdfReader(sar.export_pdf.open("rb"))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for heading in (
        "Your personal information held by Fenshire Constabulary",
        "About this response",
        "Your details",
        "Other names (aliases)",
        "Changes made to your details",
        "Other offences on police records",
        "Your cases",
        "Eligibility decisions",
        "Needs assessments",
        "Conditions",
        "The caution",
        "Breach reviews",
        "Prosecution",
        "Referrals to other organisations",
        "Appointments and sessions",
        "Notes",
        "Documents",
        "Who your information was shared with",
        "Information withheld",
    ):
        assert heading in text, heading
    assert SESSION_SUMMARY in text
    assert reader.metadata.title == f"Subject access response {sar.reference}"
    outline = [entry.title for entry in reader.outline if not isinstance(entry, list)]
    assert "Your cases" in outline
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_producing_again_without_being_asked_does_nothing(subject, supervisor):
    sar = _produced(subject, supervisor)
    produced_at = sar.export_produced_at

    assert not subject_access_export_produce(request_id=sar.pk)  # a job run twice, or the sweep

    sar.refresh_from_db()
    assert sar.export_produced_at == produced_at
    produced = AuditEvent.objects.filter(
        action=AuditAction.DISCLOSED, reason__startswith="Subject access export produced"
    )
    assert produced.count() == 1


def test_asking_again_while_it_is_being_produced_asks_once(subject, supervisor):
    sar = _request(subject, supervisor)

    assert subject_access_export_request(request_id=sar.pk, actor=supervisor)
    assert not subject_access_export_request(request_id=sar.pk, actor=supervisor)


def test_the_sweep_produces_an_export_whose_job_was_lost(subject, supervisor):
    sar = _request(subject, supervisor)
    subject_access_export_request(request_id=sar.pk, actor=supervisor)  # queued on commit: never run here

    assert subject_access_exports_produce() == 1
    assert subject_access_exports_produce() == 0
    sar.refresh_from_db()
    assert sar.export_produced_at is not None


def test_release_is_refused_while_a_redaction_is_not_in_the_export(subject, supervisor):
    sar = _produced(subject, supervisor)
    subject_access_redaction_add(
        request_id=sar.pk, actor=supervisor, item=f"person-{subject.pk}.phone", ground="others", reasons="x"
    )

    with pytest.raises(SubjectAccessError, match="produce it again"):
        subject_access_release(request_id=sar.pk, actor=supervisor, release_method="post")

    subject_access_export_request(request_id=sar.pk, actor=supervisor)
    subject_access_export_produce(request_id=sar.pk)
    released = subject_access_release(request_id=sar.pk, actor=supervisor, release_method="post")
    again = subject_access_release(request_id=sar.pk, actor=supervisor, release_method="email")

    assert released.status == again.status == RequestStatus.RELEASED
    assert again.release_method == "post"
    assert (
        AuditEvent.objects.filter(action=AuditAction.DISCLOSED, reason__contains="released by post").count()
        == 1
    )
    with pytest.raises(SubjectAccessError):
        subject_access_export_request(request_id=sar.pk, actor=supervisor)


def test_only_supervisors_record_a_request(subject, case_worker):
    with pytest.raises(SubjectAccessError):
        _request(subject, case_worker)

    assert not SubjectAccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"received_on": date(2027, 6, 17)}, "received_on"),  # tomorrow
        ({"identity_confirmed_on": date(2027, 6, 9)}, "identity_confirmed_on"),  # before it was received
        ({"received_from": "  "}, "received_from"),
    ],
)
def test_a_request_with_impossible_dates_is_refused(subject, supervisor, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _request(subject, supervisor, **overrides)

    assert field in refused.value.message_dict
    assert not SubjectAccessRequest.objects.exists()


def test_a_request_is_due_one_calendar_month_after_it_was_received(subject, supervisor):
    sar = _request(subject, supervisor, received_on=date(2027, 6, 10))

    assert sar.due_on == date(2027, 7, 10)
    assert sar.reference.startswith("SAR-2027-")


@pytest.mark.parametrize(
    ("received", "identity", "due"),
    [
        (date(2027, 1, 31), None, date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), None, date(2028, 2, 29)),  # a leap year
        (date(2027, 3, 3), date(2027, 3, 20), date(2027, 4, 20)),  # from when the identity was confirmed
        (date(2027, 12, 15), None, date(2028, 1, 15)),
    ],
)
def test_the_month_to_respond_is_counted_as_the_ico_counts_it(received, identity, due):
    assert response_due_on(received, identity) == due

"""The retention services: legal holds, the decisions on a review (kept until a date, erasure asked for,
refused, approved by a second supervisor) and what an erased record refuses afterwards. Each asserts the
state and the audit row, and that asking twice, or being refused, changes nothing."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, JSONField, TextField
from django.utils import timezone
from factories import CaseFactory, PersonFactory
from retention_support import make_person_held

from cases.models import CaseStatus, Person, SuspectedDuplicate
from cases.services import CaseError, case_create, person_correct, person_duplicates_refresh
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.notifications.models import Notification, NotificationKind
from retention import erasure
from retention.jobs import retention_reviews_flag
from retention.models import ErasureRecord, LegalHold, RetentionReview
from retention.services import (
    RetentionError,
    legal_hold_clear,
    legal_hold_set,
    retention_review_erasure_approve,
    retention_review_erasure_refuse,
    retention_review_erasure_request,
    retention_review_retain,
)

pytestmark = pytest.mark.django_db


def _audited(obj, reason_start=""):
    rows = AuditEvent.objects.for_record(obj).filter(action=AuditAction.CHANGED)
    return [row.reason for row in rows.order_by("pk") if row.reason.startswith(reason_start)]


# --- Legal holds ---------------------------------------------------------------------------------------


def test_a_supervisor_sets_a_hold_once_and_clears_it_with_the_reason_kept(ended_case, supervisor):
    person = ended_case().person

    hold = legal_hold_set(actor=supervisor, person_id=person.pk, reason="A civil claim is expected.")
    again = legal_hold_set(actor=supervisor, person_id=person.pk, reason="Another reason.")

    assert again == hold and LegalHold.objects.count() == 1
    assert (hold.reason, hold.set_by, hold.is_active) == ("A civil claim is expected.", supervisor, True)
    assert _audited(person) == ["Legal hold set"]  # never the reason typed

    cleared = legal_hold_clear(actor=supervisor, person_id=person.pk, reason="The claim was settled.")
    assert (cleared.pk, cleared.cleared_by, cleared.clear_reason) == (
        hold.pk,
        supervisor,
        "The claim was settled.",
    )
    assert legal_hold_clear(actor=supervisor, person_id=person.pk, reason="Again.") is None
    assert _audited(person) == ["Legal hold set", "Legal hold cleared"]
    assert legal_hold_set(actor=supervisor, person_id=person.pk, reason="A new claim.") != hold


def test_a_hold_on_a_case_is_audited_on_the_case(ended_case, supervisor):
    case = ended_case()

    legal_hold_set(actor=supervisor, case_id=case.pk, reason="An IOPC investigation.")

    assert LegalHold.objects.get().case == case
    assert _audited(case) == ["Legal hold set"]


@pytest.mark.parametrize(
    ("who", "reason", "refused"),
    [
        ("case_worker", "A claim.", "Only supervisors set a legal hold."),
        ("outsider_supervisor", "A claim.", "That person does not exist."),
        ("supervisor", "  ", "Give the reason for the legal hold."),
    ],
)
def test_a_hold_is_refused_to_other_roles_other_forces_and_without_a_reason(
    request, ended_case, who, reason, refused
):
    person = ended_case().person

    with pytest.raises((RetentionError, ValidationError), match=refused):
        legal_hold_set(actor=request.getfixturevalue(who), person_id=person.pk, reason=reason)

    assert not LegalHold.objects.exists()
    assert not _audited(person)


# --- Keeping a record ----------------------------------------------------------------------------------


def test_a_record_is_kept_until_a_date_with_the_reason_once(flagged, supervisor):
    review = flagged()
    until = date(2030, 1, 31)

    kept = retention_review_retain(
        review_id=review.pk, actor=supervisor, retain_until=until, reason="Linked."
    )
    again = retention_review_retain(
        review_id=review.pk, actor=supervisor, retain_until=until, reason="Linked."
    )

    assert (kept.status, kept.retain_until, kept.reason, kept.decided_by) == (
        "retained",
        until,
        "Linked.",
        supervisor,
    )
    assert again.pk == kept.pk
    assert _audited(review.person) == [f"Retention review {review.pk}: kept until 31 January 2030"]


@pytest.mark.parametrize(
    ("until", "reason", "field"),
    [
        (date(2027, 6, 16), "Linked.", "retain_until"),  # today: must be later
        (date(2020, 1, 1), "Linked.", "retain_until"),
        (date(2190, 1, 1), "Linked.", "retain_until"),
        (date(2030, 1, 1), " ", "reason"),
    ],
)
def test_keeping_a_record_is_refused_without_a_later_date_or_a_reason(
    flagged, supervisor, until, reason, field
):
    review = flagged()

    with pytest.raises(ValidationError) as refused:
        retention_review_retain(review_id=review.pk, actor=supervisor, retain_until=until, reason=reason)

    assert field in refused.value.message_dict
    review.refresh_from_db()
    assert (review.status, review.retain_until, review.decided_by) == ("due", None, None)
    assert not _audited(review.person)


# --- Erasure asked for, refused, approved ----------------------------------------------------------------


def test_asking_for_erasure_tells_the_other_supervisors_and_asking_twice_changes_nothing(
    flagged, supervisor, second_supervisor, administrator
):
    review = flagged()

    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    review.refresh_from_db()
    assert (review.status, review.decided_by) == ("erasure_requested", supervisor)
    told = Notification.objects.filter(kind=NotificationKind.ERASURE_AWAITING_APPROVAL)
    assert [n.recipient for n in told] == [second_supervisor]
    assert told[0].url == f"/retention/reviews/{review.pk}/"
    assert _audited(review.person) == [f"Retention review {review.pk}: erasure asked for"]


def test_erasure_is_refused_while_a_case_is_open_or_held_saying_which(flagged, ended_case, supervisor):
    review = flagged()
    person = review.person
    still_open = ended_case(person, status=CaseStatus.ACTIVE)

    with pytest.raises(RetentionError, match=f"while a case is open: {still_open.reference} \\(Active\\)"):
        retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    still_open.status = CaseStatus.COMPLETED
    still_open.save()
    held = review.person.cases.first()
    make_person_held(supervisor, case=held)
    with pytest.raises(RetentionError, match=f"legal hold is set on {held.reference}"):
        retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    review.refresh_from_db()
    assert review.status == "due" and not _audited(person, "Retention review")


def test_whoever_asked_for_an_erasure_cannot_approve_it(flagged, supervisor):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    with pytest.raises(RetentionError, match="another supervisor must approve it"):
        retention_review_erasure_approve(review_id=review.pk, actor=supervisor)

    review.refresh_from_db()
    assert (review.status, review.approved_by) == ("erasure_requested", None)
    assert not Person.objects.get(pk=review.person_id).is_erased
    assert not ErasureRecord.objects.exists()


def test_the_database_refuses_an_approval_by_the_requester_whatever_the_code(flagged, supervisor):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionReview.objects.filter(pk=review.pk).update(
            approved_by=supervisor, approved_at=timezone.now()
        )


def test_an_approval_is_refused_if_a_case_opened_meanwhile_and_nothing_is_erased(
    flagged, scheme, area, case_worker, supervisor, second_supervisor
):
    review = flagged()
    person = review.person
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    reopened = CaseFactory(
        force=person.force,
        scheme=scheme,
        area=area,
        owner=case_worker,
        person=person,
        status=CaseStatus.INTAKE,
    )

    with pytest.raises(RetentionError, match=f"{reopened.reference} \\(Intake\\)"):
        retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)

    person.refresh_from_db()
    assert not person.is_erased and person.family_name
    review.refresh_from_db()
    assert review.status == "erasure_requested" and not ErasureRecord.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ERASED).exists()


def test_a_refusal_sends_the_review_back_to_be_decided_and_it_may_be_asked_again(
    flagged, supervisor, second_supervisor
):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    with pytest.raises(ValidationError):
        retention_review_erasure_refuse(review_id=review.pk, actor=second_supervisor, reason="")
    refused = retention_review_erasure_refuse(
        review_id=review.pk, actor=second_supervisor, reason="An appeal."
    )
    again = retention_review_erasure_refuse(review_id=review.pk, actor=second_supervisor, reason="Again.")

    assert (refused.status, refused.refused_by, refused.refusal_reason) == (
        "due",
        second_supervisor,
        "An appeal.",
    )
    assert (again.status, again.refusal_reason, refused.decided_by) == ("due", "An appeal.", None)
    retention_review_erasure_request(review_id=review.pk, actor=second_supervisor)
    record = retention_review_erasure_approve(review_id=review.pk, actor=supervisor)
    assert (record.requested_by, record.authorised_by) == (second_supervisor, supervisor)
    assert retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor) == record
    assert ErasureRecord.objects.count() == 1


def test_an_erased_person_is_never_flagged_corrected_or_given_a_new_case_again(
    flagged, supervisor, second_supervisor, case_worker, scheme, area
):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    person = Person.objects.get(pk=review.person_id)

    assert retention_reviews_flag(today=date(2040, 1, 1))["retention_reviews_flagged"] == 0
    with pytest.raises(CaseError, match="was erased"):
        person_correct(person_id=person.pk, actor=case_worker, changes={"phone": "0"}, reason="New.")
    with pytest.raises(CaseError, match="was erased"):
        case_create(
            actor=case_worker,
            person=person,
            scheme=scheme,
            area=area,
            owner=case_worker,
            arrest_date=date(2027, 6, 1),
            offences=[],
        )
    with pytest.raises(RetentionError, match="erased"):
        legal_hold_set(actor=supervisor, person_id=person.pk, reason="A claim.")


def test_an_erasure_blanks_the_match_keys_and_forgets_the_suspected_duplicates(
    flagged, ended_case, supervisor, second_supervisor, case_worker, force
):
    """The keys are codes of the names, and the pairs' reasons name both people: both go with the names."""
    erased = ended_case(
        PersonFactory(force=force, created_by=case_worker, given_names="Kayleigh", family_name="Brooks")
    ).person
    other = PersonFactory(force=force, created_by=case_worker, given_names="Kaylee", family_name="Brookes")
    person_duplicates_refresh(person_ids=[other.pk], force_id=force.pk)
    assert SuspectedDuplicate.objects.count() == 1
    review = flagged(erased)

    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    record = retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)

    erased.refresh_from_db()
    assert (erased.family_name_key, erased.given_name_key) == ("", "")
    assert not SuspectedDuplicate.objects.exists()
    assert dict(record.removed)["Suspected duplicates"] == 1
    person_duplicates_refresh(person_ids=[other.pk], force_id=force.pk)
    assert not SuspectedDuplicate.objects.exists()  # an erased record is never matched again


def test_files_an_erasure_could_not_delete_are_deleted_by_the_next_daily_run(
    journey, supervisor, second_supervisor, flagged, settings
):
    """A process that dies between the erasure's commit and the deletion of its files (here: the
    test's transaction never commits, so the deletion queued on commit never runs) leaves them listed
    on the register entry; the daily job deletes them, once."""
    review = flagged(journey.person, today=timezone.localdate() + timedelta(days=7 * 365))
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    record = retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    media = Path(settings.MEDIA_ROOT)

    # The upload, two signed cautions, the subject access export's two files, a waiting caseload file.
    assert len(record.files_pending) == 6 and all((media / name).exists() for name in record.files_pending)
    assert retention_reviews_flag(today=date(2027, 6, 17))["erasure_files_removed"] == 6
    assert not any((media / name).exists() for name in record.files_pending)
    record.refresh_from_db()
    assert record.files_pending == [] and record.files_removed_at is not None
    assert retention_reviews_flag(today=date(2027, 6, 18))["erasure_files_removed"] == 0


# --- What an erasure removes, declared ---------------------------------------------------------------------


def _records_of_a_person():
    """Every model whose rows belong to a person's record: reached from Person by the relations that
    point at it, and at what points at it, and so on (the summaries' included)."""
    from django.apps import apps

    seen, todo = {}, [apps.get_model("cases", "Person")]
    while todo:
        model = todo.pop()
        for relation in model._meta.get_fields(include_hidden=True):
            if (
                relation.auto_created
                and not relation.concrete
                and (relation.one_to_many or relation.one_to_one)
            ):
                related = relation.related_model
                if related._meta.auto_created:  # a many-to-many's own table: ids only
                    continue
                if related not in seen and related._meta.label != "cases.Person":
                    seen[related] = True
                    todo.append(related)
    return [apps.get_model("cases", "Person"), *seen]


def test_every_text_column_of_a_persons_records_is_either_erased_or_declared_kept():
    """A text field added to a person's records later fails here until it is put in ``ERASED_TEXT`` (or
    deleted with its row) or in ``KEPT_TEXT`` with the reason it is not about the person."""
    erased = {(label, field) for label, _, fields in erasure.ERASED_TEXT for field in fields}
    erased |= {("cases.Person", field) for field in erasure.PERSON_ERASED}
    erased |= {(label, field) for label, fields in erasure.ERASED_ELSEWHERE.items() for field in fields}
    kept = {(label, field) for label, fields in erasure.KEPT_TEXT.items() for field in fields}
    undecided = []
    for model in _records_of_a_person():
        label = model._meta.label
        if label in erasure.DELETED:
            continue
        for field in model._meta.concrete_fields:
            text = (
                isinstance(field, CharField | TextField | JSONField)
                or field.get_internal_type() == "FileField"
            )
            if text and (label, field.name) not in erased | kept:
                undecided.append(f"{label}.{field.name}")
    assert undecided == []
    assert not erased & kept

"""A merge and its undoing reach what the apps at the top hold of a person (issue 14, part 3, after the
merges): subject access requests follow the person, legal holds follow too (but for a second hold in
force), retention reviews kept until a date move and those still to decide are dropped; and the undo
is refused where it would misattribute a request or a hold."""

from datetime import date, timedelta

import pytest
from factories import CaseFactory, PersonFactory
from time_machine import travel

from cases import services
from cases.models import Case, CaseStatus
from cases.services import CaseError
from retention.models import LegalHold, RetentionReview, ReviewStatus
from retention.services import legal_hold_clear, legal_hold_set
from subjectaccess.models import SubjectAccessRequest
from subjectaccess.services import subject_access_request_create

pytestmark = pytest.mark.django_db

REASON = "Recorded twice at intake."
NOON = "2027-06-01 12:00 +0000"


@pytest.fixture(autouse=True)
def clock():
    with travel(NOON, tick=False):
        yield


@pytest.fixture
def duplicate(force, case_worker, person):
    twin = PersonFactory(
        force=force,
        created_by=case_worker,
        given_names=person.given_names,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        ethnicity=person.ethnicity,
        phone=person.phone,
        address=person.address,
        postcode=person.postcode,
        pnc_id="",
    )
    CaseFactory(force=force, owner=case_worker, person=twin)
    return twin


def merge(kept, merged, actor):
    return services.person_merge(actor=actor, kept_id=kept.pk, merged_id=merged.pk, choices={}, reason=REASON)


def undo(done, actor):
    return services.person_merge_undo(merge_id=done.pk, actor=actor, reason="Two people after all.")


def sar_for(person, supervisor):
    return subject_access_request_create(
        actor=supervisor,
        person=person,
        received_on=date(2027, 5, 20),
        requester_kind="data_subject",
        received_from="A letter from the person",
    )


def test_a_subject_access_request_follows_the_person_and_goes_back_on_undo(person, duplicate, supervisor):
    own, moved = sar_for(person, supervisor), sar_for(duplicate, supervisor)

    done = merge(person, duplicate, supervisor)

    assert set(SubjectAccessRequest.objects.filter(person=person)) == {own, moved}
    assert done.moved["subject_access_requests"] == [moved.pk]
    undo(done, supervisor)
    assert SubjectAccessRequest.objects.get(pk=moved.pk).person == duplicate
    assert SubjectAccessRequest.objects.get(pk=own.pk).person == person


def test_a_request_recorded_for_the_kept_record_since_the_merge_refuses_the_undo(
    person, duplicate, supervisor
):
    done = merge(person, duplicate, supervisor)
    with travel("2027-06-02 12:00 +0000", tick=False):
        sar_for(person, supervisor)

        assert "nothing says which record's person made it" in services.person_merge_undo_refusal(done)
        with pytest.raises(CaseError):
            undo(done, supervisor)


def test_an_export_produced_since_the_merge_for_an_open_request_refuses_the_undo(
    person, duplicate, supervisor
):
    sar = sar_for(duplicate, supervisor)
    done = merge(person, duplicate, supervisor)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        status="in_review", export_produced_at=done.merged_at + timedelta(hours=1)
    )

    assert "export produced since the merge" in services.person_merge_undo_refusal(done)


def test_legal_holds_follow_the_person_and_go_back_on_undo(person, duplicate, supervisor):
    legal_hold_set(actor=supervisor, person_id=duplicate.pk, reason="A complaint.")
    legal_hold_clear(actor=supervisor, person_id=duplicate.pk, reason="Withdrawn.")
    in_force = legal_hold_set(actor=supervisor, person_id=duplicate.pk, reason="A claim.")

    done = merge(person, duplicate, supervisor)

    assert LegalHold.objects.filter(person=person).count() == 2
    assert LegalHold.objects.get(person=person, cleared_at=None) == in_force
    assert len(done.moved["legal_holds"]) == 2
    undo(done, supervisor)
    assert LegalHold.objects.filter(person=duplicate).count() == 2
    assert not LegalHold.objects.filter(person=person).exists()


def test_a_hold_in_force_on_both_records_stays_on_the_merged_one_and_still_holds_the_erasure(
    person, duplicate, supervisor
):
    from retention.erasure import erasure_lock, erasure_refusal

    kept_hold = legal_hold_set(actor=supervisor, person_id=person.pk, reason="A claim.")
    merged_hold = legal_hold_set(actor=supervisor, person_id=duplicate.pk, reason="An inquiry.")

    done = merge(person, duplicate, supervisor)

    assert "legal_holds" not in done.moved
    assert LegalHold.objects.get(pk=merged_hold.pk).person == duplicate
    legal_hold_clear(actor=supervisor, person_id=person.pk, reason="Settled.")
    assert LegalHold.objects.get(pk=kept_hold.pk).cleared_at is not None
    Case.objects.filter(person=person).update(status=CaseStatus.COMPLETED)
    found, cases, holds = erasure_lock(person.pk, force_id=person.force_id)
    assert "a record merged into theirs" in erasure_refusal(found, cases, holds)


def test_a_hold_set_on_the_kept_record_since_the_merge_refuses_the_undo(person, duplicate, supervisor):
    done = merge(person, duplicate, supervisor)
    with travel("2027-06-02 12:00 +0000", tick=False):
        legal_hold_set(actor=supervisor, person_id=person.pk, reason="A claim.")

        assert "legal hold has been set on the kept record" in services.person_merge_undo_refusal(done)


def review(person, status, **more):
    return RetentionReview.objects.create(
        force=person.force, person=person, status=status, due_on=date(2027, 1, 1), **more
    )


def test_a_review_kept_until_a_date_moves_and_one_still_to_decide_is_dropped(person, duplicate, supervisor):
    kept_until = review(
        duplicate,
        ReviewStatus.RETAINED,
        retain_until=date(2030, 1, 1),
        reason="An investigation.",
        decided_by=supervisor,
    )
    due = review(duplicate, ReviewStatus.DUE)

    done = merge(person, duplicate, supervisor)

    assert RetentionReview.objects.get(pk=kept_until.pk).person == person
    assert not RetentionReview.objects.filter(pk=due.pk).exists()
    assert done.moved["retention_reviews_dropped"] == [due.pk]
    undo(done, supervisor)
    assert RetentionReview.objects.get(pk=kept_until.pk).person == duplicate


def test_a_merge_is_refused_while_an_erasure_of_either_record_awaits_approval(person, duplicate, supervisor):
    review(duplicate, ReviewStatus.ERASURE_REQUESTED, decided_by=supervisor)

    with pytest.raises(CaseError, match="awaits approval"):
        merge(person, duplicate, supervisor)

    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_an_erased_record_is_never_merged(person, duplicate, supervisor):
    from django.utils import timezone

    type(person).objects.filter(pk=duplicate.pk).update(erased_at=timezone.now())

    with pytest.raises(CaseError, match="erased record"):
        merge(person, duplicate, supervisor)

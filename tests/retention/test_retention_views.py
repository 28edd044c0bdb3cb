"""The retention pages: the queue, a review and its decisions, the register and the legal-hold pages.
Another force's record is a 404, the wrong role a 403, a refused form a 400 with its message and
nothing saved, and every page takes a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import UserFactory
from retention_support import make_person_held

from cases.models import CaseStatus, Person
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from retention.models import ErasureRecord, LegalHold, RetentionReview
from retention.services import retention_review_erasure_approve, retention_review_erasure_request

pytestmark = pytest.mark.django_db

QUEUE = "/retention/"
REGISTER = "/retention/register/"


def review_url(review, action=""):
    return f"/retention/reviews/{review.pk}/" + (f"{action}/" if action else "")


def _date(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


@pytest.fixture
def agency_administrator(agency):
    return UserFactory(full_name="Ada Price", organisation=agency, roles=[Role.ADMINISTRATOR])


# --- The queue ------------------------------------------------------------------------------------------


def test_supervisors_see_the_queue_with_names_and_administrators_by_number_only(
    client_for, flagged, supervisor, administrator
):
    review = flagged()
    person = review.person

    as_supervisor = client_for(supervisor).get(QUEUE)
    as_administrator = client_for(administrator).get(QUEUE)

    assert as_supervisor.status_code == as_administrator.status_code == 200
    page = as_supervisor.content.decode()
    assert person.full_name in page and review_url(review) in page
    page = as_administrator.content.decode()
    assert (
        f"Person #{person.pk}" in page and person.family_name not in page and review_url(review) not in page
    )
    viewed = AuditEvent.objects.filter(action=AuditAction.VIEWED, object_label="Retention review queue")
    assert viewed.count() == 2 and f"person #{person.pk}" in viewed.first().reason


@pytest.mark.parametrize(
    "who",
    ["case_worker", "decision_maker", "practitioner", "partner_manager", "analyst", "agency_administrator"],
)
def test_other_roles_are_refused_the_queue_and_the_register(request, client_for, flagged, who):
    flagged()
    client = client_for(request.getfixturevalue(who))

    assert client.get(QUEUE).status_code == 403
    assert client.get(REGISTER).status_code == 403


def test_another_forces_supervisor_sees_none_of_our_reviews(client_for, flagged, outsider_supervisor):
    review = flagged()

    page = client_for(outsider_supervisor).get(QUEUE)

    assert page.status_code == 200 and page.context["page_obj"].paginator.count == 0
    assert client_for(outsider_supervisor).get(review_url(review)).status_code == 404


@pytest.mark.parametrize("people", [1, 8])
def test_the_queue_takes_the_same_queries_whatever_its_length(
    client_for, ended_case, supervisor, flagged, people, django_assert_num_queries
):
    for _ in range(people):
        person = ended_case().person
        ended_case(person, status=CaseStatus.WITHDRAWN)
    flagged(person)
    make_person_held(supervisor, case=person.cases.first())  # a hold set after the flag: shown
    client = client_for(supervisor)
    client.get(QUEUE)
    # Session, user and roles; the count, the reviews, their cases; the audit row's writes.
    with django_assert_num_queries(10):
        response = client.get(QUEUE)
    assert len(response.context["reviews"]) == people
    assert "Legal hold" in response.content.decode()


# --- A review and its decisions -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["administrator", "case_worker", "decision_maker", "practitioner"])
def test_only_supervisors_open_a_review(request, client_for, flagged, who):
    review = flagged()

    assert client_for(request.getfixturevalue(who)).get(review_url(review)).status_code == 403


def test_a_supervisor_opens_a_review_with_the_persons_cases_audited(client_for, flagged, supervisor):
    review = flagged()

    response = client_for(supervisor).get(review_url(review))

    assert response.status_code == 200
    page = response.content.decode()
    assert review.person.full_name in page and review.person.cases.get().reference in page
    assert "Keep the record" in page and "Ask for the record to be erased" in page
    viewed = AuditEvent.objects.for_record(review.person).get(action=AuditAction.VIEWED)
    assert viewed.reason == f"Retention review {review.pk} opened"


@pytest.mark.parametrize("cases", [1, 5])
def test_a_review_page_takes_the_same_queries_whatever_the_number_of_cases(
    client_for, ended_case, flagged, supervisor, cases, django_assert_num_queries
):
    person = ended_case().person
    for _ in range(cases - 1):
        ended_case(person)
    review = flagged(person)
    client = client_for(supervisor)
    client.get(review_url(review))
    # Session, user and roles; the review; its cases; the holds; earlier reviews; the audit row's writes;
    # the records merged into the person's and their open subject access requests (erasure_refusal).
    with django_assert_num_queries(13):
        client.get(review_url(review))


def test_keeping_a_record_through_the_page(client_for, flagged, supervisor):
    review = flagged()

    response = client_for(supervisor).post(
        review_url(review, "retain"), {**_date("retain_until", date(2031, 3, 1)), "reason": "An appeal."}
    )

    assert response.status_code == 302 and response["Location"] == review_url(review)
    review.refresh_from_db()
    assert (review.status, review.retain_until, review.reason) == ("retained", date(2031, 3, 1), "An appeal.")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**_date("retain_until", date(2027, 1, 1)), "reason": "An appeal."}, "must be in the future"),
        (
            {"retain_until_0": "30", "retain_until_1": "2", "retain_until_2": "2031", "reason": "An appeal."},
            "Enter a real date",
        ),
        (
            {**_date("retain_until", date(2031, 3, 1)), "reason": ""},
            "Give the reason for keeping the record.",
        ),
    ],
)
def test_a_bad_decision_is_shown_again_with_its_message_and_nothing_saved(
    client_for, flagged, supervisor, data, message
):
    review = flagged()

    response = client_for(supervisor).post(review_url(review, "retain"), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    review.refresh_from_db()
    assert (review.status, review.retain_until, review.decided_by) == ("due", None, None)


def test_erasure_is_asked_for_and_the_asker_cannot_approve_it_but_another_supervisor_can(
    client_for, flagged, supervisor, second_supervisor
):
    review = flagged()
    person = review.person
    asker, approver = client_for(supervisor), client_for(second_supervisor)

    assert asker.post(review_url(review, "erase")).status_code == 302
    page = asker.get(review_url(review)).content.decode()
    assert "another supervisor must approve it" in page and "Approve and erase" not in page

    refused = asker.post(review_url(review, "approve"), {"confirm": "on"})
    assert refused.status_code == 400
    assert "You asked for this erasure: another supervisor must approve it." in refused.content.decode()
    unconfirmed = approver.post(review_url(review, "approve"), {})
    assert unconfirmed.status_code == 400 and "Confirm that you have checked" in unconfirmed.content.decode()
    assert not Person.objects.get(pk=person.pk).is_erased and not ErasureRecord.objects.exists()

    approved = approver.post(review_url(review, "approve"), {"confirm": "on"})
    assert approved.status_code == 302
    assert Person.objects.get(pk=person.pk).is_erased
    record = ErasureRecord.objects.get()
    assert (record.requested_by, record.authorised_by) == (supervisor, second_supervisor)
    erased = AuditEvent.objects.for_record(person).get(action=AuditAction.ERASED)
    assert erased.path == review_url(review, "approve") and erased.actor == second_supervisor


def test_a_person_without_a_case_is_reviewed_and_erased_like_anyone(
    client_for, force, case_worker, supervisor, second_supervisor, flagged
):
    from factories import PersonFactory

    recorded = timezone.now() - timedelta(days=7 * 365)
    person = PersonFactory(
        force=force, created_by=case_worker, created_at=recorded, given_names="Ottilie", phone="07700 900555"
    )
    review = flagged(person)
    asker, approver = client_for(supervisor), client_for(second_supervisor)

    queue = asker.get(QUEUE).content.decode()
    assert "Ottilie" in queue and "No case" in queue
    page = asker.get(review_url(review)).content.decode()
    assert "No case: the person was recorded on" in page
    assert asker.post(review_url(review, "erase")).status_code == 302
    assert approver.post(review_url(review, "approve"), {"confirm": "on"}).status_code == 302

    erased = Person.objects.get(pk=person.pk)
    assert erased.is_erased and "Ottilie" not in erased.given_names and erased.phone == ""
    assert ErasureRecord.objects.get().person_id == person.pk


def test_asking_for_erasure_while_a_case_is_open_says_why_and_saves_nothing(
    client_for, ended_case, flagged, supervisor
):
    review = flagged()
    still_open = ended_case(review.person, status=CaseStatus.ACTIVE)

    page = client_for(supervisor).get(review_url(review)).content.decode()
    assert "cannot be erased while a case is open" in page and "Ask for the record to be erased" not in page
    response = client_for(supervisor).post(review_url(review, "erase"))

    assert response.status_code == 400
    assert still_open.reference in response.content.decode()
    assert RetentionReview.objects.get(pk=review.pk).status == "due"


def test_a_refusal_needs_a_reason(client_for, flagged, supervisor, second_supervisor):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)

    response = client_for(second_supervisor).post(review_url(review, "refuse"), {"reason": ""})

    assert (
        response.status_code == 400
        and "Give the reason for refusing the erasure." in response.content.decode()
    )
    assert RetentionReview.objects.get(pk=review.pk).status == "erasure_requested"
    assert (
        client_for(second_supervisor).post(review_url(review, "refuse"), {"reason": "Appeal."}).status_code
        == 302
    )
    assert RetentionReview.objects.get(pk=review.pk).status == "due"


@pytest.mark.parametrize(
    ("who", "status"), [("outsider_supervisor", 404), ("case_worker", 403), ("administrator", 403)]
)
def test_decisions_are_refused_to_other_forces_and_roles_with_nothing_saved(
    request, client_for, flagged, who, status
):
    review = flagged()
    client = client_for(request.getfixturevalue(who))

    assert client.post(review_url(review, "erase")).status_code == status
    assert (
        client.post(
            review_url(review, "retain"), {**_date("retain_until", date(2031, 3, 1)), "reason": "X."}
        ).status_code
        == status
    )
    review.refresh_from_db()
    assert (review.status, review.decided_by) == ("due", None)


def test_a_decision_url_answers_only_posts(client_for, flagged, supervisor):
    review = flagged()

    assert client_for(supervisor).get(review_url(review, "approve")).status_code == 405


# --- The register ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("erasures", [1, 4])
def test_the_register_lists_each_erasure_in_the_same_queries(
    client_for,
    flagged,
    ended_case,
    supervisor,
    second_supervisor,
    administrator,
    erasures,
    django_assert_num_queries,
):
    people = [ended_case().person for _ in range(erasures)]
    for person in people:
        review = flagged(person)
        retention_review_erasure_request(review_id=review.pk, actor=supervisor)
        retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)
    client = client_for(administrator)
    client.get(REGISTER)
    with django_assert_num_queries(9):
        response = client.get(REGISTER)
    page = response.content.decode()
    assert all(f"Person #{p.pk}" in page for p in people)
    assert "Grace Okafor" in page and "Mark Bell" in page


# --- Legal holds ----------------------------------------------------------------------------------------


def test_a_supervisor_sets_and_clears_a_hold_on_a_person_and_on_a_case(client_for, ended_case, supervisor):
    case = ended_case()
    person = case.person
    client = client_for(supervisor)

    assert "Set a legal hold" in client.get(f"/retention/holds/person/{person.pk}/").content.decode()
    set_ = client.post(f"/retention/holds/person/{person.pk}/set/", {"reason": "A civil claim."})
    assert set_.status_code == 302
    page = client.get(f"/retention/holds/person/{person.pk}/").content.decode()
    assert "A civil claim." in page and "Clear the legal hold" in page
    assert (
        client.post(f"/retention/holds/person/{person.pk}/clear/", {"reason": "Settled."}).status_code == 302
    )
    assert client.post(f"/retention/holds/case/{case.pk}/set/", {"reason": "An inquiry."}).status_code == 302

    holds = LegalHold.objects.order_by("pk")
    assert [(h.person_id, h.case_id, h.is_active) for h in holds] == [
        (person.pk, None, False),
        (None, case.pk, True),
    ]
    assert "Legal hold" in client.get(f"/cases/{case.pk}/").content.decode()
    assert "/retention/holds/person/" in client.get(f"/cases/people/{person.pk}/").content.decode()


def test_a_hold_without_a_reason_is_refused_with_its_message_and_nothing_saved(
    client_for, ended_case, supervisor
):
    person = ended_case().person

    response = client_for(supervisor).post(f"/retention/holds/person/{person.pk}/set/", {"reason": " "})

    assert response.status_code == 400 and "Give the reason for the legal hold." in response.content.decode()
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider_supervisor", 404), ("case_worker", 403), ("administrator", 403), ("practitioner", 403)],
)
def test_holds_are_refused_to_other_forces_and_roles(request, client_for, ended_case, who, status):
    case = ended_case()
    client = client_for(request.getfixturevalue(who))

    assert client.get(f"/retention/holds/person/{case.person_id}/").status_code == status
    assert (
        client.post(f"/retention/holds/person/{case.person_id}/set/", {"reason": "X."}).status_code == status
    )
    assert client.post(f"/retention/holds/case/{case.pk}/set/", {"reason": "X."}).status_code == status
    assert not LegalHold.objects.exists()


def test_the_case_and_person_pages_link_to_the_hold_for_supervisors_only(
    client_for, ended_case, supervisor, case_worker
):
    case = ended_case()

    assert (
        f"/retention/holds/case/{case.pk}/"
        in client_for(supervisor).get(f"/cases/{case.pk}/").content.decode()
    )
    assert "/retention/holds/" not in client_for(case_worker).get(f"/cases/{case.pk}/").content.decode()
    assert (
        "/retention/holds/"
        not in client_for(case_worker).get(f"/cases/people/{case.person_id}/").content.decode()
    )


def test_an_erased_persons_page_says_so_without_links_to_change_it(
    client_for, flagged, supervisor, second_supervisor, case_worker
):
    review = flagged()
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)

    page = client_for(case_worker).get(f"/cases/people/{review.person_id}/").content.decode()

    assert f"Erased person #{review.person_id}" in page and "was erased on" in page
    assert "/change/" not in page and "/retention/holds/" not in page
    listed = client_for(case_worker).get("/cases/").content.decode()
    assert f"Erased person #{review.person_id}" in listed


def test_an_erased_cases_page_says_its_signed_document_was_erased_and_the_document_is_not_found(
    client_for, journey, flagged, supervisor, second_supervisor, decision_maker
):
    case = journey.cases[0]
    client = client_for(decision_maker)
    assert client.get(reverse("conditions:caution_document", args=[case.pk])).status_code == 200
    review = flagged(journey.person, today=timezone.localdate() + timedelta(days=7 * 365))
    retention_review_erasure_request(review_id=review.pk, actor=supervisor)
    retention_review_erasure_approve(review_id=review.pk, actor=second_supervisor)

    page = client.get(f"/cases/{case.pk}/documents/").content.decode()
    assert "The signed caution document was erased" in page and "Erased person #" in page
    assert (
        "The signed caution document was erased"
        in client.get(f"/cases/{case.pk}/conditions/").content.decode()
    )
    assert client.get(reverse("conditions:caution_document", args=[case.pk])).status_code == 404

"""The subject access pages: who may use them, bad input, producing and downloading the export."""

import io
import zipfile
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from sar_support import date_fields

from offenderhub.audit.models import AuditAction, AuditEvent
from subjectaccess.models import RequestStatus, SubjectAccessRequest
from subjectaccess.services import subject_access_request_create


def _form(**overrides):
    data = {
        **date_fields("received_on", date(2027, 6, 10)),
        "requester_kind": "data_subject",
        "received_from": "Daniel Whitmore, by letter",
        "identity_confirmed_on_0": "",
        "identity_confirmed_on_1": "",
        "identity_confirmed_on_2": "",
        "submission_token": "5b0b5d3e-4c39-4bd3-9d55-1f0d3b9c2a11",
    }
    data.update(overrides)
    return data


@pytest.fixture
def sar(subject, supervisor):
    return subject_access_request_create(
        actor=supervisor,
        person=subject,
        received_on=date(2027, 6, 10),
        requester_kind="data_subject",
        received_from="Daniel Whitmore, by letter",
    )


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Recording a request ----------------------------------------------------------------------------
def test_supervisor_records_a_request_from_the_persons_page(client_for, supervisor, subject):
    client = client_for(supervisor)
    page = client.get(reverse("cases:person_detail", args=[subject.pk]))
    assertContains(page, reverse("subjectaccess:create", args=[subject.pk]))
    assertContains(page, reverse("subjectaccess:person_access", args=[subject.pk]))

    response = client.post(reverse("subjectaccess:create", args=[subject.pk]), _form())
    again = client.post(reverse("subjectaccess:create", args=[subject.pk]), _form())  # a double submit

    sar = SubjectAccessRequest.objects.get()
    assert response.status_code == again.status_code == 302
    assert response["Location"] == reverse("subjectaccess:detail", args=[sar.pk])
    assert sar.due_on == date(2027, 7, 10)
    assert sar.created_by == supervisor
    detail = client.get(response["Location"])
    assertContains(detail, "10 July 2027")
    assertContains(detail, "Produce the export")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (date_fields("received_on", date(2027, 6, 17)), "must be today or in the past"),
        ({"received_on_0": "31", "received_on_1": "2", "received_on_2": "2027"}, "Enter a real date"),
        ({"requester_kind": "someone"}, "Select a valid choice"),
        ({"received_from": ""}, "This field is required"),
        (
            date_fields("identity_confirmed_on", date(2027, 6, 1)),
            "on or after the date the request was received",
        ),
    ],
)
def test_bad_request_form_says_why_and_records_nothing(client_for, supervisor, subject, overrides, message):
    response = client_for(supervisor).post(
        reverse("subjectaccess:create", args=[subject.pk]), _form(**overrides)
    )

    assert response.status_code == 400
    assertContains(response, "govuk-error-summary", status_code=400)
    assertContains(response, message, status_code=400)
    assert not SubjectAccessRequest.objects.exists()


@pytest.mark.parametrize(
    "who", ["case_worker", "decision_maker", "administrator", "practitioner", "partner_manager", "analyst"]
)
def test_only_supervisors_use_the_subject_access_pages(request, client_for, sar, subject, who):
    client = client_for(request.getfixturevalue(who))

    for url in (
        reverse("subjectaccess:list"),
        reverse("subjectaccess:create", args=[subject.pk]),
        reverse("subjectaccess:detail", args=[sar.pk]),
        reverse("subjectaccess:download", args=[sar.pk, "pdf"]),
        reverse("subjectaccess:withdraw", args=[sar.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("subjectaccess:produce", args=[sar.pk])).status_code == 403
    assert client.post(reverse("subjectaccess:create", args=[subject.pk]), _form()).status_code == 403
    assert SubjectAccessRequest.objects.count() == 1


def test_another_forces_request_and_person_do_not_exist(client_for, outsider_supervisor, sar, subject):
    client = client_for(outsider_supervisor)

    assert client.get(reverse("subjectaccess:create", args=[subject.pk])).status_code == 404
    assert client.post(reverse("subjectaccess:create", args=[subject.pk]), _form()).status_code == 404
    assert client.get(reverse("subjectaccess:detail", args=[sar.pk])).status_code == 404
    assert client.post(reverse("subjectaccess:produce", args=[sar.pk])).status_code == 404
    assert client.get(reverse("subjectaccess:download", args=[sar.pk, "archive"])).status_code == 404
    assertNotContains(client.get(reverse("subjectaccess:list")), sar.reference)


# --- Producing, withholding, downloading, releasing ---------------------------------------------------------
def _produce(client, sar, capture):
    """Ask for the export through the page; the job queued on commit runs here (eager_worker)."""
    with capture(execute=True):
        response = client.post(reverse("subjectaccess:produce", args=[sar.pk]))
    assert response.status_code == 302
    return client.get(response["Location"])


def test_supervisor_produces_downloads_and_releases_the_response(
    client_for, supervisor, sar, eager_worker, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)

    produced = _produce(client, sar, django_capture_on_commit_callbacks)
    assertContains(produced, "Download the response (PDF")
    sar.refresh_from_db()
    assert sar.status == RequestStatus.IN_REVIEW

    pdf = client.get(reverse("subjectaccess:download", args=[sar.pk, "pdf"]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment")
    assert _body(pdf).startswith(b"%PDF-")
    archive = client.get(reverse("subjectaccess:download", args=[sar.pk, "archive"]))
    assert "data.json" in zipfile.ZipFile(io.BytesIO(_body(archive))).namelist()
    downloads = AuditEvent.objects.filter(action=AuditAction.DISCLOSED, reason__contains="export downloaded")
    assert downloads.count() == 2
    assert {e.actor for e in downloads} == {supervisor}

    released = client.post(reverse("subjectaccess:release", args=[sar.pk]), {"release_method": "post"})
    assert released.status_code == 302
    sar.refresh_from_db()
    assert sar.status == RequestStatus.RELEASED
    assert sar.released_by == supervisor


def test_withholding_through_the_page_needs_the_export_produced_again(
    client_for, supervisor, sar, subject, eager_worker, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)
    _produce(client, sar, django_capture_on_commit_callbacks)
    url = reverse("subjectaccess:redaction_create", args=[sar.pk])

    bad = client.post(url, {"item": "case-0", "ground": "crime", "reasons": "Inquiry"})
    assert bad.status_code == 400
    assertContains(bad, "The export has no item case-0.", status_code=400)
    missing = client.post(url, {"item": "", "ground": "", "reasons": ""})
    assert missing.status_code == 400
    assert not sar.redactions.exists()

    done = client.post(
        url, {"item": f"person-{subject.pk}.phone", "ground": "others", "reasons": "Shared phone"}
    )
    assert done.status_code == 302
    detail = client.get(reverse("subjectaccess:detail", args=[sar.pk]))
    assertContains(detail, "produce it again before releasing it")
    assertNotContains(detail, reverse("subjectaccess:release", args=[sar.pk]))
    refused = client.post(reverse("subjectaccess:release", args=[sar.pk]), {"release_method": "post"})
    assert refused.status_code == 400
    assertContains(refused, "produce it again", status_code=400)


def test_a_file_changed_since_it_was_produced_is_not_served(
    client_for, supervisor, sar, eager_worker, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)
    _produce(client, sar, django_capture_on_commit_callbacks)
    sar.refresh_from_db()
    with open(sar.export_pdf.path, "ab") as file:
        file.write(b"tampered")

    response = client.get(reverse("subjectaccess:download", args=[sar.pk, "pdf"]), follow=True)

    assertContains(response, "The file has changed since it was produced")
    assert not AuditEvent.objects.filter(reason__contains="export downloaded").exists()


def test_unknown_file_kind_is_not_found(client_for, supervisor, sar):
    assert client_for(supervisor).get(f"/subject-access/{sar.pk}/download/secrets/").status_code == 404


def test_withdrawn_request_cannot_be_produced(client_for, supervisor, sar):
    client = client_for(supervisor)
    assertContains(client.get(reverse("subjectaccess:withdraw", args=[sar.pk])), "Record it as withdrawn")
    client.post(reverse("subjectaccess:withdraw", args=[sar.pk]))

    response = client.post(reverse("subjectaccess:produce", args=[sar.pk]), follow=True)

    assertContains(response, "cannot be produced again")
    sar.refresh_from_db()
    assert sar.status == RequestStatus.WITHDRAWN
    assert sar.export_requested_at is None


# --- A fixed number of queries ----------------------------------------------------------------------------
def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("subjectaccess:list"))
    assert response.status_code == 200
    return len(queries), len(response.context["requests"])


def test_the_list_reads_the_same_number_of_queries_whatever_the_number_of_requests(
    client_for, supervisor, subject, django_assert_num_queries
):
    client = client_for(supervisor)

    def record(n):
        for _ in range(n):
            subject_access_request_create(
                actor=supervisor,
                person=subject,
                received_on=date(2027, 6, 1),
                requester_kind="data_subject",
                received_from="Daniel",
            )

    record(1)
    client.get(reverse("subjectaccess:list"))  # warm the caches
    one = _list_queries(client)
    record(9)
    with django_assert_num_queries(one[0]):
        ten = _list_queries(client)
    assert (one[1], ten[1]) == (1, 10)

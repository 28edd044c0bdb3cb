"""Who accessed this record: a person's and a case's access log, filtered, downloaded, and the search
across all of one person's records; for supervisors and administrators of the force."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import audit_record


def _ids(response):
    return {event.pk for event in response.context["events"]}


def _person_url(person, **query):
    url = reverse("subjectaccess:person_access", args=[person.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def viewed(subject, case_worker, practitioner):
    """Someone opened the person's page; the partner opened the referral."""
    case = subject.cases.order_by("created_at").first()
    return {
        "person": audit_record(
            actor=case_worker, action=AuditAction.VIEWED, obj=subject, reason="Person record opened"
        ),
        "referral": audit_record(
            actor=practitioner, action=AuditAction.VIEWED, obj=case.referrals.get(), reason="Referral opened"
        ),
        "case": audit_record(
            actor=case_worker, action=AuditAction.VIEWED, obj=case, reason="Case record opened"
        ),
    }


# --- Who may see it ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["supervisor", "administrator"])
def test_supervisors_and_administrators_see_who_accessed_a_person(request, client_for, subject, viewed, who):
    response = client_for(request.getfixturevalue(who)).get(_person_url(subject))

    assert response.status_code == 200
    assert viewed["person"].pk in _ids(response)
    assert viewed["case"].pk not in _ids(response)  # this record only, unless asked for all
    assertContains(response, viewed["person"].actor_label)
    assertContains(response, "Fenshire Constabulary")


def test_administrator_is_not_shown_the_persons_name(client_for, administrator, supervisor, subject, viewed):
    assertNotContains(client_for(administrator).get(_person_url(subject)), "Whitmore")
    assertContains(client_for(supervisor).get(_person_url(subject)), "Whitmore")


@pytest.mark.parametrize(
    "who", ["case_worker", "decision_maker", "practitioner", "partner_manager", "analyst"]
)
def test_other_roles_are_refused(request, client_for, subject, who):
    client = client_for(request.getfixturevalue(who))
    case = subject.cases.first()

    for url in (
        _person_url(subject),
        reverse("subjectaccess:person_access_csv", args=[subject.pk]),
        reverse("subjectaccess:case_access", args=[case.pk]),
        reverse("subjectaccess:case_access_csv", args=[case.pk]),
        reverse("subjectaccess:record_find"),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["outsider_supervisor", "outsider_administrator"])
def test_another_forces_person_and_case_do_not_exist(request, client_for, subject, who):
    client = client_for(request.getfixturevalue(who))
    case = subject.cases.first()

    assert client.get(_person_url(subject)).status_code == 404
    assert client.get(reverse("subjectaccess:case_access", args=[case.pk])).status_code == 404
    assert client.get(reverse("subjectaccess:person_access_csv", args=[subject.pk])).status_code == 404
    found = client.get(reverse("subjectaccess:record_find"), {"record": case.reference})
    assert found.status_code == 400


def test_the_case_page_links_supervisors_to_it(client_for, supervisor, case_worker, subject):
    case = subject.cases.first()
    url = reverse("subjectaccess:case_access", args=[case.pk])

    assertContains(client_for(supervisor).get(reverse("cases:detail", args=[case.pk])), url)
    assertNotContains(client_for(case_worker).get(reverse("cases:detail", args=[case.pk])), url)


# --- All of a person's records ---------------------------------------------------------------------------
def test_all_of_a_persons_records_are_searched_together(
    client_for, supervisor, subject, other_person, viewed
):
    elsewhere = audit_record(actor=supervisor, action=AuditAction.VIEWED, obj=other_person)

    response = client_for(supervisor).get(_person_url(subject, records="all"))

    assert {viewed["person"].pk, viewed["case"].pk, viewed["referral"].pk} <= _ids(response)
    assert elsewhere.pk not in _ids(response)
    shown = AuditEvent.objects.filter(pk__in=_ids(response))
    assert not shown.filter(object_label__contains=other_person.cases.get().reference).exists()
    # The caution, the conditions, the evidence: everything audited on the person's cases.
    labels = set(shown.values_list("content_type__model", flat=True))
    assert {"person", "case", "referral", "caution", "condition", "evidence"} <= labels


def test_a_cases_log_with_its_records(client_for, supervisor, subject, viewed):
    case = subject.cases.order_by("created_at").first()
    url = reverse("subjectaccess:case_access", args=[case.pk])

    alone = client_for(supervisor).get(url)
    together = client_for(supervisor).get(url, {"records": "all"})

    assert viewed["case"].pk in _ids(alone)
    assert viewed["referral"].pk not in _ids(alone)
    assert viewed["referral"].pk in _ids(together)
    assert viewed["person"].pk not in _ids(together)


# --- Filters -----------------------------------------------------------------------------------------
def test_filter_by_who_what_and_when(client_for, supervisor, case_worker, practitioner, subject, viewed):
    client = client_for(supervisor)
    changed = audit_record(
        actor=case_worker, action=AuditAction.CHANGED, obj=subject, reason="Person corrected"
    )

    by_who = client.get(_person_url(subject, records="all", actor=practitioner.email))
    by_what = client.get(_person_url(subject, action="changed"))
    today = timezone.localdate()
    by_when = client.get(_person_url(subject, occurred_from=today.isoformat(), occurred_to=today.isoformat()))
    before = client.get(_person_url(subject, occurred_to=(today - timedelta(days=1)).isoformat()))

    assert viewed["referral"].pk in _ids(by_who)
    assert {e.actor for e in by_who.context["events"]} == {practitioner}
    assert changed.pk in _ids(by_what)
    assert viewed["person"].pk not in _ids(by_what)
    assert {viewed["person"].pk, changed.pk} <= _ids(by_when)
    assert _ids(before) == set()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"occurred_from": "not-a-date"}, "Enter a valid date."),
        ({"occurred_from": "2027-06-16", "occurred_to": "2027-06-01"}, "must be the same as or after"),
        ({"action": "login"}, "Select a valid choice."),
        ({"actor": "nobody@example.org"}, "Select a valid choice."),
        ({"records": "everyone"}, "Select a valid choice."),
    ],
)
def test_bad_filter_says_why_and_shows_nothing(client_for, supervisor, subject, viewed, query, message):
    response = client_for(supervisor).get(_person_url(subject), query)

    assert response.status_code == 400
    assert _ids(response) == set()
    assertContains(response, "<title>Error: Who accessed this record", status_code=400)
    assertContains(response, message, status_code=400)


# --- Download ------------------------------------------------------------------------------------------
def test_download_as_csv_is_itself_audited(client_for, administrator, case_worker, subject, viewed):
    audit_record(actor=case_worker, action=AuditAction.VIEWED, obj=subject, reason='=HYPERLINK("x")')

    response = client_for(administrator).get(
        reverse("subjectaccess:person_access_csv", args=[subject.pk]), {"action": "viewed"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["when", "who", "organisation", "action"]
    assert {row[1] for row in rows[1:]} == {case_worker.email}
    assert "'=HYPERLINK" in {row[8][:11] for row in rows[1:]}  # a formula is never a formula
    exported = AuditEvent.objects.get(action=AuditAction.EXPORTED, actor=administrator)
    assert exported.object_label == f"Person #{subject.pk}"
    assert exported.reason == f"Access log of the record downloaded: {len(rows) - 1} rows"


def test_bad_filter_on_the_download_is_a_message_not_a_file(client_for, supervisor, subject):
    response = client_for(supervisor).get(
        reverse("subjectaccess:person_access_csv", args=[subject.pk]), {"occurred_from": "x"}
    )

    assert response.status_code == 400
    assertContains(response, "Enter a valid date.", status_code=400)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()


def test_opening_the_log_is_itself_recorded_after_it_is_read(client_for, supervisor, subject):
    client = client_for(supervisor)

    first = client.get(_person_url(subject))
    second = client.get(_person_url(subject))

    [reviewed, _] = AuditEvent.objects.filter(
        actor=supervisor, reason__startswith="Who accessed this record"
    ).order_by("id")
    assert reviewed.pk in _ids(second)
    assert reviewed.pk not in _ids(first)


# --- Finding a record --------------------------------------------------------------------------------------
def test_administrator_finds_a_record_by_reference_or_number(client_for, administrator, subject):
    client = client_for(administrator)
    case = subject.cases.first()

    by_reference = client.get(reverse("subjectaccess:record_find"), {"record": case.reference.lower()})
    by_number = client.get(reverse("subjectaccess:record_find"), {"record": f"#{subject.pk}"})
    unknown = client.get(reverse("subjectaccess:record_find"), {"record": "FEN-1999-000000"})

    assert by_reference["Location"] == reverse("subjectaccess:case_access", args=[case.pk])
    assert by_number["Location"] == _person_url(subject)
    assert unknown.status_code == 400
    assertContains(unknown, "No case or person of your force", status_code=400)


# --- A fixed number of queries, through the index ------------------------------------------------------
def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.context["events"])


def test_the_log_reads_the_same_number_of_queries_whatever_its_size(
    client_for, supervisor, case_worker, subject, active_case_for, django_assert_num_queries
):
    client = client_for(supervisor)
    lone = active_case_for().person
    for person in (lone, subject):
        client.get(_person_url(person, records="all"))  # warm the caches
    few = _queries(client, _person_url(lone, records="all"))

    for _ in range(60):
        audit_record(actor=case_worker, action=AuditAction.VIEWED, obj=subject)
    # The page's reads (the person, their records in one query, the people in the log, the count, the
    # page) and the append of this view to the audit log, whatever the number of cases and events.
    with django_assert_num_queries(few[0]):
        many = _queries(client, _person_url(subject, records="all"))

    assert many[1] == 50  # a page
    assert few[1] < many[1]


@pytest.mark.postgres
def test_the_log_is_read_through_the_audit_logs_index(supervisor, subject, viewed):
    from subjectaccess.records import person_record_keys
    from subjectaccess.selectors import access_events_for

    events = access_events_for(supervisor, person_record_keys(subject))[:50]
    with connection.cursor() as cursor:
        # A test's audit log is a few rows, which a planner reads whole, or in time order: show that the
        # rows can be found from the records alone, as they are when the log is large (1.3 million
        # rows, the index on the records: see the README, "Who accessed this record").
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = events.explain()

    assert "Bitmap Index Scan" in plan
    assert "Seq Scan on audit_auditevent" not in plan

"""The partner workspace through the web: the issue's journey (accept and assign, an attended session, a
missed one, the end-of-intervention report, then the police case page), who may see what (another
agency, a colleague not assigned, the case page itself, a practitioner asking to accept), and list pages
that run a fixed number of queries however many referrals there are (STYLE.md, Tests and Access)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from factories import CaseFactory, PersonFactory
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects
from referral_support import DESIRED_OUTCOMES, partner_condition

from cases.events import EVENT_KINDS, EventCode, EventKind
from cases.models import Case, CaseStatus, Person
from conditions.models import ConditionStatus
from offenderhub.notifications.models import Notification, NotificationKind
from referrals.models import Appointment, Attendance, EndReport, Referral, ReferralStatus, Service

PARTNER_CODES = {
    EventCode.REFERRAL_ACCEPTED,
    EventCode.REFERRAL_ASSIGNED,
    EventCode.APPOINTMENT_BOOKED,
    EventCode.APPOINTMENT_OUTCOME,
    EventCode.REFERRAL_REPORT,
}
TABS = ["mine", "unassigned", "open", "completed", "closed"]


def _date_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def _book(client, referral, *, days_ago):
    day = timezone.localdate() - timedelta(days=days_ago)
    response = client.post(
        reverse("referrals:book", args=[referral.pk]),
        {
            **_date_fields("on", day),
            "at": "10:00",
            "duration_minutes": "60",
            "format": "in_person",
            "setting": "one_to_one",
            "location": "Compass, 4 Mill Lane",
        },
    )
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]) + "#appointments")
    return Appointment.objects.filter(referral=referral).latest("id")


def _listed(client, **query):
    response = client.get(reverse("referrals:workspace"), query)
    assert response.status_code == 200
    return [r.pk for r in response.context["referrals"]]


# --- The journey ----------------------------------------------------------------------------------
def test_partner_journey_from_referral_to_completed_condition_shows_on_the_case_pages(
    client_for, active_case, partner_service, case_worker, partner_manager, practitioner, agency
):
    police, manager, worker = client_for(case_worker), client_for(partner_manager), client_for(practitioner)
    condition = partner_condition(active_case)

    # The case worker refers the person from the case page.
    response = police.post(
        reverse("referrals:create", args=[active_case.pk]),
        {
            "service": partner_service.pk,
            "condition": condition.pk,
            "reason": "Binge drinking at weekends led to the assault.",
            "desired_outcomes": "\n".join(DESIRED_OUTCOMES),
            **_date_fields("due_date", condition.due_date),
            "needs": ["drugs_alcohol"],
            "needs_summary": "Drugs and alcohol (high): binge drinking at weekends.",
            "availability": "Weekday mornings",
        },
    )
    referral = Referral.objects.get(case=active_case)
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]))

    # The agency's manager finds it among the unassigned, accepts it and assigns the practitioner.
    assert _listed(manager, tab="unassigned") == [referral.pk]
    response = manager.post(
        reverse("referrals:accept", args=[referral.pk]), {"practitioner": practitioner.pk}
    )
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]))
    referral.refresh_from_db()
    assert (referral.status, referral.practitioner) == (ReferralStatus.ACCEPTED, practitioner)
    assert Notification.objects.filter(
        kind=NotificationKind.REFERRAL_ASSIGNED, recipient=practitioner
    ).exists()

    # The practitioner sees it as theirs, books two sessions and records what happened.
    assert _listed(worker, tab="mine") == [referral.pk]
    attended = _book(worker, referral, days_ago=8)
    missed = _book(worker, referral, days_ago=1)
    response = worker.post(
        reverse("referrals:outcome", args=[attended.pk]),
        {
            "attendance": "attended",
            "summary": "Talked through a typical weekend and the triggers for drinking.",
            "engagement": "good",
            "behaviour": "Calm and open.",
        },
    )
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]) + "#appointments")
    response = worker.post(
        reverse("referrals:outcome", args=[missed.pk]),
        {
            "attendance": "did_not_attend",
            "non_attendance": "unacceptable",
            "non_attendance_notes": "Said he forgot; no call beforehand.",
        },
    )
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]) + "#appointments")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert Appointment.objects.get(pk=missed.pk).attendance == Attendance.DID_NOT_ATTEND
    [alert] = Notification.objects.filter(kind=NotificationKind.DID_NOT_ATTEND)
    assert alert.recipient == case_worker
    assertContains(police.get(reverse("notifications:inbox")), active_case.reference)

    # The end-of-intervention report completes the condition.
    outcomes = list(referral.outcomes.all())
    response = worker.post(
        reverse("referrals:report", args=[referral.pk]),
        {
            "result": EndReport.Result.COMPLETED,
            "summary": "Attended the sessions that mattered and set a drinking goal.",
            **{f"outcome_{o.pk}": "achieved" for o in outcomes},
            **{f"comment_{o.pk}": "Seen in the sessions." for o in outcomes},
        },
    )
    assertRedirects(response, reverse("referrals:detail", args=[referral.pk]))
    referral.refresh_from_db()
    condition.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert condition.status == ConditionStatus.COMPLETE
    assert Notification.objects.filter(kind=NotificationKind.REPORT_SUBMITTED, recipient=case_worker).exists()

    # The police case's pages show the referral ("Conditions and referrals") and all of the partner's
    # work (the timeline, narrowed to it), attributed to the partner.
    response = police.get(reverse("cases:conditions", args=[active_case.pk]))
    assert response.status_code == 200
    assert [r.pk for r in response.context["referrals"]] == [referral.pk]
    assertContains(response, reverse("referrals:detail", args=[referral.pk]))
    assertContains(response, partner_service.name)
    response = police.get(reverse("cases:timeline", args=[active_case.pk]), {"kind": "referrals"})
    assert response.status_code == 200
    assert {e.code for e in response.context["events"]} <= EVENT_KINDS[EventKind.REFERRALS]
    partner_events = [e for e in response.context["events"] if e.code in PARTNER_CODES]
    assert {e.code for e in partner_events} == PARTNER_CODES
    assert {e.actor_organisation for e in partner_events} == {agency}
    outcome_summaries = [e.summary for e in partner_events if e.code == EventCode.APPOINTMENT_OUTCOME]
    assert len(outcome_summaries) == 2
    assert any("unacceptable" in s.lower() for s in outcome_summaries)
    for event in partner_events:
        assertContains(response, escape(event.summary))
    assertContains(response, f"{practitioner.full_name}, {agency.name}")


# --- The other actions through their pages ----------------------------------------------------------
def test_manager_declines_through_the_page_and_the_case_worker_is_told(
    client_for, referral, partner_manager, case_worker
):
    response = client_for(partner_manager).post(
        reverse("referrals:decline", args=[referral.pk]),
        {"reason": "out_of_area", "notes": "We do not cover that postcode."},
    )

    assertRedirects(response, reverse("referrals:workspace"))
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == (ReferralStatus.DECLINED, "out_of_area")
    assert Notification.objects.filter(
        kind=NotificationKind.REFERRAL_DECLINED, recipient=case_worker
    ).exists()
    assert _listed(client_for(partner_manager), tab="closed") == [referral.pk]


def test_practitioner_reschedules_through_the_page_keeping_the_old_appointment(
    client_for, accepted_referral, book, practitioner
):
    old = book(accepted_referral, days_ago=-2)
    new_day = timezone.localdate() + timedelta(days=9)

    response = client_for(practitioner).post(
        reverse("referrals:reschedule", args=[old.pk]),
        {
            **_date_fields("on", new_day),
            "at": "14:30",
            "requested_by": "person",
            "reason": "Hospital appointment.",
        },
    )

    assertRedirects(response, reverse("referrals:detail", args=[accepted_referral.pk]) + "#appointments")
    old.refresh_from_db()
    assert old.reschedule_requested_by == "person"
    assert old.reschedule_reason == "Hospital appointment."
    new = old.rescheduled_to
    assert timezone.localtime(new.starts_at).date() == new_day
    assert timezone.localtime(new.starts_at).strftime("%H:%M") == "14:30"


def test_refused_outcome_is_shown_on_the_form(client_for, accepted_referral, book, practitioner):
    appointment = book(accepted_referral)

    response = client_for(practitioner).post(
        reverse("referrals:outcome", args=[appointment.pk]), {"attendance": "did_not_attend"}
    )

    assert response.status_code == 400
    assertContains(response, "acceptable, unacceptable or logistical", status_code=400)
    appointment.refresh_from_db()
    assert appointment.attendance == ""


def test_either_side_writes_notes_through_the_page(client_for, accepted_referral, case_worker, practitioner):
    for user in (case_worker, practitioner):
        response = client_for(user).post(
            reverse("referrals:note", args=[accepted_referral.pk]), {"text": f"Note from {user.full_name}"}
        )
        assertRedirects(response, reverse("referrals:detail", args=[accepted_referral.pk]) + "#notes")

    response = client_for(practitioner).get(reverse("referrals:detail", args=[accepted_referral.pk]))
    assertContains(response, f"Note from {case_worker.full_name}")
    assertContains(response, f"Note from {practitioner.full_name}")


def test_case_worker_withdraws_through_the_page_and_the_agency_is_told(
    client_for, accepted_referral, case_worker, agency
):
    response = client_for(case_worker).post(
        reverse("referrals:withdraw", args=[accepted_referral.pk]),
        {"reason": "person_moved", "notes": "Moved to Marshire."},
    )

    assertRedirects(response, reverse("referrals:detail", args=[accepted_referral.pk]))
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.WITHDRAWN
    assert Notification.objects.filter(recipient_organisation=agency).count() == 2  # sent, then withdrawn


def test_partner_cannot_withdraw_through_the_page(client_for, accepted_referral, partner_manager):
    response = client_for(partner_manager).post(
        reverse("referrals:withdraw", args=[accepted_referral.pk]), {"reason": "other"}
    )

    assert response.status_code == 403
    accepted_referral.refresh_from_db()
    assert accepted_referral.status == ReferralStatus.ACCEPTED


# --- Who sees what --------------------------------------------------------------------------------
@pytest.fixture
def documented_referral(accepted_referral, settings, tmp_path, practitioner):
    """The accepted referral with a PDF the practitioner uploaded (stored under a temporary root)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    from referrals.services import evidence_upload

    settings.MEDIA_ROOT = tmp_path
    writer, content = PdfWriter(), io.BytesIO()  # a real PDF: unreadable ones are refused
    writer.add_blank_page(width=200, height=200)
    writer.write(content)
    evidence = evidence_upload(
        referral_id=accepted_referral.pk,
        actor=practitioner,
        upload=SimpleUploadedFile("certificate.pdf", content.getvalue(), content_type="application/pdf"),
        kind="certificate",
    )
    return accepted_referral, evidence


def test_partner_b_gets_404_for_partner_as_referral_and_its_documents(
    client_for, documented_referral, other_partner_manager
):
    referral, evidence = documented_referral
    client = client_for(other_partner_manager)

    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert client.get(reverse("referrals:evidence", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("referrals:upload", args=[referral.pk])).status_code == 404
    assert client.post(reverse("referrals:note", args=[referral.pk]), {"text": "Hi"}).status_code == 404
    assert referral.notes.count() == 0


def test_partner_b_cannot_act_on_partner_as_referral(
    client_for, referral, other_partner_manager, other_practitioner
):
    client = client_for(other_partner_manager)

    response = client.post(
        reverse("referrals:accept", args=[referral.pk]), {"practitioner": other_practitioner.pk}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("referrals:decline", args=[referral.pk]), {"reason": "risk", "notes": "No."}
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_partner_b_does_not_see_partner_as_referral_in_any_tab(
    client_for, accepted_referral, other_partner_manager, other_service
):
    client = client_for(other_partner_manager)

    for tab in TABS:
        assert _listed(client, tab=tab) == []
    assert _listed(client, tab="open", q=accepted_referral.case.reference) == []
    response = client.get(reverse("referrals:workspace"), {"tab": "open"})
    assert all(count == 0 for _, _, count in response.context["tabs"])
    assertNotContains(response, accepted_referral.case.reference)


def test_partner_a_sees_its_referral_in_the_right_tabs(
    client_for, accepted_referral, partner_manager, practitioner
):
    manager, worker = client_for(partner_manager), client_for(practitioner)

    assert _listed(manager, tab="open") == [accepted_referral.pk]
    assert _listed(manager, tab="unassigned") == []
    assert _listed(manager, tab="completed") == []
    assert _listed(worker, tab="mine") == [accepted_referral.pk]
    assert _listed(worker, tab="open") == [accepted_referral.pk]


@pytest.mark.parametrize("who", ["partner_manager", "practitioner"])
def test_partner_user_gets_404_for_the_case_page(request, client_for, accepted_referral, who):
    user = request.getfixturevalue(who)

    response = client_for(user).get(reverse("cases:detail", args=[accepted_referral.case_id]))

    assert response.status_code == 404


def test_partner_sees_the_referral_but_not_the_offence_history(client_for, accepted_referral, practitioner):
    response = client_for(practitioner).get(reverse("referrals:detail", args=[accepted_referral.pk]))

    assert response.status_code == 200
    assertContains(response, "Daniel Whitmore")
    assertNotContains(response, "Assault occasioning actual bodily harm")
    assertNotContains(response, reverse("cases:detail", args=[accepted_referral.case_id]))


@pytest.mark.parametrize("action", ["referrals:accept", "referrals:decline"])
def test_practitioner_cannot_accept_or_decline(client_for, referral, practitioner, action):
    client = client_for(practitioner)

    assert client.get(reverse(action, args=[referral.pk])).status_code == 403
    response = client.post(
        reverse(action, args=[referral.pk]),
        {"practitioner": practitioner.pk, "reason": "no_capacity", "notes": "Full."},
    )
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_practitioner_not_assigned_gets_404(client_for, documented_referral, colleague_practitioner):
    referral, evidence = documented_referral
    client = client_for(colleague_practitioner)

    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert client.get(reverse("referrals:evidence", args=[evidence.pk])).status_code == 404
    assert _listed(client, tab="open") == []


def test_another_forces_police_get_404_for_the_referral(client_for, referral, outsider_supervisor):
    response = client_for(outsider_supervisor).get(reverse("referrals:detail", args=[referral.pk]))

    assert response.status_code == 404


def test_police_cannot_open_the_partner_workspace(client_for, case_worker):
    assert client_for(case_worker).get(reverse("referrals:workspace")).status_code == 403


# --- Query counts of the lists ----------------------------------------------------------------------
# Measured on PostgreSQL: session, user, roles, the page count, the tab counts, the user's organisation
# (identity bar), the inbox count, the filter's service choices and their agency (one more query to
# check a chosen service) and the page rows (the session is not saved: its expiry is written at most once
# a minute). It must not grow with the number of referrals.
WORKSPACE_QUERIES = 12  # with the session's second-factor device

STATUSES = [
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.COMPLETED,
    ReferralStatus.DECLINED,
    ReferralStatus.WITHDRAWN,
]
ASSIGNED = {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED}


@pytest.fixture
def bulk_referrals(force, scheme, area, case_worker, partner_service, practitioner):
    """``bulk_referrals(n)``: ``n`` referrals to the agency in a handful of inserts, in every status,
    those being worked assigned to the practitioner with a session each that awaits its outcome."""

    def build(n):
        people = Person.objects.bulk_create(
            PersonFactory.build(force=force, created_by=case_worker) for _ in range(n)
        )
        cases = Case.objects.bulk_create(
            CaseFactory.build(
                force=force, scheme=scheme, area=area, owner=case_worker, person=p, status=CaseStatus.ACTIVE
            )
            for p in people
        )
        today = timezone.localdate()
        referrals = Referral.objects.bulk_create(
            Referral(
                case=case,
                service=partner_service,
                organisation=partner_service.organisation,
                status=STATUSES[i % len(STATUSES)],
                reason="Alcohol",
                due_date=today + timedelta(days=i % 40),
                sent_by=case_worker,
                practitioner=practitioner if STATUSES[i % len(STATUSES)] in ASSIGNED else None,
            )
            for i, case in enumerate(cases)
        )
        Appointment.objects.bulk_create(
            Appointment(
                referral=r,
                starts_at=timezone.now() - timedelta(days=1),
                format="in_person",
                setting="one_to_one",
                created_by=practitioner,
            )
            for r in referrals
            if r.status in {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}
        )
        return referrals

    return build


def _workspace_requests(user, service):
    tabs = TABS if user == "manager" else [t for t in TABS if t != "unassigned"]
    yield from ({"tab": tab} for tab in tabs)
    yield {"tab": "open", "q": "Example", "service": service.pk, "sort": "-due"}
    yield {"tab": "open", "due_before": (timezone.localdate() + timedelta(days=20)).isoformat()}
    yield {"tab": "open", "sort": "name", "page": 2}


@pytest.mark.parametrize("number_of_referrals", [5, 200])
@pytest.mark.parametrize("who", ["partner_manager", "practitioner"])
def test_workspace_lists_run_a_fixed_number_of_queries(
    request,
    client_for,
    bulk_referrals,
    partner_service,
    django_assert_max_num_queries,
    number_of_referrals,
    who,
):
    bulk_referrals(number_of_referrals)
    client = client_for(request.getfixturevalue(who))

    for query in _workspace_requests(
        "manager" if who == "partner_manager" else "practitioner", partner_service
    ):
        with django_assert_max_num_queries(WORKSPACE_QUERIES):
            response = client.get(reverse("referrals:workspace"), query)
        assert response.status_code == 200, query
        assert not response.context["filter"].form.errors
        assert len(response.context["referrals"]) <= 25


def test_workspace_query_count_does_not_grow_with_the_number_of_referrals(
    client_for, bulk_referrals, partner_service, partner_manager, practitioner
):
    def counts():
        measured = {}
        for who, user in (("manager", partner_manager), ("practitioner", practitioner)):
            client = client_for(user)
            for i, query in enumerate(_workspace_requests(who, partner_service)):
                client.get(reverse("referrals:workspace"), query)  # warm the session
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(reverse("referrals:workspace"), query)
                assert response.status_code == 200
                measured[(who, i)] = len(captured)
        return measured

    bulk_referrals(5)
    with_five = counts()
    bulk_referrals(195)
    with_two_hundred = counts()

    assert with_five == with_two_hundred
    assert max(with_two_hundred.values()) <= WORKSPACE_QUERIES


def test_workspace_tabs_count_and_page_the_agencys_referrals(client_for, bulk_referrals, partner_manager):
    bulk_referrals(60)
    client = client_for(partner_manager)

    response = client.get(reverse("referrals:workspace"), {"tab": "open"})

    counts = {key: count for key, _, count in response.context["tabs"]}
    assert counts == {"mine": 0, "unassigned": 10, "open": 30, "completed": 10, "closed": 20}
    assert len(response.context["referrals"]) == 25
    assert len(_listed(client, tab="open", page=2)) == 5
    awaiting = [r for r in response.context["referrals"] if r.awaiting_outcome]
    assert {r.status for r in awaiting} == {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}


def test_practitioner_tabs_count_only_their_own_referrals(client_for, bulk_referrals, practitioner):
    bulk_referrals(60)

    response = client_for(practitioner).get(reverse("referrals:workspace"), {"tab": "mine"})

    assert [key for key, _, _ in response.context["tabs"]] == ["mine", "open", "completed", "closed"]
    counts = {key: count for key, _, count in response.context["tabs"]}
    assert (counts["mine"], counts["open"], counts["completed"], counts["closed"]) == (20, 20, 10, 0)
    assert {r.practitioner_id for r in response.context["referrals"]} == {practitioner.pk}


def test_workspace_query_count_does_not_grow_with_the_agencys_services(
    client_for, bulk_referrals, partner_manager, agency
):
    bulk_referrals(5)
    client = client_for(partner_manager)
    client.get(reverse("referrals:workspace"), {"tab": "open"})

    def count():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("referrals:workspace"), {"tab": "open"})
        return len(captured)

    with_one_service = count()
    for name in ("Counselling", "Group work", "Family support"):
        Service.objects.create(organisation=agency, name=name, pathways=["health"])

    assert count() == with_one_service


def test_the_workspace_tabs_and_their_indexes_name_every_status_once():
    from referrals.models import OPEN_REFERRAL_STATUSES, WORKSPACE_TAB_STATUSES

    assert set(WORKSPACE_TAB_STATUSES["open"]) == OPEN_REFERRAL_STATUSES
    assert set(WORKSPACE_TAB_STATUSES["unassigned"]) == {ReferralStatus.SENT}
    shown = [s for tab in ("open", "completed", "closed") for s in WORKSPACE_TAB_STATUSES[tab]]
    assert sorted(shown) == sorted(ReferralStatus.values)
    for statuses in WORKSPACE_TAB_STATUSES.values():
        assert list(statuses) == sorted(statuses)  # the lists' and the partial indexes' order


def test_a_filtered_tab_counts_its_own_rows(client_for, bulk_referrals, partner_manager, partner_service):
    bulk_referrals(60)
    client = client_for(partner_manager)

    everything = client.get(reverse("referrals:workspace"), {"tab": "open"})
    filtered = client.get(
        reverse("referrals:workspace"),
        {"tab": "open", "due_before": (timezone.localdate() + timedelta(days=5)).isoformat()},
    )

    assert everything.context["page_obj"].paginator.count == 30
    due_soon = Referral.objects.filter(
        status__in=["sent", "accepted", "in_progress"], due_date__lte=timezone.localdate() + timedelta(days=5)
    ).count()
    assert 0 < filtered.context["page_obj"].paginator.count == due_soon < 30
    assert {key: count for key, _, count in filtered.context["tabs"]}["open"] == 30


def test_the_search_finds_a_reference_or_any_word_of_a_name(client_for, bulk_referrals, partner_manager):
    referrals = bulk_referrals(12)
    client = client_for(partner_manager)
    first = Referral.objects.select_related("case__person").get(pk=referrals[0].pk)
    person = first.case.person
    Person.objects.filter(pk=person.pk).update(given_names="Zedekiah Quill", family_name="Marchbanks")
    other = Referral.objects.select_related("case__person").get(pk=referrals[6].pk)
    assert first.status == other.status  # both in the same tab

    tab = "unassigned"
    assert _listed(client, tab=tab, q=first.case.reference.lower()) == [first.pk]
    assert _listed(client, tab=tab, q=first.case.reference[:-1]) == []  # the reference whole
    assert _listed(client, tab=tab, q="quill") == [first.pk]
    assert _listed(client, tab=tab, q="MARCH") == [first.pk]
    found = _listed(client, tab=tab, q=f"nobody {other.case.person.family_name}")
    assert found == [other.pk]
    both = _listed(client, tab=tab, q=f"Zedekiah {other.case.person.given_names}")
    assert set(both) == {first.pk, other.pk}

"""The inbox: everyone's own notifications, partner staff's agency inbox, opening and marking read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from factories import UserFactory
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from offenderhub.notifications.models import Notification, NotificationKind
from offenderhub.notifications.services import notify

EVERY_ROLE = [
    "case_worker",
    "decision_maker",
    "supervisor",
    "practitioner",
    "partner_manager",
    "analyst",
    "administrator",
]


def _notify(reference="OH-2025-0001", url="/cases/1/", **recipients):
    [notification] = notify(
        kind=NotificationKind.CONDITION_DUE, url=url, case_reference=reference, **recipients
    )
    return notification


def _listed(response):
    return {n.pk for n in response.context["notifications"]}


# --- Who sees what --------------------------------------------------------------------------------
@pytest.mark.parametrize("who", EVERY_ROLE)
def test_every_role_has_an_inbox_in_the_navigation(request, client_for, who):
    user = request.getfixturevalue(who)
    mine = _notify(users=[user])

    response = client_for(user).get("/notifications/")

    assert response.status_code == 200
    assert _listed(response) == {mine.pk}
    assert "Inbox" in [item["label"] for item in response.context["navigation"]]


def test_user_without_a_role_is_refused(client_for, force):
    assert client_for(UserFactory(organisation=force)).get("/notifications/").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_partner_staff_see_their_own_and_their_agencys_notifications(
    client_for, practitioner, partner_manager, agency, other_agency
):
    own = _notify(users=[practitioner])
    shared = _notify(organisations=[agency])
    _notify(users=[partner_manager])
    _notify(organisations=[other_agency])

    response = client_for(practitioner).get("/notifications/")

    assert _listed(response) == {own.pk, shared.pk}
    assertContains(response, "Sent to your agency's shared inbox", count=1)


def test_agency_inbox_is_for_partner_staff_only(client_for, agency_administrator, agency):
    _notify(organisations=[agency])

    response = client_for(agency_administrator).get("/notifications/")

    assert _listed(response) == set()


def test_inbox_lists_newest_first_with_unread_marked_new(client_for, case_worker):
    older = _notify(users=[case_worker], reference="OH-2025-0001")
    newer = _notify(users=[case_worker], reference="OH-2025-0002")
    Notification.objects.filter(pk=older.pk).update(read_at=older.created_at)

    response = client_for(case_worker).get("/notifications/")

    assert [n.pk for n in response.context["notifications"]] == [newer.pk, older.pk]
    assertContains(response, '<strong class="govuk-tag">New</strong>', count=1, html=True)
    assertContains(response, "1 unread notification")


def test_navigation_shows_the_unread_count(client_for, case_worker, supervisor):
    _notify(users=[case_worker])
    _notify(users=[case_worker])
    _notify(users=[supervisor])

    response = client_for(case_worker).get("/")

    assertContains(
        response,
        '<a class="moj-primary-navigation__link" href="/notifications/">Inbox '
        '<span class="moj-notification-badge">2<span class="govuk-visually-hidden"> unread</span></span></a>',
        html=True,
    )


def test_navigation_shows_no_count_when_all_is_read(client_for, case_worker):
    response = client_for(case_worker).get("/")

    assertContains(
        response, '<a class="moj-primary-navigation__link" href="/notifications/">Inbox</a>', html=True
    )


def test_inbox_is_paginated_by_25(client_for, case_worker):
    for number in range(26):
        _notify(users=[case_worker], reference=f"OH-2025-{number:04d}")

    client = client_for(case_worker)
    assert len(client.get("/notifications/").context["notifications"]) == 25
    assert len(client.get("/notifications/?page=2").context["notifications"]) == 1


def _inbox_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/notifications/")
    assert response.status_code == 200
    return len(queries), len(response.context["notifications"])


def test_inbox_queries_do_not_grow_with_notifications(
    client_for, practitioner, agency, django_assert_max_num_queries
):
    client = client_for(practitioner)
    for _ in range(2):
        _notify(users=[practitioner])
    _notify(organisations=[agency])
    with_three = _inbox_queries(client)

    for _ in range(27):
        _notify(users=[practitioner])
    # Session, user, roles, the user's organisation (identity bar), the unread count, the page count,
    # the page (the session is not saved: its expiry is written at most once a minute).
    with django_assert_max_num_queries(7):
        with_thirty = _inbox_queries(client)

    assert with_three == (with_three[0], 3)
    assert with_thirty == (with_three[0], 25)


# --- Opening a notification -----------------------------------------------------------------------
def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client_for, case_worker):
    notification = _notify(users=[case_worker], url="/cases/7/")

    response = client_for(case_worker).post(f"/notifications/{notification.pk}/read/")

    assertRedirects(response, "/cases/7/", fetch_redirect_response=False)
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_one_partner_opening_the_agency_notification_reads_it_for_the_agency(
    client_for, practitioner, partner_manager, agency
):
    shared = _notify(organisations=[agency])

    client_for(practitioner).post(f"/notifications/{shared.pk}/read/")

    response = client_for(partner_manager).get("/notifications/")
    assert _listed(response) == {shared.pk}
    assertNotContains(response, ">New</strong>")


@pytest.mark.parametrize("owner", ["supervisor", "other_agency"])
def test_another_users_notification_is_not_found(request, client_for, case_worker, owner):
    recipient = request.getfixturevalue(owner)
    key = "organisations" if owner == "other_agency" else "users"
    notification = _notify(**{key: [recipient]})

    response = client_for(case_worker).post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_practitioner_cannot_open_another_agencys_notification(client_for, practitioner, other_practitioner):
    notification = _notify(users=[other_practitioner])

    assert client_for(practitioner).post(f"/notifications/{notification.pk}/read/").status_code == 404


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_opening_a_notification_never_leaves_the_service(client_for, case_worker, url):
    # Written directly, as notify() itself refuses such a link.
    notification = Notification.objects.create(
        recipient=case_worker, kind=NotificationKind.DIGEST, subject="s", body="b", url=url
    )

    response = client_for(case_worker).post(f"/notifications/{notification.pk}/read/")

    assertRedirects(response, "/notifications/", fetch_redirect_response=False)


def test_opening_needs_a_post(client_for, case_worker):
    notification = _notify(users=[case_worker])

    assert client_for(case_worker).get(f"/notifications/{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


# --- Mark all as read ---------------------------------------------------------------------------
def test_mark_all_read_reads_own_and_agency_notifications_only(
    client_for, practitioner, partner_manager, agency, other_agency
):
    own = _notify(users=[practitioner])
    shared = _notify(organisations=[agency])
    theirs = _notify(users=[partner_manager])
    elsewhere = _notify(organisations=[other_agency])

    response = client_for(practitioner).post("/notifications/read-all/", follow=True)

    assertRedirects(response, "/notifications/")
    assertContains(response, "2 notifications marked as read.")
    read = set(Notification.objects.exclude(read_at=None).values_list("pk", flat=True))
    assert read == {own.pk, shared.pk}
    assert theirs.pk not in read and elsewhere.pk not in read


def test_mark_all_read_needs_a_post(client_for, case_worker):
    _notify(users=[case_worker])

    assert client_for(case_worker).get("/notifications/read-all/").status_code == 405
    assert Notification.objects.filter(read_at=None).count() == 1


# --- The inbox's pages at volume ------------------------------------------------------------------
def test_an_empty_shared_inbox_shows_its_empty_page(client_for, supervisor):
    response = client_for(supervisor).get("/notifications/")

    assert response.status_code == 200
    assert list(response.context["notifications"]) == []


def test_pages_merge_the_users_own_and_the_shared_inbox_newest_first(client_for, practitioner, agency):
    from datetime import timedelta

    from django.utils import timezone

    made = []
    for n in range(30):
        made.append(_notify(**({"users": [practitioner]} if n % 3 else {"organisations": [agency]})))
    base = timezone.now()
    for n, notification in enumerate(made):  # interleaved, with ties broken by id
        Notification.objects.filter(pk=notification.pk).update(created_at=base - timedelta(minutes=n // 2))
    expected = list(
        Notification.objects.filter(pk__in=[n.pk for n in made])
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    client = client_for(practitioner)

    first = client.get("/notifications/")
    second = client.get("/notifications/?page=2")

    assert [n.pk for n in first.context["notifications"]] == expected[:25]
    assert [n.pk for n in second.context["notifications"]] == expected[25:]
    assert first.context["page_obj"].paginator.count == 30


def test_inbox_queries_do_not_grow_with_the_shared_inbox(client_for, partner_manager, agency):
    client = client_for(partner_manager)
    _notify(users=[partner_manager])
    _notify(organisations=[agency])
    client.get("/notifications/")
    with_two = _inbox_queries(client)

    for _ in range(40):
        _notify(organisations=[agency])
        _notify(users=[partner_manager])

    assert _inbox_queries(client) == (with_two[0], 25)
    assert with_two == (with_two[0], 2)

"""Deny by default: sign-in for every page, a role for every view, another organisation's record is a 404."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from factories import UserFactory
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects, assertTemplateUsed

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent

# Views that anonymous people may reach, by URL name. Adding one is a deliberate decision.
# Probes and the metrics scraper need no sign-in; /metrics checks the address or a token itself.
PUBLIC_VIEWS = {"login", "healthz", "livez", "readyz", "metrics", "admin_login_redirect"}
PUBLIC_PATHS = {"/login/", "/healthz", "/livez", "/readyz", "/metrics", "/admin/login/"}
# Views that need a signed-in user but no particular role: anyone must be able to sign out.
SIGNED_IN_VIEWS = {"logout"}
# The password reset pages are public: whoever uses them is not signed in.
PUBLIC_VIEWS |= {"password_reset", "password_reset_sent", "password_reset_confirm"}
PUBLIC_PATHS |= {
    "/account/password-reset/",
    "/account/password-reset/sent/",
    "/account/password-reset/<uidb64>/<token>/",
}
# Single sign-on's start and callback are public: whoever uses them is not signed in yet.
PUBLIC_VIEWS |= {"oidc_authentication_init", "oidc_authentication_callback"}
PUBLIC_PATHS |= {"/sso/start/", "/sso/callback/"}
# The accessibility statement and the privacy notice: for anyone, before they sign in too.
PUBLIC_VIEWS |= {"accessibility", "privacy"}
PUBLIC_PATHS |= {"/accessibility/", "/privacy/"}
# Finishing signing in (the second factor) and changing one's own password need no role either.
SIGNED_IN_VIEWS |= {
    "two_factor",
    "recovery_code",
    "two_factor_setup",
    "recovery_codes",
    "password_change",
    "admin_password_change_redirect",
}


def _walk(patterns, prefix=""):
    """(route, URLPattern or None) for every route; the admin is entered only at its index."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                yield route, None
                continue
            yield from _walk(entry.url_patterns, route)
        else:
            assert isinstance(entry, URLPattern)
            yield route, entry


ROUTES = sorted(route for route, _ in _walk(get_resolver().url_patterns))
PROTECTED_ROUTES = [route for route in ROUTES if "/" + route not in PUBLIC_PATHS]


def _concrete(route, pk):
    path = "/" + re.sub(r"<int:\w+>", str(pk), route)
    path = re.sub(r"<slug:\w+>", "status", path)
    assert not re.search(r"[<>^$()]", path), f"Teach this test how to build a path for {route!r}"
    return path


def _viewed_events():
    return AuditEvent.objects.filter(action=AuditAction.VIEWED)


# --- Sign-in -----------------------------------------------------------------------------------------
def test_the_urlconf_walk_finds_the_pages_it_should():
    assert {"", "organisations/", "organisations/<int:pk>/", "audit/", "admin/", "logout/"} <= set(
        PROTECTED_ROUTES
    )


@pytest.mark.parametrize("route", PROTECTED_ROUTES)
def test_anonymous_user_is_redirected_to_login(client, force, route):
    path = _concrete(route, force.pk)

    response = client.get(path, follow=True)

    assert response.redirect_chain, f"{path} answered {response.status_code} without a redirect"
    target = urlsplit(response.redirect_chain[-1][0])
    assert target.path == reverse("login")
    assert parse_qs(target.query)["next"] == [path]
    assertTemplateUsed(response, "registration/login.html")
    assert not _viewed_events().exists()


def test_anonymous_user_may_open_login_page(client, db):
    assert client.get("/login/").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_anonymous_user_may_check_health(client, db, path):
    assert client.get(path).status_code in (200, 503)  # the bodies are tested in tests/core


def test_admin_login_sends_anonymous_user_to_the_one_login_page(client, db):
    response = client.get("/admin/login/?next=/admin/")

    assertRedirects(response, "/login/?next=/admin/", fetch_redirect_response=False)


def test_every_view_requires_a_role_unless_it_opts_out_by_name():
    """A new view that forgets RoleRequiredMixin / role_required fails here, before it ships."""
    public, role_less = set(), []
    for route, pattern in _walk(get_resolver().url_patterns):
        if pattern is None:  # the Django admin, guarded by is_staff (administrators only)
            continue
        view = pattern.callback
        if getattr(view, "login_required", True) is False:
            public.add(pattern.name)
            continue
        view_class = getattr(view, "view_class", None)
        if view_class is not None and issubclass(view_class, RoleRequiredMixin):
            roles = view_class.required_roles
        else:
            roles = getattr(view, "required_roles", None)
        if not roles and pattern.name not in SIGNED_IN_VIEWS:
            role_less.append(route)

    assert public == PUBLIC_VIEWS
    assert role_less == []


def test_admin_index_is_for_administrators_only(client_for, case_worker, administrator):
    assert client_for(case_worker).get("/admin/").status_code == 302  # to the login page
    assert client_for(administrator).get("/admin/").status_code == 200


# --- Home page -----------------------------------------------------------------------------------------
HOME_SECTIONS = {
    "case_worker": ("home-case-worker", "Case work"),
    "decision_maker": ("home-decision-maker", "Decisions"),
    "supervisor": ("home-supervisor", "Your team"),
    "partner_manager": ("home-partner-manager", "Your agency"),
    "practitioner": ("home-practitioner", "Your referrals"),
    "analyst": ("home-analyst", "Scheme performance"),
    "administrator": ("home-administrator", "Administration"),
}


@pytest.mark.parametrize("who", HOME_SECTIONS)
def test_home_page_shows_the_section_for_each_role_and_no_other(request, client_for, who):
    user = request.getfixturevalue(who)

    response = client_for(user).get("/")

    assert response.status_code == 200
    section_id, heading = HOME_SECTIONS[who]
    assertContains(response, f'<h2 class="govuk-heading-m" id="{section_id}">{heading}</h2>', html=True)
    for other_id, _ in HOME_SECTIONS.values():
        if other_id != section_id:
            assertNotContains(response, f'id="{other_id}"')


def test_user_with_two_roles_sees_both_sections(client_for, force):
    user = UserFactory(organisation=force, roles=[Role.CASE_WORKER, Role.SUPERVISOR])

    response = client_for(user).get("/")

    assertContains(response, 'id="home-case-worker"')
    assertContains(response, 'id="home-supervisor"')
    assertNotContains(response, 'id="home-decision-maker"')


def test_supervisor_home_counts_active_team_members_only(client_for, supervisor, case_worker, decision_maker):
    UserFactory(organisation=supervisor.organisation, is_active=False, roles=[Role.CASE_WORKER])

    response = client_for(supervisor).get("/")

    (section,) = response.context["sections"]
    assert section["team_size"] == 3
    assert section["team_roles"] == [("Case worker", 1), ("Decision-maker", 1), ("Supervisor", 1)]
    assertContains(response, "3 active people")


def test_user_without_a_role_cannot_open_home_page(client_for, force):
    user = UserFactory(organisation=force)

    response = client_for(user).get("/")

    assert response.status_code == 403
    assertTemplateUsed(response, "403.html")


# --- Organisation page -----------------------------------------------------------------------------
def test_supervisor_sees_own_force_members_and_areas(
    client_for, supervisor, case_worker, decision_maker, area, outsider_supervisor
):
    gone = UserFactory(organisation=supervisor.organisation, is_active=False, roles=[Role.CASE_WORKER])

    response = client_for(supervisor).get(f"/organisations/{supervisor.organisation_id}/")

    assert response.status_code == 200
    assert list(response.context["members"]) == [decision_maker, supervisor, case_worker]
    for member in (case_worker, decision_maker, supervisor):
        assertContains(response, member.full_name)
        assertContains(response, member.email)
    assertContains(response, area.name)
    assertContains(response, "Case worker")
    assertNotContains(response, gone.email)
    assertNotContains(response, outsider_supervisor.email)
    assert _viewed_events().filter(actor=supervisor, object_id=str(supervisor.organisation_id)).count() == 1


def test_outsider_supervisor_cannot_see_other_forces_organisation_page(
    client_for, force, outsider_supervisor
):
    response = client_for(outsider_supervisor).get(f"/organisations/{force.pk}/")

    assert response.status_code == 404
    assertTemplateUsed(response, "404.html")
    assert not _viewed_events().exists()


def test_case_worker_cannot_open_organisation_page(client_for, case_worker):
    response = client_for(case_worker).get(f"/organisations/{case_worker.organisation_id}/")

    assert response.status_code == 403
    assert not _viewed_events().exists()


def test_partner_manager_sees_own_agency(client_for, partner_manager, practitioner):
    response = client_for(partner_manager).get(f"/organisations/{partner_manager.organisation_id}/")

    assert response.status_code == 200
    assertContains(response, practitioner.full_name)
    assertContains(response, "Partner practitioner")
    assert _viewed_events().filter(actor=partner_manager).count() == 1


def test_partner_manager_cannot_see_force_organisation_page(client_for, partner_manager, force, case_worker):
    response = client_for(partner_manager).get(f"/organisations/{force.pk}/")

    assert response.status_code == 404
    assertNotContains(response, case_worker.email, status_code=404)
    assert not _viewed_events().exists()


def test_unknown_organisation_is_not_found(client_for, supervisor, agency):
    assert client_for(supervisor).get(f"/organisations/{agency.pk + 1000}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "organisation"),
    [("supervisor", "force"), ("partner_manager", "agency"), ("administrator", "force")],
)
def test_my_organisation_redirects_to_own_organisation(request, client_for, who, organisation):
    user = request.getfixturevalue(who)
    expected = request.getfixturevalue(organisation)

    response = client_for(user).get("/organisations/")

    assertRedirects(response, f"/organisations/{expected.pk}/", fetch_redirect_response=False)


def test_case_worker_cannot_open_my_organisation(client_for, case_worker):
    assert client_for(case_worker).get("/organisations/").status_code == 403


def test_administrator_without_organisation_gets_not_found_for_my_organisation(client_for, db):
    user = UserFactory(organisation=None, roles=[Role.ADMINISTRATOR])

    response = client_for(user).get("/organisations/")

    assert response.status_code == 404


def _organisation_page_queries(client, organisation):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/organisations/{organisation.pk}/")
    assert response.status_code == 200
    return len(queries)


def test_organisation_page_queries_do_not_grow_with_members(
    client_for, supervisor, area, django_assert_max_num_queries
):
    client = client_for(supervisor)
    roles = [Role.CASE_WORKER, Role.DECISION_MAKER]
    UserFactory.create_batch(4, organisation=supervisor.organisation, area=area, roles=roles)
    client.get(f"/organisations/{supervisor.organisation_id}/")  # warm the content-type cache
    with_five = _organisation_page_queries(client, supervisor.organisation)

    UserFactory.create_batch(45, organisation=supervisor.organisation, area=area, roles=roles)
    # 12, plus the inbox's unread count in the navigation and the session's second-factor device
    with django_assert_max_num_queries(14):
        with_fifty = _organisation_page_queries(client, supervisor.organisation)

    assert with_fifty == with_five
    assert supervisor.organisation.members.count() == 50


# --- Navigation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", HOME_SECTIONS)
def test_audit_log_is_in_navigation_for_administrators_only(request, client_for, who):
    user = request.getfixturevalue(who)

    response = client_for(user).get("/")

    labels = [item["label"] for item in response.context["navigation"]]
    assert ("Audit log" in labels) is (who == "administrator")
    link = '<a class="moj-primary-navigation__link" href="/audit/">Audit log</a>'
    assertContains(response, link, count=1 if who == "administrator" else 0, html=True)

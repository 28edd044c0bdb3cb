"""The dashboard aggregates in the database: the number of queries is fixed whatever the number of
cases (issue 7, What it must show). The exports and the scrutiny sample page are pinned the same way."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from factories import ABH

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, Pathway, PathwayNeed
from cases.models import Offence
from referrals.models import Referral, ReferralStatus, Service
from reporting.models import ReoffendingImport, SubsequentOffence
from reporting.services import scrutiny_sample_create

# The dashboard page for an analyst, its summaries current: session, user, second factor, roles (4);
# the changed cases to summarise first, none (savepoint, select, release: 3); the ethnic groups for
# the filter (1); the figures from the summaries: everything per case in one pass, the cost of crime,
# partners, referral to contact, the months of caution (5); three fairness tables (3); the force with
# the summaries' freshness (1); the unread notifications badge (1); the filter's schemes and areas (2)
# (the session is not saved: its expiry is written at most once a minute). Summarising changed
# cases first costs SUMMARY_QUERIES more.
DASHBOARD_QUERIES = 20
# Remove the summaries of deleted cases, of recorded offences and of referrals (3), insert them again
# (3), unmark the cases (1), move the summaries' version on (1).
SUMMARY_QUERIES = 8
# The figures and fairness tables, kept until the summaries change (DASHBOARD_CACHE_SECONDS).
FIGURE_QUERIES = 8


@pytest.fixture(autouse=True)
def _figures_computed_every_time(settings):
    """These tests count the queries that compute the figures, so none are kept between requests."""
    settings.DASHBOARD_CACHE_SECONDS = 0


OUTCOMES = ["completed", "completed", "completed", "breached", "active", None, "ineligible"]


@pytest.fixture
def populate(build, supervisor, agency, case_worker):
    """``populate(n)``: n more cases at every stage, with assessments, referrals and recorded
    offences, so every part of the dashboard has rows to aggregate."""
    today = timezone.localdate()
    counter = itertools.count()
    service = Service.objects.create(organisation=agency, name="Alcohol brief intervention")
    batch = ReoffendingImport.objects.create(
        force=supervisor.organisation,
        filename="records.csv",
        sha256="0" * 64,
        rows_total=0,
        rows_added=0,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
    )
    abh = Offence.objects.get(name=ABH)

    def add(n):
        for _ in range(n):
            i = next(counter)
            outcome = OUTCOMES[i % len(OUTCOMES)]
            cautioned_on = today - timedelta(days=[30, 400, 600][i % 3])
            case = build(outcome=outcome, cautioned_on=cautioned_on, ethnicity=["W1", "A4", "B2"][i % 3])
            if outcome in {"completed", "breached"}:
                for kind in [AssessmentKind.INITIAL, AssessmentKind.FINAL]:
                    assessment = Assessment.objects.create(
                        case=case,
                        kind=kind,
                        status=AssessmentStatus.COMPLETED,
                        created_by=case_worker,
                        completed_by=case_worker,
                        completed_at=timezone.now(),
                    )
                    PathwayNeed.objects.bulk_create(
                        PathwayNeed(assessment=assessment, pathway=p, level=(i + k) % 4)
                        for k, p in enumerate(Pathway.values)
                    )
                Referral.objects.create(
                    case=case,
                    service=service,
                    organisation=agency,
                    reason="Alcohol",
                    due_date=today,
                    sent_by=case_worker,
                    status=ReferralStatus.COMPLETED,
                    accepted_at=timezone.now(),
                    first_contact_at=timezone.now(),
                )
                SubsequentOffence.objects.create(
                    person=case.person,
                    offence=abh,
                    offence_date=cautioned_on + timedelta(days=20),
                    outcome_type="conviction",
                    outcome_date=cautioned_on + timedelta(days=25),
                    source=batch,
                )

    return add


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_dashboard_runs_a_fixed_number_of_queries_whatever_the_number_of_cases(client_for, analyst, populate):
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    populate(5)
    client.get(dashboard)  # warm any per-process caches
    few = _count(client, dashboard)
    populate(55)
    client.get(dashboard)  # the 55 new cases summarised (counted below)
    many = _count(client, dashboard)
    assert few == many == DASHBOARD_QUERIES


def test_summarising_the_changed_cases_first_costs_a_fixed_number_of_queries(client_for, analyst, populate):
    """The dashboard summarises the cases changed since its summaries were made before it reads them:
    a fixed number of queries, whether 5 or 55 changed (reporting/summaries.py)."""
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    client.get(dashboard)
    populate(5)
    few = _count(client, dashboard)
    populate(55)
    many = _count(client, dashboard)
    assert few == many == DASHBOARD_QUERIES + SUMMARY_QUERIES


def test_figures_are_kept_until_the_summaries_change(client_for, analyst, populate, settings, raw_figures):
    """Kept figures are shown until a case changes; then the figures are computed again (here at once:
    DASHBOARD_REFRESH_SECONDS is 0)."""
    settings.DASHBOARD_CACHE_SECONDS, settings.DASHBOARD_REFRESH_SECONDS = 600, 0
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    populate(7)
    client.get(dashboard)
    assert raw_figures[-1]["total"] == 7
    assert _count(client, dashboard) == DASHBOARD_QUERIES - FIGURE_QUERIES
    populate(7)
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard)
    assert raw_figures[-1]["total"] == 14
    assert len(queries) == DASHBOARD_QUERIES + SUMMARY_QUERIES
    client.get(dashboard, {"sex": "female"})
    assert raw_figures[-1]["total"] == 0  # its own figures


def test_a_busy_forces_figures_are_computed_again_at_most_once_a_refresh_interval(
    client_for, analyst, populate, settings, time_machine, raw_figures
):
    """Cases that change every second would otherwise have each request compute every figure again:
    within DASHBOARD_REFRESH_SECONDS the figures already made are shown, and the page says when they
    were made and that later changes are coming."""
    settings.DASHBOARD_CACHE_SECONDS, settings.DASHBOARD_REFRESH_SECONDS = 600, 60
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    populate(7)
    first = client.get(dashboard)
    assert raw_figures[-1]["total"] == 7
    made = first.context["figures_as_at"]
    assert made is not None

    time_machine.shift(timedelta(seconds=30))
    populate(7)
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(dashboard)
    assert raw_figures[-1]["total"] == 7  # the changes are summarised, the figures not made again
    assert len(queries) == DASHBOARD_QUERIES + SUMMARY_QUERIES - FIGURE_QUERIES
    assert kept.context["figures_as_at"] == made
    assert "changes since then are added within a minute" in kept.content.decode()

    time_machine.shift(timedelta(seconds=31))
    fresh = client.get(dashboard)
    assert raw_figures[-1]["total"] == 14
    assert fresh.context["figures_as_at"] > made
    assert "with every change included" in fresh.content.decode()


def test_while_one_request_makes_the_figures_again_the_others_show_those_kept(
    client_for, analyst, populate, settings, time_machine, raw_figures
):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS, settings.DASHBOARD_REFRESH_SECONDS = 600, 60
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    populate(7)
    client.get(dashboard)
    [making] = [k for k in cache._cache if k.endswith(":making")] or [None]
    assert making is None  # released once made
    time_machine.shift(timedelta(seconds=61))
    populate(7)

    real_add = cache.add
    cache.add = lambda key, *args, **kwargs: (
        False if key.endswith(":making") else real_add(key, *args, **kwargs)
    )
    try:
        client.get(dashboard)
        assert raw_figures[-1]["total"] == 7  # another request is making them
    finally:
        cache.add = real_add
    client.get(dashboard)
    assert raw_figures[-1]["total"] == 14


def test_the_summaries_job_makes_the_unfiltered_figures_so_no_request_waits_for_them(
    client_for, analyst, populate, settings, time_machine, raw_figures
):
    """The job every minute summarises the changed cases and makes the unfiltered dashboard's figures
    at once; a request then shows them without computing any figure, for DASHBOARD_REFRESH_SECONDS
    and DASHBOARD_JOB_GRACE_SECONDS after the job made them, and makes them itself only after that
    (the job has stopped). A filtered dashboard is not made by the job."""
    from reporting.tasks import refresh_summaries

    settings.DASHBOARD_CACHE_SECONDS, settings.DASHBOARD_REFRESH_SECONDS = 600, 60
    settings.DASHBOARD_JOB_GRACE_SECONDS = 60
    client = client_for(analyst)
    dashboard = reverse("reporting:dashboard")
    populate(7)
    assert refresh_summaries() == {"summarised": 7, "dashboards_made": 1}
    assert refresh_summaries() == {"summarised": 0, "dashboards_made": 0}  # nothing changed
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard)
    assert raw_figures[-1]["total"] == 7
    assert len(queries) == DASHBOARD_QUERIES - FIGURE_QUERIES

    # A change, summarised by a request before the job runs: the job's figures are still shown.
    time_machine.shift(timedelta(seconds=100))
    client.get(dashboard)  # the session's expiry is written once a minute: not counted below
    populate(7)
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard)
    assert raw_figures[-1]["total"] == 7
    assert len(queries) == DASHBOARD_QUERIES + SUMMARY_QUERIES - FIGURE_QUERIES
    # The job makes them again, as the summaries changed, however recently it last made them.
    assert refresh_summaries() == {"summarised": 0, "dashboards_made": 1}
    client.get(dashboard)
    assert raw_figures[-1]["total"] == 14
    assert _count(client, dashboard, {"sex": "female"}) == DASHBOARD_QUERIES  # filtered: made here

    # The job stops: after the grace, a request makes the figures itself.
    populate(7)
    time_machine.shift(timedelta(seconds=121))
    # (The session's expiry is written, and the changes summarised, by another page first.)
    client.get(reverse("reporting:dashboard"), {"sex": "male"})
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard)
    assert raw_figures[-1]["total"] == 21
    assert len(queries) == DASHBOARD_QUERIES


def test_the_summaries_job_makes_no_figures_when_they_are_not_kept(analyst, populate, settings):
    from reporting.tasks import refresh_summaries

    settings.DASHBOARD_CACHE_SECONDS = 0
    populate(3)
    assert refresh_summaries() == {"summarised": 3, "dashboards_made": 0}


def test_filtered_dashboard_runs_the_same_number_of_queries(client_for, supervisor, populate):
    client = client_for(supervisor)
    dashboard = reverse("reporting:dashboard")
    params = {"offence_group": "violence", "sex": "male", "age_band": "35-44", "ethnicity": "White"}
    populate(5)
    client.get(dashboard, params)
    few = _count(client, dashboard, params)
    populate(55)
    client.get(dashboard, params)  # the new cases summarised
    assert _count(client, dashboard, params) == few


def test_exports_run_a_fixed_number_of_queries(client_for, analyst, populate):
    """(The case extract's are pinned in test_case_extract.py.)"""
    from reporting.views import DashboardExportView

    client = client_for(analyst)
    urls = [reverse("reporting:export", args=[t]) for t in DashboardExportView.TABLES]
    populate(5)
    for url in urls:
        client.get(url)
    few = {url: _count(client, url) for url in urls}
    populate(55)
    client.get(urls[0])  # the new cases summarised
    many = {url: _count(client, url) for url in urls}
    assert many == few


def test_scrutiny_sample_page_runs_a_fixed_number_of_queries(client_for, analyst, force, populate):
    client = client_for(analyst)
    populate(67)  # a sample is drawn only from at least the minimum cohort, whatever its size
    small = scrutiny_sample_create(
        actor=analyst, force_id=force.pk, title="Small", outcomes=["completed", "breached"], size=4, seed=1
    )
    large = scrutiny_sample_create(
        actor=analyst, force_id=force.pk, title="Large", outcomes=["completed", "breached"], size=40, seed=1
    )
    client.get(reverse("reporting:sample", args=[small.pk]))
    assert small.items.count() == 4
    assert large.items.count() == 40
    assert _count(client, reverse("reporting:sample", args=[small.pk])) == _count(
        client, reverse("reporting:sample", args=[large.pk])
    )


def test_the_dashboard_answers_when_its_shared_cache_cannot_be_reached(
    client_for, analyst, populate, settings, caplog, raw_figures
):
    settings.DASHBOARD_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    populate(3)

    response = client_for(analyst).get(reverse("reporting:dashboard"))

    assert response.status_code == 200
    assert raw_figures[-1]["total"] == 3
    assert "The cache could not be used" in caplog.text

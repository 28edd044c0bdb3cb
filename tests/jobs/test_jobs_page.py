"""/jobs/: the administrators' page of each scheduled job's latest runs, what they did and any failure."""

from datetime import date

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from offenderhub.core.jobs import DAILY_JOBS, job_run
from offenderhub.core.models import JobRun

pytestmark = pytest.mark.django_db

URL = "/jobs/"
# Session, user, roles, the worker heartbeat, the page's frame (the user's organisation and unread
# count), and one query per job (the session is not saved: its expiry is written once a minute).
JOBS_PAGE_QUERIES = 6 + len(DAILY_JOBS)


@pytest.fixture
def runs(settings):
    """Each job run once for Monday 23 November 2026, and the time-limit job failing once after that
    (a broken setting)."""
    for name in DAILY_JOBS:
        job_run(name, today=date(2026, 11, 23), trigger="command")
    lead_times = settings.TIME_LIMIT_WARNING_DAYS
    settings.TIME_LIMIT_WARNING_DAYS = None
    with pytest.raises(TypeError):
        job_run("time_limit_warnings", today=date(2026, 11, 24))
    settings.TIME_LIMIT_WARNING_DAYS = lead_times
    return JobRun.objects.all()


def test_administrator_sees_each_jobs_last_runs_and_what_they_did(client_for, administrator, runs):
    response = client_for(administrator).get(URL)

    assert response.status_code == 200
    for name in DAILY_JOBS:
        assertContains(response, f"<code>{DAILY_JOBS[name]}</code>", html=False)
    assertContains(response, "reminders: 0")
    assertContains(response, "breach_reviews_opened: 0")
    assertContains(response, "23 Nov 2026")
    assertContains(response, "command")
    assertContains(response, "No job worker has been seen.")
    shown = {name: [run.pk for run in job_runs] for name, _, job_runs in response.context["jobs"]}
    assert list(shown) == list(DAILY_JOBS)
    assert all(len(pks) == 1 for name, pks in shown.items() if name != "time_limit_warnings")
    assert len(shown["time_limit_warnings"]) == 2


def test_administrator_sees_a_failed_run_with_its_error_latest_first(client_for, administrator, runs):
    failed = JobRun.objects.get(status=JobRun.Status.FAILED)
    assert failed.job == "time_limit_warnings"
    assert failed.finished_at is not None
    assert failed.counts == {}
    assert "TypeError" in failed.error

    response = client_for(administrator).get(URL)

    assertContains(response, "govuk-tag--red", count=1)
    assertContains(response, "The failure")
    assertContains(response, "TypeError")
    [time_limits] = [
        job_runs for name, _, job_runs in response.context["jobs"] if name == "time_limit_warnings"
    ]
    assert [run.status for run in time_limits] == [JobRun.Status.FAILED, JobRun.Status.SUCCEEDED]


def test_only_the_latest_five_runs_of_a_job_are_listed(client_for, administrator):
    for day in range(1, 8):
        job_run("referral_chase", today=date(2026, 11, day))

    response = client_for(administrator).get(URL)

    [chases] = [job_runs for name, _, job_runs in response.context["jobs"] if name == "referral_chase"]
    assert [run.today.day for run in chases] == [7, 6, 5, 4, 3]


def test_an_administrator_of_another_force_sees_the_same_system_wide_page(
    client_for, outsider_administrator, runs
):
    response = client_for(outsider_administrator).get(URL)

    assert response.status_code == 200
    assertContains(response, "The failure")


@pytest.mark.parametrize(
    "who", ["case_worker", "decision_maker", "supervisor", "practitioner", "partner_manager", "analyst"]
)
def test_people_without_the_administrator_role_are_refused_the_jobs_page(client_for, request, who, runs):
    response = client_for(request.getfixturevalue(who)).get(URL)

    assert response.status_code == 403
    assertNotContains(response, "TypeError", status_code=403)


def test_anonymous_visitors_are_sent_to_sign_in(client, runs):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_jobs_page_runs_a_fixed_number_of_queries_however_many_runs(
    client_for, administrator, runs, django_assert_num_queries
):
    client = client_for(administrator)
    with django_assert_num_queries(JOBS_PAGE_QUERIES):
        client.get(URL)
    for name in DAILY_JOBS:
        for day in range(1, 20):
            job_run(name, today=date(2026, 10, day), trigger="command")

    with django_assert_num_queries(JOBS_PAGE_QUERIES):
        client.get(URL)

"""``/healthz`` for load balancers and monitoring, and the service's error pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertTemplateUsed

from offenderhub.celery import app as celery_app
from offenderhub.core.models import WorkerHeartbeat
from offenderhub.core.services import heartbeat_record


def test_healthz_reports_database_and_broker_ok_without_login(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    report = response.json()
    assert report["status"] == "ok"
    assert report["checks"]["database"]["status"] == "ok"
    assert report["checks"]["broker"]["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_contains_no_personal_data(client, case_worker, supervisor, force, area):
    heartbeat_record()

    response = client.get("/healthz")

    body = response.content.decode()
    for value in (case_worker.email, case_worker.full_name, supervisor.email, force.name, area.name):
        assert value not in body
    report = json.loads(body)
    assert set(report) == {"status", "checks"}
    assert set(report["checks"]) == {"database", "broker", "worker"}


def test_healthz_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405


@pytest.fixture
def unreachable_broker():
    """Point the Celery app at a port where nothing listens; restore its settings afterwards."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={})
    yield
    celery_app.conf.update(saved)


def test_healthz_is_unavailable_when_the_broker_is_down(client, db, unreachable_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "unavailable"
    assert report["checks"]["broker"]["status"] == "unavailable"
    assert report["checks"]["database"]["status"] == "ok"


def test_healthz_shows_when_a_worker_last_ran(client, db):
    heartbeat_record(at=timezone.now() - timedelta(minutes=1))

    worker = client.get("/healthz").json()["checks"]["worker"]

    assert worker["status"] == "ok"
    assert worker["last_seen"] == WorkerHeartbeat.objects.get(name="default").last_seen.isoformat()


def test_stale_worker_is_reported_but_does_not_fail_the_check(client, db):
    heartbeat_record(at=timezone.now() - timedelta(hours=1))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["status"] == "stale"


def test_heartbeat_record_keeps_one_row_per_worker(db):
    heartbeat_record()
    heartbeat_record()

    assert WorkerHeartbeat.objects.filter(name="default").count() == 1


# --- Error pages -------------------------------------------------------------------------------------
def test_unknown_page_is_not_found_page(client_for, case_worker):
    response = client_for(case_worker).get("/no-such-page/")

    assert response.status_code == 404
    assertTemplateUsed(response, "404.html")
    assertContains(response, "Page not found", status_code=404)
    assertContains(response, case_worker.full_name, status_code=404)  # still inside the signed-in shell


def test_wrong_role_gets_the_permission_page(client_for, case_worker):
    response = client_for(case_worker).get("/audit/")

    assert response.status_code == 403
    assertTemplateUsed(response, "403.html")
    assertContains(response, "You do not have permission", status_code=403)

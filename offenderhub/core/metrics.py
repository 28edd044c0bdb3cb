"""Prometheus metrics, served at ``/metrics`` to allowed addresses or to a bearer of ``METRICS_TOKEN``.

Two kinds:

- counted by each web process as it answers: requests by view name, method and status, and their
  latency. Labels are URL names (``cases:detail``), never paths, which carry record ids. Under
  gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``gunicorn.conf.py``) lets every worker's counts be
  added up whichever worker answers the scrape;
- read from the database and the broker when scraped (``ServiceCollector``): job runs and failures,
  when each job last succeeded, when a worker last proved it was consuming jobs, notifications waiting
  to be emailed, jobs waiting in the queue, and audit events in the last hour by action.

No metric carries a name, an email address or a record id.
"""

import hmac
import ipaddress
import logging
import os
import time
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .client_ip import FORWARDED_HEADER, client_ip

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "offenderhub_http_requests",
    "HTTP requests answered, by URL name, method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "offenderhub_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL name and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request) -> str:
    """The URL name the request resolved to; ``static`` for static files; ``unresolved`` otherwise
    (an unknown path, or a redirect to HTTPS made before any view was chosen)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unresolved"


class MetricsMiddleware:
    """Counts and times every response, early in MIDDLEWARE so static files and redirects count too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in _METHODS else "other"
        LATENCY.labels(view, method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response


# --- Read at scrape time ------------------------------------------------------------------------------
def queue_depths() -> dict[str, int]:
    """Jobs waiting in each queue the workers consume, from the broker (Redis or the embedded one)."""
    from kombu.exceptions import ChannelError

    from offenderhub.celery import app

    timeout = settings.HEALTH_CHECK_TIMEOUT
    queues = [app.conf.task_default_queue]
    depths = {}
    with app.connection_for_read(
        connect_timeout=timeout,
        transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
    ) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        channel = connection.default_channel
        for queue in queues:
            try:
                depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # never declared: nothing was ever queued on it
                depths[queue] = 0
    return depths


class ServiceCollector:
    """The service's state, read when Prometheus scrapes. A part that cannot be read (the database or
    the broker is down) is left out, and ``offenderhub_metrics_part_up`` says so."""

    def collect(self):
        up = GaugeMetricFamily(
            "offenderhub_metrics_part_up", "1 if this part of the metrics could be read.", labels=["part"]
        )
        for part, read in (
            ("jobs", self._jobs),
            ("workers", self._workers),
            ("notifications", self._notifications),
            ("queue", self._queue),
            ("audit", self._audit),
        ):
            try:
                families = list(read())
            except Exception as exc:  # noqa: BLE001 - one unreadable part must not hide the others
                logger.warning("Metrics: could not read %s (%s)", part, exc.__class__.__name__)
                up.add_metric([part], 0)
                continue
            up.add_metric([part], 1)
            yield from families
        yield up

    def _jobs(self):
        from django.db.models import Count, Max

        from .jobs import DAILY_JOBS
        from .models import JobRun

        runs = CounterMetricFamily(
            "offenderhub_job_runs",
            "Runs of each scheduled job, by outcome (running, succeeded, failed).",
            labels=["job", "status"],
        )
        for row in JobRun.objects.order_by().values("job", "status").annotate(n=Count("id")):
            runs.add_metric([row["job"], row["status"]], row["n"])
        yield runs

        succeeded = GaugeMetricFamily(
            "offenderhub_job_last_success_timestamp_seconds",
            "When each job last finished successfully (Unix time).",
            labels=["job"],
        )
        latest = (
            JobRun.objects.filter(status=JobRun.Status.SUCCEEDED)
            .order_by()
            .values("job")
            .annotate(last=Max("finished_at"))
        )
        for row in latest:
            if row["last"] is not None:
                succeeded.add_metric([row["job"]], row["last"].timestamp())
        yield succeeded

        failed = GaugeMetricFamily(
            "offenderhub_job_last_run_failed", "1 if the job's latest run failed.", labels=["job"]
        )
        last_status = {}
        for job in DAILY_JOBS:
            status = JobRun.objects.filter(job=job).values_list("status", flat=True).first()
            if status is not None:
                last_status[job] = status
        for job, status in last_status.items():
            failed.add_metric([job], 1 if status == JobRun.Status.FAILED else 0)
        yield failed

    def _workers(self):
        from .models import WorkerHeartbeat

        family = GaugeMetricFamily(
            "offenderhub_worker_last_seen_timestamp_seconds",
            "When a job worker last ran the heartbeat job (Unix time).",
            labels=["worker"],
        )
        for name, last_seen in WorkerHeartbeat.objects.values_list("name", "last_seen"):
            family.add_metric([name], last_seen.timestamp())
        yield family

    def _notifications(self):
        from offenderhub.notifications.selectors import notifications_awaiting_email_count

        yield GaugeMetricFamily(
            "offenderhub_notifications_awaiting_email",
            "Notifications waiting in the outbox to be emailed on their own (not for a digest).",
            value=notifications_awaiting_email_count(),
        )

    def _queue(self):
        family = GaugeMetricFamily(
            "offenderhub_queue_depth", "Jobs waiting in the broker's queue.", labels=["queue"]
        )
        for queue, depth in queue_depths().items():
            family.add_metric([queue], depth)
        yield family

    def _audit(self):
        from django.db.models import Count
        from django.utils import timezone

        from offenderhub.audit.models import AuditEvent

        family = GaugeMetricFamily(
            "offenderhub_audit_events_last_hour",
            "Audit log rows written in the last hour, by action (viewed, exported, disclosed...).",
            labels=["action"],
        )
        since = timezone.now() - timedelta(hours=1)
        rows = (
            AuditEvent.objects.filter(occurred_at__gte=since)
            .order_by()
            .values("action")
            .annotate(n=Count("id"))
        )
        for row in rows:
            family.add_metric([row["action"]], row["n"])
        yield family


class _ThisProcess:
    """This process's own metrics (the request counts, Python's and the process's), in one process."""

    def collect(self):
        return REGISTRY.collect()


def metrics_exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, with the content type to serve them with."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ServiceCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


# --- Who may read them -----------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]):
    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from exc


def _client_address(request):
    """The address the request came from, as the lock-out and the audit log see it
    (``client_ip``). One more refusal here: an ``X-Forwarded-For`` header with ``PROXY_COUNT`` 0
    means a proxy we were not told about, whose own address says nothing about who is asking."""
    if not settings.PROXY_COUNT and FORWARDED_HEADER in request.META:
        return None
    address = client_ip(request)
    return ipaddress.ip_address(address) if address else None


def _has_token(request) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def metrics_access_allowed(request) -> bool:
    """From an address in METRICS_ALLOWED_IPS, or with ``Authorization: Bearer <METRICS_TOKEN>``."""
    if _has_token(request):
        return True
    address = _client_address(request)
    if address is None:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from offenderhub.accounts.access import RoleRequiredMixin
from offenderhub.accounts.models import Role

from .health import health_report, readiness_report
from .metrics import metrics_access_allowed, metrics_exposition

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@login_not_required
@never_cache
@require_GET
def livez(request):
    """The process is up and answering. It checks nothing else, so an outage of the database or the
    broker never makes an orchestrator restart healthy web processes."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database and the broker answer (200), or not (503, take it out of rotation)."""
    ready, report = readiness_report()
    return JsonResponse(report, status=200 if ready else 503)


@login_not_required
@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics, for allowed addresses or the bearer of METRICS_TOKEN. Anyone else gets the
    same 404 as for any unknown page: the endpoint is not advertised to the public."""
    if not metrics_access_allowed(request):
        logger.info("Refused a metrics request: not from an allowed address and no valid token")
        raise Http404
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)


@login_not_required
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@login_not_required
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@login_not_required
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request):
    # Rendered without the request's context processors: the database may be the thing that failed.
    # The request ID lets the administrator find the failure in the logs.
    html = loader.get_template("500.html").render(
        {"service_name": settings.SERVICE_NAME, "request_id": getattr(request, "request_id", "")}
    )
    return HttpResponseServerError(html)


@login_not_required
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


class JobRunsView(RoleRequiredMixin, TemplateView):
    """For administrators: each scheduled job's latest runs, what they did and any failure."""

    required_roles = frozenset({Role.ADMINISTRATOR})
    template_name = "core/jobs.html"

    def get_context_data(self, **kwargs):
        from .jobs import DAILY_JOBS, job_runs_latest
        from .models import WorkerHeartbeat

        runs = job_runs_latest()
        return {
            **super().get_context_data(**kwargs),
            "jobs": [(name, DAILY_JOBS[name], runs[name]) for name in DAILY_JOBS],
            "heartbeat": WorkerHeartbeat.objects.order_by("-last_seen").first(),
        }

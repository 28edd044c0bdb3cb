import logging
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.decorators import method_decorator
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


# --- The public pages: no sign-in needed, linked from every page's footer -------------------------------
class _PublicPageView(TemplateView):
    """A page anyone may read, signed in or not, with the service's particulars from the settings."""

    @method_decorator(login_not_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "data_controller": settings.DATA_CONTROLLER,
            "service_owner": settings.SERVICE_OWNER,
            "service_owner_address": settings.SERVICE_OWNER_ADDRESS,
            "dpo_email": settings.DATA_PROTECTION_OFFICER_EMAIL,
            "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
            "contact_phone": settings.ACCESSIBILITY_CONTACT_PHONE,
            "site_url": settings.SITE_URL,
        }


class AccessibilityStatementView(_PublicPageView):
    """The accessibility statement, after GOV.UK's model statement for public sector services."""

    template_name = "core/accessibility.html"
    # Facts about the statement itself: change them when the service is tested or the statement reviewed.
    prepared_on = date(2026, 11, 28)
    reviewed_on = date(2026, 11, 28)
    tested_on = date(2026, 11, 28)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "prepared_on": self.prepared_on,
            "reviewed_on": self.reviewed_on,
            "tested_on": self.tested_on,
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
        }


class PrivacyNoticeView(_PublicPageView):
    """How the service uses personal data: law enforcement processing (Data Protection Act 2018, Part 3)."""

    template_name = "core/privacy.html"

    def get_context_data(self, **kwargs):
        periods = sorted(settings.RETENTION_REVIEW_YEARS.items())
        return {
            **super().get_context_data(**kwargs),
            "retention_periods": [(status.replace("_", " "), years) for status, years in periods],
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
        }

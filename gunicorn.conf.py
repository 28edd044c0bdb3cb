"""gunicorn's settings for the web app, for the image, docker-compose and a plain server alike:

    gunicorn -c gunicorn.conf.py offenderhub.wsgi:application

Every value can be changed from the environment (README.md, "Configuration"). Logs go to standard
output in the app's format (LOG_FORMAT): one JSON object per line in production. The access log
records method, path, status, duration and request id; never the query string, which can carry
search terms such as names, nor the client's address or browser.
"""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn import glogging


def _int(name, default):
    return int(os.environ.get(name) or default)


def _debug() -> bool:
    return os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


# --- Serving ------------------------------------------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
# Sync workers, one request each: 3 suits a small container (2 CPUs); more CPUs, about 2 per CPU.
workers = _int("GUNICORN_WORKERS", os.environ.get("WEB_CONCURRENCY") or 3)
threads = _int("GUNICORN_THREADS", 1)
# A request taking longer than this is killed (the worker is restarted): reports and exports included.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Each worker is replaced after this many requests (with jitter, so not all at once): a slow leak
# never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The proxy in front sets X-Forwarded-Proto; Django trusts it through SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
proc_name = "offenderhub"
# gunicorn's control socket (for `gunicornc`) is one path per user, shared by every gunicorn that user
# runs; we do not use it, and two instances on one host would fight over it.
control_socket_disable = True
# Workers' heartbeat files in memory, not on a container's overlay filesystem (which can stall them).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# --- Logs ---------------------------------------------------------------------------------------------
accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
_LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("text" if _debug() else "json")

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "offenderhub.core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if _LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


class AccessLogger(glogging.Logger):
    """One access-log line per response, as fields rather than Apache's combined format."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next((value for name, value in resp.headers if name.lower() == "x-request-id"), None)
        path = environ.get("PATH_INFO", "")
        duration_ms = round(request_time.total_seconds() * 1000, 1)
        self.access_log.info(
            "%s %s %s %sms",
            req.method,
            path,
            status,
            duration_ms,
            extra={
                "method": req.method,
                "path": path,
                "status": int(status),
                "duration_ms": duration_ms,
                "bytes": getattr(resp, "sent", None),
                "request_id": request_id,
            },
        )


logger_class = AccessLogger

# --- Metrics from every worker ------------------------------------------------------------------------
# prometheus-client's multiprocess mode: each worker writes its counts under this folder and /metrics
# adds them all up, whichever worker answers. It must be set before the workers start (they read it
# when prometheus-client is first imported) and emptied when the server starts.
# (A configuration reload runs this file again: the folder made the first time is kept.)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="offenderhub-metrics-")
    os.environ["OFFENDERHUB_METRICS_DIR_IS_TEMPORARY"] = "1"


def on_starting(server):
    """Forget counts left by a previous run in a folder given through the environment."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get("OFFENDERHUB_METRICS_DIR_IS_TEMPORARY"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

"""``make bench``: every page of issue 12 measured through gunicorn with production settings, beside a
hand-written SQL query returning the same data, and the daily jobs and the sign-in timed.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/oh_f_bench make bench

The database must hold the demo and a volume of cases (``manage.py seed_volume --cases 100000
--allow-production``; ``--cases N`` here adds cases until there are N). The run:

1. migrates the database and collects the static files (production serves hashed files);
2. starts gunicorn (``gunicorn.conf.py``, 2 workers, ``DEBUG=False``, a random ``SECRET_KEY``,
   ``ALLOWED_HOSTS=127.0.0.1``) on a free loopback port, and signs in as the demo users, as a browser
   behind the TLS proxy would (``X-Forwarded-Proto: https``, the CSRF token, the secure cookies);
3. requests each page ``--requests`` times (at least 20), interleaved with its SQL (``bench/sql.py``)
   run with psycopg, and counts each page's queries once in this process (Django's test client);
4. streams the pseudonymised extract of every case through a fresh server, watching the memory of
   the worker that serves it (``/proc``: VmRSS, VmHWM), and stops a worker that runs away;
5. stops the server and runs the daily jobs twice for today on a copy of the database (so the next
   run finds the same work), in a process of their own (``bench/jobs.py``);
6. prints the table, whether each goal is met, and writes it into docs/performance.md.
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sql  # noqa: E402 (bench/sql.py, beside this file)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oh_f_bench"
RESULTS = ROOT / "docs" / "performance.md"
SAVED = ROOT / "var" / "bench" / "last-run.json"
WORK = ROOT / "var" / "bench"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
PYTHON = sys.executable


@dataclass
class Page:
    name: str
    email: str
    path: str
    query: object  # bench/sql.py function
    p95_goal: float | None = None  # ms
    ratio_goal: float | None = None
    times: list = field(default_factory=list)
    sql_times: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    queries: int | None = None
    form: dict | None = None  # a form to submit (POST) rather than a page to read


# --- Settings and the database --------------------------------------------------------------------


def production_environment(database_url: str) -> dict:
    """Production settings for the server, this process and the jobs: no debug, a fresh key, the
    static files collected under var/bench, jobs queued nowhere (nothing here sends email)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "offenderhub.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PSEUDONYM_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(WORK / "staticfiles"),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "LOG_LEVEL": "WARNING",
        "SENTRY_DSN": "",
        # The audit log's rows are sealed with a key: one that stays the same from run to run (and
        # for seed_volume run from here), so the log still verifies. Not a secret: benchmark data.
        "AUDIT_CHAIN_KEY": os.environ.get("AUDIT_CHAIN_KEY") or "offenderhub-benchmark-audit-chain",
    }
    env.pop("REDIS_URL", None)
    # As docker-compose.yml runs it: one Redis cache shared by the workers (the dashboard's figures),
    # under a prefix of this run's own, so no figures of another run or database are found.
    env["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL") or "redis://127.0.0.1:6379/1"
    env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    return env


def manage(env, *args, quiet=True):
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=quiet,
        text=True,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout or ''}{result.stderr or ''}")
    return result.stdout


def collect_static(env):
    """Production serves the hashed static files: collect them when the sources changed."""
    manifest = WORK / "staticfiles" / "staticfiles.json"
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        print("Collecting the static files (production serves hashed names)...")
        manage(env, "collectstatic", "--noinput")


def raw_connection(database_url: str, dbname: str | None = None):
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname=dbname or parts.path.lstrip("/"),
        autocommit=True,
    )


# --- The server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the project's gunicorn.conf.py (or 2 plain sync workers), on loopback."""

    def __init__(self, env, *, workers: int, timeout: int, log_name: str = "gunicorn.log"):
        self.port = free_port()
        self.log = WORK / log_name
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_TIMEOUT": str(timeout),
            "GUNICORN_MAX_REQUESTS": "0",  # no restarts in the middle of a measurement
            "LOG_LEVEL": "INFO",  # the access log gives the server's own time for each request
        }
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        if (ROOT / "gunicorn.conf.py").exists():
            self.command = [gunicorn, "-c", "gunicorn.conf.py", "offenderhub.wsgi:application"]
        else:
            self.command = [
                gunicorn,
                "--workers",
                str(workers),
                "--timeout",
                str(timeout),
                "--bind",
                self.env["GUNICORN_BIND"],
                "--access-logfile",
                "-",
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(M)sms",
                "offenderhub.wsgi:application",
            ]

    def __enter__(self):
        self.log_file = open(self.log, "w")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(  # noqa: S603
            self.command, env=self.env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped: see {self.log}")
            try:
                status, _, _, _ = request(self.port, "GET", "/healthz")
                if status in (200, 503):
                    return self
            except OSError:
                time.sleep(0.3)
        sys.exit(f"gunicorn did not answer within 60 s: see {self.log}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()

    def server_times(self, method: str, path: str) -> list[float]:
        """The server's own durations (ms) of the requests logged for ``method path``."""
        times = []
        for line in self.log.read_text(errors="replace").splitlines():
            if f'"method": "{method}"' in line and f'"path": "{path}"' in line:
                match = re.search(r'"duration_ms": ([0-9.]+)', line)
            else:
                match = re.search(rf"\b{method} {re.escape(path)} \d+ ([0-9.]+)ms", line)
            if match:
                times.append(float(match[1]))
        return times


def request(port, method, path, *, headers=None, body=None, timeout=300):
    """One request on a new connection (gunicorn's sync workers close each one). Returns the status,
    the response headers, the body and the milliseconds until the last byte arrived."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    return response.status, response.getheaders(), content, (time.perf_counter() - started) * 1000


class Browser:
    """One signed-in user: cookies kept by hand (they are Secure: the proxy speaks HTTPS)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def headers(self, extra=None):
        base = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": "offenderhub-bench",
        }
        if self.cookies:
            base["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**base, **(extra or {})}

    def _keep(self, headers):
        for name, value in headers:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value

    def get(self, path):
        status, headers, body, ms = request(self.port, "GET", path, headers=self.headers())
        self._keep(headers)
        self.last_path, self.last_headers = path, headers
        return status, body, ms

    def form_post(self, path, fields) -> tuple:
        """GET the form at ``path`` for its CSRF token (not timed), then POST ``fields`` to it:
        ``(status, body, ms)`` of the POST."""
        _, body, _ = self.get(path)
        status, headers, content, ms = request(
            self.port, "POST", path, **self.form_request(path, body, fields)
        )
        self._keep(headers)
        return status, content, ms

    def form_request(self, path, page: bytes, fields) -> dict:
        """The body and headers of a POST of ``fields`` to the form on ``page`` (its CSRF token)."""
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            sys.exit(f"{path} has no form with a CSRF token (is the user allowed there?).")
        origin = f"https://127.0.0.1:{self.port}"
        return {
            "body": urllib.parse.urlencode({"csrfmiddlewaretoken": match[1].decode(), **fields}),
            "headers": self.headers(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": f"{origin}{path}",
                }
            ),
        }

    def sign_in(self, email, password, *, second_factor=True) -> float:
        """The password over HTTP, then (unless told not to) the current code of the user's
        authenticator app. Returns the milliseconds the client waited for both."""
        status, body, _ = self.get("/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            sys.exit(f"The sign-in page answered {status} without a CSRF token.")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": match[1].decode(), "username": email, "password": password}
        )
        origin = f"https://127.0.0.1:{self.port}"
        status, headers, _, ms = request(
            self.port,
            "POST",
            "/login/",
            body=form,
            headers=self.headers(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": f"{origin}/login/",
                }
            ),
        )
        self._keep(headers)
        if status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"Signing in as {email} answered {status}: check the demo password (DEMO_PASSWORD).")
        return ms + (self._second_factor(email) if second_factor else 0.0)

    def _second_factor(self, email) -> float:
        """Where sign-in asks for a code from an authenticator app, give the demo user's current one
        (the demo's known secret). Returns the milliseconds the code took, 0 where none was asked."""
        status, body, _ = self.get("/")
        for _ in range(3):  # follow the redirects to the code page
            if status != 302:
                break
            location = urllib.parse.urlsplit(dict(self.last_headers).get("Location", "/"))
            status, body, _ = self.get(location.path + (f"?{location.query}" if location.query else ""))
        form = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not re.search(rb'name="code"', body) or not form:
            return 0.0
        status, headers, _, ms = request(
            self.port,
            "POST",
            self.last_path,
            body=urllib.parse.urlencode(
                {"csrfmiddlewaretoken": form[1].decode(), "code": current_code_for(email)}
            ),
            headers=self.headers(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"https://127.0.0.1:{self.port}",
                    "Referer": f"https://127.0.0.1:{self.port}{self.last_path}",
                }
            ),
        )
        self._keep(headers)
        if status != 302:
            sys.exit(f"The second factor for {email} answered {status}.")
        return ms


def current_code_for(email: str) -> str:
    """The current code of the user's authenticator app, enrolling the demo's one where missing."""
    from offenderhub.accounts.models import User
    from offenderhub.accounts.two_factor import authenticator_for, current_code
    from offenderhub.core.demo import demo_authenticator_enrol

    user = User.objects.get(email=email)
    demo_authenticator_enrol(user)
    return current_code(authenticator_for(user))


def verify_session(client, email):
    """Mark a test client's session as having given its second factor, where sign-in asks for one."""
    try:
        from django_otp import DEVICE_ID_SESSION_KEY

        from offenderhub.accounts.models import User
        from offenderhub.accounts.two_factor import authenticator_for
        from offenderhub.core.demo import demo_authenticator_enrol
    except ImportError:
        return
    user = User.objects.get(email=email)
    demo_authenticator_enrol(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


# --- The data -------------------------------------------------------------------------------------


def choose(cursor, today: date) -> sql.Context:
    """The ids and values every query needs, picked once: the demo users, a busy case, a late page."""
    from offenderhub.core.demo import FORCE

    def one(query, params=()):
        cursor.execute(query, params)
        row = cursor.fetchone()
        if row is None:
            sys.exit(
                f"Nothing found for: {query}\nLoad the demo and a volume first (see docs/performance.md)."
            )
        return row[0]

    def user(email):
        return one("SELECT id FROM accounts_user WHERE email = %s", [email])

    force = one("SELECT id FROM accounts_organisation WHERE name = %s", [FORCE])
    cases = one("SELECT count(*) FROM cases_case WHERE force_id = %s", [force])
    month_end = today.replace(day=1)
    month_start = (month_end - timedelta(days=1)).replace(day=1)
    return sql.Context(
        force_id=force,
        case_worker_id=user("caseworker@fenshire-police.example"),
        supervisor_id=user("supervisor@fenshire-police.example"),
        manager_id=user("manager@compass.example"),
        agency_id=one("SELECT organisation_id FROM accounts_user WHERE email = 'manager@compass.example'"),
        analyst_id=user("analyst@fenshire-opcc.example"),
        busy_case_id=one(
            "SELECT case_id FROM cases_caseevent GROUP BY case_id ORDER BY count(*) DESC, case_id LIMIT 1"
        ),
        late_offset=max(0, int(cases * 0.8) // 25 * 25),
        surname=one(
            "SELECT family_name FROM cases_person WHERE force_id = %s GROUP BY family_name "
            "ORDER BY count(*) DESC, family_name LIMIT 1",
            [force],
        ),
        today=today,
        month_start=month_start,
        month_end=month_end,
    )


def pages_for(ctx: sql.Context) -> list[Page]:
    worker, supervisor = "caseworker@fenshire-police.example", "supervisor@fenshire-police.example"
    manager, analyst = "manager@compass.example", "analyst@fenshire-opcc.example"
    return [
        Page("caseload /cases/, default", worker, "/cases/", sql.caseload, 100, 3),
        Page("caseload sorted by name", worker, "/cases/?sort=name", sql.caseload_by_name, 100, 3),
        Page(
            "caseload, a late page",
            worker,
            f"/cases/?page={ctx.late_offset // 25 + 1}",
            sql.caseload_late_page,
            100,
            3,
        ),
        Page("caseload filtered by status", worker, "/cases/?status=active", sql.caseload_by_status, 100, 3),
        Page(
            "caseload sorted by case worker",
            worker,
            "/cases/?sort=owner",
            sql.caseload_by_case_worker,
            100,
            3,
        ),
        Page(
            "caseload, either-way offences",
            worker,
            "/cases/?classification=either_way",
            sql.caseload_by_classification,
            100,
            3,
        ),
        Page(
            f"caseload searched by surname ({ctx.surname})",
            worker,
            f"/cases/?{urllib.parse.urlencode({'q': ctx.surname})}",
            sql.caseload_search,
            100,
            3,
        ),
        Page("a busy case's page", worker, f"/cases/{ctx.busy_case_id}/", sql.case_page, 100),
        Page(
            "a busy case: conditions and referrals",
            worker,
            f"/cases/{ctx.busy_case_id}/conditions/",
            sql.case_conditions_page,
            100,
        ),
        Page(
            "a busy case: timeline",
            worker,
            f"/cases/{ctx.busy_case_id}/timeline/",
            sql.case_timeline_page,
            100,
        ),
        Page("supervisor's home", supervisor, "/", sql.supervisor_home, 150),
        Page("partner workspace", manager, "/referrals/", sql.partner_workspace, 150),
        Page("partner inbox", manager, "/notifications/", sql.partner_inbox, 150),
        Page("analyst dashboard /reports/", analyst, "/reports/", sql.dashboard, 500, 2),
        Page(
            f"pseudonymised extract, cases opened in {ctx.month_start:%Y}",
            analyst,
            EXTRACT_PATH,
            sql.extract_year,
            form={**EXTRACT_FORM, "opened_in": ctx.month_start.year},
        ),
    ]


def data_size(cursor, database: str) -> dict:
    counts = {}
    for label, table in [
        ("cases", "cases_case"),
        ("people", "cases_person"),
        ("conditions", "conditions_condition"),
        ("pathway needs", "assessments_pathwayneed"),
        ("timeline events", "cases_caseevent"),
        ("audit rows", "audit_auditevent"),
        ("referrals", "referrals_referral"),
        ("appointments", "referrals_appointment"),
        ("notifications", "notifications_notification"),
        ("cautions", "conditions_caution"),
    ]:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (constant names)
        counts[label] = cursor.fetchone()[0]
    cursor.execute("SELECT pg_size_pretty(pg_database_size(%s))", [database])
    counts["database size"] = cursor.fetchone()[0]
    return counts


# --- Measuring ------------------------------------------------------------------------------------


def percentile(values, p):
    """Nearest-rank percentile (with 20 values, the 95th is the 19th slowest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


WARM_UP_ROUNDS = 4


def measure(pages, browsers, cursor, ctx, *, rounds):
    # Unmeasured rounds first, as a worker in service has had (it serves up to max_requests): each of
    # the workers has connected and prepared the pages' statements (a connection prepares a statement
    # the second time it runs it), which the first requests to a new worker pay for.
    def load(page):
        browser = browsers[page.email]
        return browser.form_post(page.path, page.form) if page.form else browser.get(page.path)

    for _ in range(WARM_UP_ROUNDS):
        for page in pages:
            load(page)
    for n in range(1, rounds + 1):
        for page in pages:
            status, body, ms = load(page)
            if status == 200:
                page.times.append(ms)
            else:
                page.failures.append(status)
            started = time.perf_counter()
            page.query(cursor, ctx)
            page.sql_times.append((time.perf_counter() - started) * 1000)
        print(f"  round {n}/{rounds} done")


def demo_users_current():
    """Every demo user of this version (a database seeded by an earlier one may lack some) and the
    analyst's permission to download the case extract, without loading the rest of the demo again."""
    import django

    django.setup()
    from offenderhub.accounts.models import User
    from offenderhub.core.demo import seed_users
    from reporting.demo import seed_extract_permission

    seed_users(lambda *_: None)
    seed_extract_permission(User.objects.get(email="analyst@fenshire-opcc.example"))


def count_queries(pages):
    """Each page's query count, from one request through Django's test client in this process, on
    the same database and settings."""
    import django

    django.setup()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, reset_queries
    from django.test import Client

    from offenderhub.accounts.models import User

    request_started.disconnect(reset_queries)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    clients = {}
    for page in pages:
        if page.email not in clients:
            clients[page.email] = Client(HTTP_HOST="127.0.0.1")
            clients[page.email].force_login(User.objects.get(email=page.email))
            verify_session(clients[page.email], page.email)
        queries = 0

        def count(execute, sql_text, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql_text, params, many, context)

        try:
            with connection.execute_wrapper(count):
                client = clients[page.email]
                if page.form:
                    response = client.post(page.path, page.form, secure=True)
                else:
                    response = client.get(page.path, secure=True)
                if response.streaming:  # its queries run as it is read
                    b"".join(response.streaming_content)
        except Exception as exc:  # the count is reported missing, the run goes on
            print(f"  {page.name}: could not count its queries ({type(exc).__name__}: {exc})")
            continue
        page.queries = queries if response.status_code == 200 else None
        if page.queries is None:
            print(f"  {page.name}: answered {response.status_code} to the test client")
    connection.close()


# --- The full extract, and the memory of the worker that streams it ---------------------------------

FULL_EXTRACT = "pseudonymised extract, everything (streamed)"
EXTRACT_SECONDS_GOAL, EXTRACT_MB_GOAL = 30, 300
# The extract is a disclosure: its form records a purpose and a recipient each time (the demo analyst
# holds the permission to download it).
EXTRACT_PATH = "/reports/extract/"
EXTRACT_FORM = {"purpose": "Benchmark of the extract (make bench)", "recipient": "The benchmark itself"}


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's workers: the processes whose parent is the master."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_mb(pid: int) -> dict:
    """The process's resident memory now (VmRSS) and at its highest (VmHWM), in MB; {} once it ended."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = dict(line.split(":", 1) for line in lines if line.startswith(("VmRSS", "VmHWM")))
    return {key: int(value.split()[0]) / 1024 for key, value in values.items()}


def cpu_ticks(pid: int) -> int:
    """User and system CPU time the process has used, in clock ticks (0 once it ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def reset_peak(pid: int) -> bool:
    """Start the process's high-water mark (VmHWM) again from its current memory (Linux 4.0 and
    later), so that the peak read afterwards is this request's. False where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _stream(port, path, headers, outcome, body=None):
    """GET ``path`` (POST ``body`` to it, if given) and read the body in chunks as it arrives, noting
    the status, the bytes and lines received, the first and last byte's times; an error (the worker
    stopped) is noted too."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request("POST" if body else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        outcome["status"] = response.status
        while chunk := response.read(256 * 1024):
            if "first_byte_s" not in outcome:
                outcome["first_byte_s"] = time.perf_counter() - started
            outcome["bytes"] = outcome.get("bytes", 0) + len(chunk)
            outcome["lines"] = outcome.get("lines", 0) + chunk.count(b"\n")
    except (OSError, http.client.HTTPException) as exc:
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
        outcome["seconds"] = time.perf_counter() - started


def measure_full_extract(server, browser, *, memory_cap_mb: int, time_cap_s: int) -> dict:
    """Stream the pseudonymised extract of every case through gunicorn, watching each worker's
    memory every 0.1 s; the worker that served it is the one that used the CPU. A worker that goes
    past ``memory_cap_mb`` or ``time_cap_s`` is stopped (the master starts another), so a page that
    loads everything into memory cannot take the machine with it."""
    import threading

    workers = worker_pids(server.process.pid)
    before = {pid: memory_mb(pid) for pid in workers}
    ticks = {pid: cpu_ticks(pid) for pid in workers}
    resets = [reset_peak(pid) for pid in workers]  # every one, not only until one fails
    peak_reset = all(resets)
    sampled = {pid: before[pid].get("VmRSS", 0) for pid in workers}
    outcome, stopped = {}, None
    _, form_page, _ = browser.get(EXTRACT_PATH)
    submit = browser.form_request(EXTRACT_PATH, form_page, EXTRACT_FORM)
    thread = threading.Thread(
        target=_stream,
        args=(server.port, EXTRACT_PATH, submit["headers"], outcome, submit["body"]),
        daemon=True,
    )
    started = time.monotonic()
    thread.start()

    def busiest():
        return max(workers, key=lambda pid: cpu_ticks(pid) - ticks[pid])

    while thread.is_alive():
        thread.join(0.1)
        now = {pid: memory_mb(pid).get("VmRSS", 0) for pid in workers}
        for pid, rss in now.items():
            sampled[pid] = max(sampled[pid], rss)
        if stopped is None:
            heaviest = max(workers, key=now.get)
            culprit = heaviest if now[heaviest] > memory_cap_mb else None
            if culprit is None and time.monotonic() - started > time_cap_s:
                culprit = busiest()
            if culprit is not None:
                elapsed = round(time.monotonic() - started, 1)
                stopped = {"pid": culprit, "mb": now[culprit], "after_s": elapsed}
                os.kill(culprit, 9)  # one of our own server's workers: the master starts another
    served_by = stopped["pid"] if stopped else busiest()
    during = memory_mb(served_by)
    time.sleep(1)  # the worker has finished the response: what it keeps afterwards
    after = memory_mb(served_by)
    peak = max(sampled[served_by], during.get("VmHWM", 0) if peak_reset else 0)
    return {
        "status": outcome.get("status"),
        "error": outcome.get("error"),
        "seconds": round(outcome["seconds"], 2),
        "first_byte_s": round(outcome["first_byte_s"], 2) if "first_byte_s" in outcome else None,
        "mb_sent": round(outcome.get("bytes", 0) / 1024 / 1024, 1),
        "rows": max(0, outcome.get("lines", 0) - 1),  # less the header (a field never holds a newline)
        "worker": served_by,
        "rss_before_mb": round(before[served_by].get("VmRSS", 0)),
        "rss_peak_mb": round(peak),
        "rss_after_mb": round(after["VmRSS"]) if after else None,
        "stopped": stopped,
        "memory_cap_mb": memory_cap_mb,
        "time_cap_s": time_cap_s,
    }


def full_extract_measured(env, args, browsers, cursor, ctx) -> dict:
    """The full extract on a server of its own (fresh workers, so the memory is this request's), as
    the analyst (signed in already, or now), then the same rows in SQL once."""
    from offenderhub.core.demo import DEMO_PASSWORD

    analyst = "analyst@fenshire-opcc.example"
    print("Streaming the full extract through a fresh server...")
    with Server(env, workers=args.workers, timeout=args.timeout, log_name="gunicorn-extract.log") as server:
        browser = browsers.get(analyst)
        if browser is None:
            browser = Browser(server.port)
            browser.sign_in(analyst, DEMO_PASSWORD)
        browser.port = server.port  # the session lives in the database: the cookie still holds
        browser.get("/")  # each worker has started; this one has served a page
        extract = measure_full_extract(
            server, browser, memory_cap_mb=args.extract_memory_cap, time_cap_s=args.extract_time_cap
        )
    started = time.perf_counter()
    sql.extract_all(cursor, ctx)
    extract["sql_seconds"] = round(time.perf_counter() - started, 2)
    outcome = (
        f"stopped after {extract['stopped']['after_s']} s"
        if extract["stopped"]
        else f"{extract['rows']:,} rows in {extract['seconds']} s"
    )
    print(
        f"  {outcome}, worker {extract['rss_before_mb']} → {extract['rss_peak_mb']} → "
        f"{extract['rss_after_mb']} MB; SQL {extract['sql_seconds']} s"
    )
    return extract


def extract_verdict(extract: dict) -> bool:
    return (
        extract["status"] == 200
        and not extract["error"]
        and not extract["stopped"]
        and extract["seconds"] < EXTRACT_SECONDS_GOAL
        and extract["rss_peak_mb"] < EXTRACT_MB_GOAL
    )


def extract_lines(extract: dict | None) -> list[str]:
    """The report's paragraph on the full extract (and the API, which is not measured)."""
    lines = []
    if extract:
        goal = f"goal: streams in under {EXTRACT_SECONDS_GOAL} s with a worker below {EXTRACT_MB_GOAL} MB"
        if extract["stopped"]:
            how = (
                f"**stopped** by the benchmark after {extract['stopped']['after_s']} s, its worker at "
                f"{extract['stopped']['mb']:,.0f} MB (caps: {extract['memory_cap_mb']:,} MB, "
                f"{extract['time_cap_s']} s), having sent {extract['mb_sent']} MB"
            )
        elif extract["status"] != 200 or extract["error"]:
            how = f"**failed** ({extract['status']}, {extract['error']}) after {extract['seconds']} s"
        else:
            how = (
                f"{extract['rows']:,} rows ({extract['mb_sent']} MB) streamed in {extract['seconds']:,.1f} s "
                f"(first byte after {extract['first_byte_s']} s)"
            )
        sql_part = ""
        if extract.get("sql_seconds") is not None:
            sql_part = f"; the same rows in SQL: {extract['sql_seconds']:,.1f} s"
        after = (
            " (it was stopped)"
            if extract["rss_after_mb"] is None
            else f" and {extract['rss_after_mb']:,} MB a second after"
        )
        lines += [
            f"Full pseudonymised extract (`{EXTRACT_PATH}`, every case, k-anonymous, on a server of its "
            "own): "
            f"{how}; the worker that served it held {extract['rss_before_mb']:,} MB before, "
            f"{extract['rss_peak_mb']:,} MB at its peak{after} "
            f"(VmRSS and VmHWM from /proc){sql_part}; {goal}: {verdict(extract_verdict(extract))}.",
            "",
        ]
    lines += ["The API is not measured: it does not exist yet.", ""]
    return lines


def run_jobs(env, database_url, today, *, in_place):
    """The daily jobs twice for ``today``, on a copy of the database unless ``in_place``."""
    parts = urllib.parse.urlsplit(database_url)
    source = parts.path.lstrip("/")
    target = source if in_place else f"{source}_jobs"
    if not in_place:
        from django.db import connections

        connections.close_all()  # a database being copied must have no one else connected
        with raw_connection(database_url, dbname="postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
            started = time.monotonic()
            try:
                admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')
            except Exception:  # PostgreSQL before 15 has no STRATEGY
                admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
            print(f"  copied the database for the jobs in {time.monotonic() - started:.0f} s")
    job_env = {**env, "DATABASE_URL": urllib.parse.urlunsplit(parts._replace(path=f"/{target}"))}
    runs = []
    try:
        for label in ("first run", "same day again"):
            result = subprocess.run(  # noqa: S603
                [PYTHON, str(ROOT / "bench" / "jobs.py"), today.isoformat()],
                env=job_env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                sys.exit(f"The daily jobs could not run:\n{result.stderr[-3000:]}")
            runs.append((label, json.loads(result.stdout.strip().splitlines()[-1])))
            print(f"  daily jobs, {label}: {runs[-1][1]['seconds']} s")
    finally:
        if not in_place:
            with raw_connection(database_url, dbname="postgres") as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
    return runs


# --- Reporting ------------------------------------------------------------------------------------


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def verdict(met: bool | None) -> str:
    return "–" if met is None else ("met" if met else "**not met**")


def page_rows(pages):
    rows = []
    for page in pages:
        if not page.times:
            rows.append(
                [
                    page.name,
                    "failed",
                    "",
                    "",
                    "",
                    "",
                    f"answered {sorted(set(page.failures))}",
                    verdict(False),
                ]
            )
            continue
        p50, p95 = statistics.median(page.times), percentile(page.times, 95)
        sql50 = statistics.median(page.sql_times)
        ratio = p50 / sql50 if sql50 else None
        goals = []
        met = None
        if page.p95_goal is not None:
            goals.append(f"p95 ≤ {page.p95_goal:g} ms")
            met = p95 <= page.p95_goal
        if page.ratio_goal is not None:
            goals.append(f"≤ {page.ratio_goal:g}× SQL")
            met = met and ratio is not None and ratio <= page.ratio_goal
        if page.failures:
            met = False
        rows.append(
            [
                page.name + (f" ({len(page.failures)} failed)" if page.failures else ""),
                f"{p50:,.0f} ms",
                f"{p95:,.0f} ms",
                "" if page.queries is None else str(page.queries),
                f"{sql50:,.1f} ms",
                f"{ratio:.1f}×" if ratio else "",
                ", ".join(goals) or "–",
                verdict(met if goals else None),
            ]
        )
    return rows


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine(cursor) -> dict:
    cursor.execute("SHOW server_version")
    version = cursor.fetchone()[0]
    memory = next(
        (
            f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = "?"
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "PostgreSQL": version,
        "load average at the start (1, 5, 15 min)": ", ".join(f"{n:.1f}" for n in os.getloadavg()),
        "commit": f"{commit} (with the working tree's changes)",
    }


def report(
    *, pages, signins, signin_server, code_server, extract, jobs, size, host, rounds, workers, today, in_place
):
    rows = page_rows(pages)
    header = ["page", "p50", "p95", "queries", "same data in SQL (p50)", "ratio", "goal", ""]
    lines = [
        START,
        f"## Latest results ({today:%-d %B %Y})",
        "",
        f"{rounds} requests per page through gunicorn ({workers} workers, `DEBUG=False`), each "
        "interleaved with its hand-written SQL (`bench/sql.py`); the ratio is the page's p50 over the "
        "SQL's. Queries: one request through Django's test client on the same database.",
        "",
        markdown_table(header, rows),
        "",
    ]
    signin_p50 = statistics.median(signin_server or signins)
    lines += [
        f"Sign-in: the POST takes {signin_p50:,.0f} ms of server time (median of {len(signins)}; "
        f"{statistics.median(signins):,.0f} ms measured by the client); goal under 300 ms: "
        f"{verdict(signin_p50 < 300)}."
        + (
            f" Then the security code's POST: {statistics.median(code_server):,.0f} ms (median)."
            if code_server
            else ""
        ),
        "",
        *extract_lines(extract),
        f"Daily jobs (`run_daily_jobs --today {today}`, "
        f"{'in place' if in_place else 'on a copy of the database'}):",
        "",
    ]
    job_rows = []
    for label, run in jobs:
        work = {
            k: v
            for counts in run["counts"].values()
            if isinstance(counts, dict)
            for k, v in counts.items()
            if v
        }
        met = run["seconds"] <= 20 if label == "first run" else None
        job_rows.append(
            [
                label,
                f"{run['seconds']:,.1f} s",
                str(run["queries"]),
                f"{run['max_rss_mb']} MB",
                ", ".join(f"{k} {_number(v)}" for k, v in work.items()) or "nothing to do",
                "≤ 20 s" if met is not None else "–",
                verdict(met) if not run.get("error") else f"failed: {run['error'][:80]}",
            ]
        )
    lines += [
        markdown_table(["run", "time", "queries", "peak memory", "what it did", "goal", ""], job_rows),
        "",
    ]
    for label, run in jobs:
        slowest = sorted(run.get("jobs", {}).items(), key=lambda item: -item[1]["seconds"])
        if slowest:
            lines += [
                f"Each job, {label}: "
                + ", ".join(f"{name} {t['seconds']:,.1f} s ({t['queries']} queries)" for name, t in slowest)
                + ".",
                "",
            ]
    for label, run in jobs[:1]:
        beside = run.get("sql") or {}
        if beside:
            lines += [
                f"The same work in hand-written set-based SQL (`bench/jobs_sql.py`, in a transaction rolled "
                f"back, on the same copy before the {label}): "
                + ", ".join(
                    f"{name} {found['seconds']:,.1f} s against the job's "
                    f"{run['jobs'][name]['seconds']:,.1f} s, {found['ratio']}× "
                    f"(goal ≤ 2×: {verdict(found['ratio'] <= 2)})"
                    for name, found in beside.items()
                    if name in run.get("jobs", {})
                )
                + ".",
                "",
            ]
    lines += [
        "Machine and data:",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in host.items()]
    lines += [
        "- data: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in size.items())
    ]
    lines += ["", END]
    section = "\n".join(lines)
    print()
    print(section.replace(START, "").replace(END, "").strip())
    RESULTS.parent.mkdir(exist_ok=True)
    text = RESULTS.read_text() if RESULTS.exists() else "# Performance\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}.")


# --- The run --------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="Requests per page (at least 20).")
    parser.add_argument(
        "--cases", type=int, help="First add cases with seed_volume until there are this many."
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the issue measured 2).")
    parser.add_argument("--timeout", type=int, default=300, help="gunicorn's worker timeout, seconds.")
    parser.add_argument("--skip-jobs", action="store_true", help="Do not run the daily jobs.")
    parser.add_argument("--jobs-in-place", action="store_true", help="Run the jobs on the database itself.")
    parser.add_argument("--no-write", action="store_true", help="Print the results only.")
    parser.add_argument("--skip-extract", action="store_true", help="Do not stream the full extract.")
    parser.add_argument(
        "--extract-memory-cap",
        type=int,
        default=2048,
        help="MB: a worker streaming the full extract past this is stopped (default 2048).",
    )
    parser.add_argument(
        "--extract-time-cap",
        type=int,
        default=180,
        help="Seconds: the full extract is stopped after this (default 180).",
    )
    parser.add_argument(
        "--pages",
        help="Measure only the pages whose name contains this text (case-insensitive; 'sign-in' for "
        "the sign-ins alone, 'everything' for the full extract); implies --no-write.",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="Make the report again from the last run (var/bench)."
    )
    args = parser.parse_args()
    if args.report_only:
        write_report(json.loads(SAVED.read_text()), no_write=args.no_write)
        return
    if args.requests < 20 and not args.no_write:
        parser.error("--requests must be at least 20 for results that are written (or use --no-write).")
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    WORK.mkdir(parents=True, exist_ok=True)
    env = production_environment(database_url)
    os.environ.update(env)  # this process counts queries with the same settings
    import django

    django.setup()
    print(f"Benchmark database: {urllib.parse.urlsplit(database_url)._replace(netloc='…').geturl()}")
    manage(env, "migrate", "--noinput")
    collect_static(env)
    database = urllib.parse.urlsplit(database_url).path.lstrip("/")
    today = date.today()
    with raw_connection(database_url) as raw, raw.cursor() as cursor:
        if args.cases:
            cursor.execute("SELECT count(*) FROM cases_case")
            missing = args.cases - cursor.fetchone()[0]
            if missing > 0:
                print(f"Adding {missing:,} cases (seed_volume)...")
                manage(env, "seed_volume", "--cases", str(missing), "--allow-production", quiet=False)
        ctx = choose(cursor, today)
        pages = pages_for(ctx)
        full_extract = not args.skip_extract
        if args.pages:
            args.no_write = True
            pages = [page for page in pages if args.pages.lower() in page.name.lower()]
            full_extract = full_extract and args.pages.lower() in FULL_EXTRACT.lower()
            if not pages and not full_extract and args.pages.lower() not in "sign-in":
                parser.error(f"No page's name contains {args.pages!r}.")
        size = data_size(cursor, database)
        host = machine(cursor)
        print(
            "Data: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in size.items())
        )
        demo_users_current()
        print("Counting each page's queries...")
        count_queries(pages)
        from offenderhub.core.demo import DEMO_PASSWORD, DEMO_USERS, demo_password_hashes_upgrade

        # Sign-in is measured in its steady state: a password stored by an earlier hasher (PBKDF2,
        # before Argon2id) is re-hashed at the first sign-in, which then costs both; do it here.
        upgraded = demo_password_hashes_upgrade()
        if upgraded:
            print(f"Re-hashed {upgraded} demo users' passwords with the current hasher (as a sign-in would).")

        with Server(env, workers=args.workers, timeout=args.timeout) as server:
            print(f"gunicorn on 127.0.0.1:{server.port}; signing in...")
            browsers, signins = {}, []
            for page in pages:
                if page.email not in browsers:
                    browsers[page.email] = Browser(server.port)
                    signins.append(browsers[page.email].sign_in(page.email, DEMO_PASSWORD))
            # Every other demo user signs in too, once each (a code from an authenticator app is used
            # once): eleven sign-ins whichever pages are measured.
            for email in [spec.email for spec in DEMO_USERS if spec.email not in browsers]:
                signins.append(Browser(server.port).sign_in(email, DEMO_PASSWORD))
            print(f"Measuring {len(pages)} pages, {args.requests} requests each, with their SQL...")
            measure(pages, browsers, cursor, ctx, rounds=args.requests)
            signin_server = server.server_times("POST", "/login/")
            code_server = server.server_times("POST", "/account/two-factor/")
        extract = None
        if full_extract:
            extract = full_extract_measured(env, args, browsers, cursor, ctx)
    jobs = []
    if not args.skip_jobs:
        print("Running the daily jobs...")
        jobs = run_jobs(env, database_url, today, in_place=args.jobs_in_place)
    results = {
        "pages": [
            {k: getattr(page, k) for k in ("name", "email", "path", "p95_goal", "ratio_goal")}
            | {k: getattr(page, k) for k in ("times", "sql_times", "failures", "queries")}
            for page in pages
        ],
        "signins": signins,
        "signin_server": signin_server,
        "code_server": code_server,
        "extract": extract,
        "jobs": jobs,
        "size": size,
        "host": host,
        "rounds": args.requests,
        "workers": args.workers,
        "today": today.isoformat(),
        "in_place": args.jobs_in_place,
    }
    SAVED.write_text(json.dumps(results, indent=1))  # kept, so the report can be made again
    write_report(results, no_write=args.no_write)


def write_report(results: dict, *, no_write: bool):
    global RESULTS
    if no_write:
        RESULTS = WORK / "performance.md"
    pages = []
    for saved in results["pages"]:
        page = Page(
            saved["name"], saved["email"], saved["path"], None, saved["p95_goal"], saved["ratio_goal"]
        )
        page.times, page.sql_times = saved["times"], saved["sql_times"]
        page.failures, page.queries = saved["failures"], saved["queries"]
        pages.append(page)
    report(
        pages=pages,
        signins=results["signins"],
        signin_server=results["signin_server"],
        code_server=results.get("code_server"),
        extract=results.get("extract"),
        jobs=[tuple(run) for run in results["jobs"]],
        size=results["size"],
        host=results["host"],
        rounds=results["rounds"],
        workers=results["workers"],
        today=date.fromisoformat(results["today"]),
        in_place=results["in_place"],
    )


if __name__ == "__main__":
    main()

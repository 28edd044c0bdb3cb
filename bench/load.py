"""``make load``: the load scenario of issue 12 (bench/locustfile.py), 100 users for 90 seconds
against gunicorn as the image runs it, with production settings, on the benchmark's database.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/oh_bench_copy make load [ARGS="--users 50"]

Decision-makers record decisions, so the data changes: use a copy of the benchmark database. The run:

1. migrates the database, collects the static files, and re-hashes the demo passwords left at an
   earlier hasher (as bench/run.py does);
2. starts gunicorn (``gunicorn.conf.py``: 3 workers, as the Dockerfile; its 60 s worker timeout)
   with bench/run.py's ``Server``;
3. signs in a session for each simulated person, with a demo user's password over HTTP, and marks it
   as having given its second factor (a code from an authenticator app is accepted once, and 100
   people share ten demo accounts; bench/run.py signs in with the codes themselves);
   With them, unless ``--no-jobs``, the job worker and the scheduler (beat) run on Redis as
   docker-compose.yml runs them (a worker of 2 processes), so the jobs every minute (the dashboard's
   summaries and figures among them) run during the load, as in production. The nightly jobs run
   then too if the run falls in their hours (04:00-05:35, Europe/London): run it in the day;
4. runs locust headless (``--users``, ``--spawn-rate``, ``--run-time``), then prints each page's
   requests, failures, p50 and p95 (locust's client-side times, queueing included) and whether the
   goal is met: p95 ≤ 300 ms on every page and no errors. The results go into docs/performance.md
   ("Load") unless ``--no-write``.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import random
import subprocess
import sys
import urllib.parse
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 (bench/run.py, beside this file)
from load_people import PEOPLE  # noqa: E402

P95_GOAL_MS = 300
START, END = "<!-- load:results:start -->", "<!-- load:results:end -->"
RESULTS = run.ROOT / "docs" / "performance.md"


def verified(session_key: str, email: str):
    """Mark a signed-in session as having given its second factor, as bench/run.py's
    ``verify_session`` does for the test client (the server reads the session from the database)."""
    from importlib import import_module

    from django.conf import settings
    from django_otp import DEVICE_ID_SESSION_KEY

    from offenderhub.accounts.models import User
    from offenderhub.accounts.two_factor import authenticator_for
    from offenderhub.core.demo import demo_authenticator_enrol

    user = User.objects.get(email=email)
    demo_authenticator_enrol(user)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    store[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    store.save()


def sessions_for(port: int, users: int) -> dict:
    """A signed-in session (its cookies) for each simulated person of each role, and two spare."""
    from offenderhub.core.demo import DEMO_PASSWORD

    total = sum(weight for weight, _ in PEOPLE.values())
    sessions = {}
    for role, (weight, emails) in PEOPLE.items():
        wanted = math.ceil(users * weight / total) + 2
        sessions[role] = []
        for n in range(wanted):
            email = emails[n % len(emails)]
            browser = run.Browser(port)
            browser.sign_in(email, DEMO_PASSWORD, second_factor=False)
            verified(browser.cookies["sessionid"], email)
            sessions[role].append(browser.cookies)
        print(f"  {role}: {wanted} sessions ({', '.join(emails)})")
    return sessions


def scenario_data(users: int) -> dict:
    """What the simulated people need beside their sessions: the cases awaiting decision (each is
    decided once) and the force's commonest surnames to search for."""
    from django.db.models import Count

    from cases.models import Case, CaseStatus, Person
    from offenderhub.accounts.models import Organisation
    from offenderhub.core.demo import FORCE

    force = Organisation.objects.get(name=FORCE)
    decide = list(
        Case.objects.filter(force=force, status=CaseStatus.AWAITING_DECISION).values_list("pk", flat=True)[
            :5000
        ]
    )
    random.Random(12).shuffle(decide)
    surnames = list(
        Person.objects.filter(force=force)
        .values("family_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "family_name")
        .values_list("family_name", flat=True)[:6]
    )
    return {"decide": decide, "surnames": surnames}


class Jobs:
    """The Celery worker (2 processes, as docker-compose.yml) and beat, on a Redis broker of their
    own (database ``--broker-db``), with the server's settings and shared cache."""

    def __init__(self, env, broker_db: int):
        broker = f"redis://127.0.0.1:6379/{broker_db}"
        # REDIS_URL alone, as production sets it: the broker and the results both on it. Emails are
        # "sent" to nowhere (the outbox is still claimed and marked); the worker logs each task.
        self.env = {k: v for k, v in env.items() if not k.startswith("CELERY_")} | {
            "REDIS_URL": broker,
            "EMAIL_URL": "dummymail://",
        }
        celery = str(Path(run.PYTHON).parent / "celery")
        schedule = run.WORK / "celerybeat-schedule"
        for old in run.WORK.glob("celerybeat-schedule*"):
            old.unlink()
        self.commands = {
            "worker": [celery, "-A", "offenderhub", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [celery, "-A", "offenderhub", "beat", "--loglevel=INFO", "--schedule", str(schedule)],
        }

    def __enter__(self):
        import redis

        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()  # no tasks left from an earlier run
        self.processes = []
        for name, command in self.commands.items():
            log = open(run.WORK / f"celery-{name}-load.log", "w")  # noqa: SIM115 (closed in __exit__)
            process = subprocess.Popen(  # noqa: S603 (celery from our own environment)
                command, env={**self.env, "LOG_LEVEL": "INFO"}, cwd=run.ROOT, stdout=log, stderr=log
            )
            self.processes.append((process, log))
        return self

    def __exit__(self, *exc):
        for process, log in self.processes:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def run_locust(env, port, args, sessions_file) -> Path:
    prefix = run.WORK / "load"
    for old in run.WORK.glob("load_*.csv"):
        old.unlink()
    command = [
        str(Path(run.PYTHON).parent / "locust"),
        "-f",
        str(run.ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.run_time}s",
        "--stop-timeout",
        "10",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    print(f"locust: {args.users} users (spawned {args.spawn_rate} a second) for {args.run_time} s...")
    subprocess.run(  # noqa: S603 (locust from our own environment); it exits 1 when anything failed
        command, env={**env, "LOAD_SESSIONS": str(sessions_file)}, cwd=run.ROOT, check=False
    )
    return prefix


def read_results(prefix: Path) -> dict:
    if not Path(f"{prefix}_stats.csv").exists():
        sys.exit("locust wrote no results: see its output above.")
    with open(f"{prefix}_stats.csv") as handle:
        stats = list(csv.DictReader(handle))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv") as handle:
            failures = list(csv.DictReader(handle))
    return {
        "pages": [
            {
                "name": row["Name"],
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "max": float(row["Max Response Time"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
            for row in stats
        ],
        "failures": [
            {"name": f["Name"], "error": f["Error"], "count": int(f["Occurrences"])} for f in failures
        ],
    }


def report(results: dict, *, users, run_time, workers, host, today, write: bool):
    pages = [p for p in results["pages"] if p["name"] != "Aggregated"]
    total = next((p for p in results["pages"] if p["name"] == "Aggregated"), None)
    rows = []
    for page in sorted(pages, key=lambda p: -p["requests"]):
        met = page["p95"] <= P95_GOAL_MS and page["failures"] == 0
        rows.append(
            [
                f"{page['name']} ({page['method']})",
                f"{page['requests']:,}",
                f"{page['failures']:,}",
                f"{page['p50']:,.0f} ms",
                f"{page['p95']:,.0f} ms",
                f"{page['max']:,.0f} ms",
                run.verdict(met),
            ]
        )
    all_met = bool(pages) and all(p["p95"] <= P95_GOAL_MS and p["failures"] == 0 for p in pages)
    lines = [
        START,
        f"### Last load run ({today:%-d %B %Y})",
        "",
        f"{users} users for {run_time} s (`make load`), gunicorn with {workers} workers, "
        "`DEBUG=False`; times are locust's, from the client (queueing included).",
        "",
        run.markdown_table(
            ["page", "requests", "failures", "p50", "p95", "max", "p95 ≤ 300 ms, 0 errors"], rows
        ),
        "",
    ]
    if total:
        lines += [
            f"In all: {total['requests']:,} requests ({total['rps']:.1f} a second), {total['failures']:,} "
            f"failed; p50 {total['p50']:,.0f} ms, p95 {total['p95']:,.0f} ms. Goal (p95 ≤ 300 ms on every "
            f"page, 0 errors): {run.verdict(all_met)}.",
            "",
        ]
    if results["failures"]:
        lines += ["Errors:", ""]
        lines += [f"- {f['name']}: {f['error']} ({f['count']:,})" for f in results["failures"][:15]]
        lines += [""]
    lines += ["Machine: " + "; ".join(f"{k} {v}" for k, v in host.items()), "", END]
    section = "\n".join(lines)
    print()
    print(section.replace(START, "").replace(END, "").strip())
    target = RESULTS if write else run.WORK / "load.md"
    text = target.read_text() if target.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    target.write_text(text)
    print(f"\nWritten to {target.relative_to(run.ROOT)}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10, help="Users started a second.")
    parser.add_argument("--run-time", type=int, default=90, help="Seconds.")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (the Dockerfile's 3).")
    parser.add_argument("--timeout", type=int, default=60, help="gunicorn's worker timeout (production's).")
    parser.add_argument("--no-write", action="store_true", help="Results to var/bench/load.md only.")
    parser.add_argument("--no-jobs", action="store_true", help="Run no job worker or beat beside the server.")
    parser.add_argument("--broker-db", type=int, default=2, help="The Redis database for the jobs' broker.")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or run.DEFAULT_DATABASE_URL
    run.WORK.mkdir(parents=True, exist_ok=True)
    env = run.production_environment(database_url)
    os.environ.update(env)
    import django

    django.setup()
    print(f"Load database: {urllib.parse.urlsplit(database_url)._replace(netloc='…').geturl()}")
    run.manage(env, "migrate", "--noinput")
    run.collect_static(env)
    from offenderhub.core.demo import demo_password_hashes_upgrade

    demo_password_hashes_upgrade()
    with run.raw_connection(database_url) as raw, raw.cursor() as cursor:
        host = {k: v for k, v in run.machine(cursor).items() if k in ("CPUs (nproc)", "PostgreSQL", "commit")}
    data = scenario_data(args.users)
    jobs = contextlib.nullcontext() if args.no_jobs else Jobs(env, args.broker_db)
    if not args.no_jobs:
        env = jobs.env  # the server queues its jobs on the same broker
    host["jobs"] = "none" if args.no_jobs else "a Celery worker (2 processes) and beat on Redis"
    with (
        jobs,
        run.Server(env, workers=args.workers, timeout=args.timeout, log_name="gunicorn-load.log") as server,
    ):
        print(f"gunicorn ({args.workers} workers) on 127.0.0.1:{server.port}; signing in the people...")
        sessions_file = run.WORK / "load-sessions.json"
        sessions_file.write_text(json.dumps({"sessions": sessions_for(server.port, args.users), **data}))
        host["load average at the start (1, 5, 15 min)"] = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        prefix = run_locust(env, server.port, args, sessions_file)
        host["load average at the end"] = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    sessions_file.unlink()  # signed-in sessions: not left lying about
    report(
        read_results(prefix),
        users=args.users,
        run_time=args.run_time,
        workers=args.workers,
        host=host,
        today=date.today(),
        write=not args.no_write,
    )


if __name__ == "__main__":
    main()

"""Production smoke check: the app as a deployment runs it, answered over HTTP.

With production settings (DEBUG off, random SECRET_KEY and PSEUDONYM_KEY), this migrates the
database, collects the static files into a temporary STATIC_ROOT, starts gunicorn with
gunicorn.conf.py on a free loopback port and checks what a deployment needs: the sign-in page and
every file it links, the health endpoints, the request ID on every response, the styled 404 page and
the collected files. Then it starts gunicorn again with the broker unreachable: /readyz must say 503
quickly while the sign-in page still works.

    make smoke                       # or: .venv/bin/python scripts/smoke_production.py

DATABASE_URL and REDIS_URL come from the environment (CI sets both, see .ci/run); without them the
check uses an SQLite file and the embedded broker in a temporary folder. It prints one PASS or FAIL
line per check and exits 1 if any failed. Standard library only.
"""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = BASE_DIR / "gunicorn.conf.py"
START_TIMEOUT = 60  # seconds for gunicorn to answer its first request
READYZ_BROKER_DOWN_LIMIT = 5.0  # seconds /readyz may take to report a broker it cannot reach
SOURCE_MAP = re.compile(rb"sourceMappingURL\s*=")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


class Checks:
    """Collects one PASS or FAIL line per check, printed as it is made."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        self.count += 1
        line = f"{'PASS' if ok else 'FAIL'}  {name}"
        if detail:
            line += f"  ({detail})"
        print(line, flush=True)
        if not ok:
            self.failures.append(name)
        return ok


class Response:
    def __init__(self, status: int, headers: dict, body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def summary(self) -> str:
        """The body when it is short JSON (a health report), else just its type."""
        if self.content_type == "application/json":
            return self.text[:300]
        return self.content_type


class LinkedFiles(HTMLParser):
    """The stylesheets, scripts and icons a page links to."""

    def __init__(self):
        super().__init__()
        self.stylesheets, self.others = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and attrs.get("href"):
            self.stylesheets.append(attrs["href"])
        elif tag == "link" and "icon" in rel and attrs.get("href"):
            self.others.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.others.append(attrs["src"])


def free_port() -> int:
    """A loopback port nothing listens on (the OS picks it; it is closed again at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, path: str, *, https: bool = True, headers: dict | None = None, timeout: float = 15):
    """One GET, redirects not followed. `https` sends X-Forwarded-Proto as the TLS proxy would."""
    sent = {"Host": "127.0.0.1", **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=sent)
        response = conn.getresponse()
        body = response.read()
        received = {k.lower(): v for k, v in response.getheaders()}
        return Response(response.status, received, body, time.monotonic() - started)
    finally:
        conn.close()


class Server:
    """gunicorn with gunicorn.conf.py on a loopback port, stopped (with its workers) on exit."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self) -> bool:
        # A free loopback port and two workers (a shared CI machine), through the variables
        # gunicorn.conf.py reads; no control socket, whose default path every gunicorn shares.
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "2"}
        args = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
        if GUNICORN_CONF.exists():
            args += ["-c", str(GUNICORN_CONF)]
        else:
            args += ["--bind", env["GUNICORN_BIND"], "--workers", env["GUNICORN_WORKERS"]]
        args += ["offenderhub.wsgi:application"]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            args,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                request(self.port, "/login/", timeout=5)
                return True
            except OSError:
                time.sleep(0.3)
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            self.log.close()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join("    | " + line[:2000] for line in text[-lines:])


def production_env(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="offenderhub.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        PSEUDONYM_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        OFFENDERHUB_VAR_DIR=str(workdir / "var"),
        EMAIL_URL="consolemail://",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(checks: Checks, env: dict, *args: str) -> bool:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    ok = result.returncode == 0
    detail = "" if ok else (result.stderr or result.stdout).strip().splitlines()[-1][:300]
    checks.check(ok, f"manage.py {' '.join(args)}", detail)
    return ok


def check_request_id(checks: Checks, name: str, response: Response):
    checks.check(bool(response.headers.get("x-request-id")), f"{name} carries X-Request-ID")


def check_linked_file(checks: Checks, port: int, url: str, expected_type: str | None) -> Response:
    path = urlsplit(url).path
    response = request(port, path)
    type_ok = expected_type is None or response.content_type == expected_type
    checks.check(
        response.status == 200 and type_ok,
        f"{path} is 200" + (f" {expected_type}" if expected_type else ""),
        f"{response.status} {response.content_type}",
    )
    check_request_id(checks, path, response)
    return response


def check_stylesheet_urls(checks: Checks, port: int, stylesheet: str, css: str):
    """Every font and image a stylesheet points at is served (one line per stylesheet)."""
    targets = sorted(
        {urljoin(stylesheet, u.strip()) for u in CSS_URL.findall(css) if not u.startswith(("data:", "#"))}
    )
    missing = [f"{urlsplit(t).path} {status}" for t in targets if (status := request(port, t).status) != 200]
    checks.check(
        not missing,
        f"files referenced by {urlsplit(stylesheet).path} are 200 ({len(targets)})",
        ", ".join(missing[:5]),
    )


def check_running_app(checks: Checks, port: int):
    login = request(port, "/login/")
    checks.check(login.status == 200, "/login/ is 200 (X-Forwarded-Proto: https)", str(login.status))
    check_request_id(checks, "/login/", login)

    plain = request(port, "/login/", https=False)
    checks.check(
        plain.status in (301, 302) and plain.headers.get("location", "").startswith("https://"),
        "/login/ over plain HTTP redirects to https://",
        f"{plain.status} {plain.headers.get('location', '')}",
    )

    links = LinkedFiles()
    links.feed(login.text)
    checks.check(bool(links.stylesheets), "/login/ links stylesheets", f"{len(links.stylesheets)} found")
    for href in links.stylesheets:
        css = check_linked_file(checks, port, href, "text/css")
        if css.status == 200:
            check_stylesheet_urls(checks, port, href, css.text)
    for src in links.others:
        check_linked_file(checks, port, src, None)

    incoming = str(uuid.uuid4())
    echoed = request(port, "/login/", headers={"X-Request-ID": incoming})
    checks.check(
        echoed.headers.get("x-request-id") == incoming,
        "an incoming X-Request-ID is echoed back",
        f"sent {incoming}, got {echoed.headers.get('x-request-id')}",
    )

    for path in ("/livez", "/readyz"):
        response = request(port, path)
        checks.check(response.status == 200, f"{path} is 200", f"{response.status} {response.summary}")
        check_request_id(checks, path, response)
        # Container health checks and load balancers call it inside the proxy, over plain HTTP.
        direct = request(port, path, https=False)
        checks.check(
            direct.status == 200, f"{path} is 200 over plain HTTP (no HTTPS redirect)", str(direct.status)
        )

    scraped = request(port, "/metrics", https=False)
    checks.check(
        scraped.status == 200 and b"# TYPE" in scraped.body,
        "/metrics is 200 with Prometheus metrics from loopback",
        f"{scraped.status} {scraped.content_type}",
    )

    missing = request(port, "/smoke-check-no-such-page/")
    page = LinkedFiles()
    page.feed(missing.text)
    checks.check(
        missing.status == 404 and "Page not found" in missing.text and bool(page.stylesheets),
        "a missing page is the styled 404 page",
        f"{missing.status}, {len(page.stylesheets)} stylesheets",
    )
    check_request_id(checks, "the 404 page", missing)


def check_collected_files(checks: Checks, static_root: Path):
    files = [p for p in static_root.rglob("*") if p.is_file()]
    checks.check(bool(files), "collectstatic produced files", f"{len(files)} files")
    transport = [str(p.relative_to(static_root)) for p in files if b"gds transport" in p.read_bytes().lower()]
    checks.check(not transport, "no collected file contains 'GDS Transport'", ", ".join(transport[:5]))
    # Our own and the vendored front-end files ship without source maps (Django's admin is its own).
    ours = [p for p in files if p.relative_to(static_root).parts[0] in ("vendor", "css", "js")]
    maps = [
        str(p.relative_to(static_root))
        for p in ours
        if p.suffix == ".map" or (p.suffix in (".css", ".js", ".mjs") and SOURCE_MAP.search(p.read_bytes()))
    ]
    checks.check(not maps, "no source maps in the collected front-end files", ", ".join(maps[:5]))


def check_broker_down(checks: Checks, env: dict, workdir: Path):
    closed = free_port()
    broker_down = {**env, "REDIS_URL": f"redis://127.0.0.1:{closed}/0"}
    server = Server(broker_down, workdir / "gunicorn-broker-down.log")
    try:
        if not checks.check(server.start(), "gunicorn starts with the broker unreachable"):
            print(server.log_tail(), flush=True)
            return
        try:
            ready = request(server.port, "/readyz", timeout=READYZ_BROKER_DOWN_LIMIT * 4)
        except OSError as exc:  # a timeout among them
            checks.check(False, "/readyz answers with the broker down", exc.__class__.__name__)
        else:
            checks.check(
                ready.status == 503 and ready.seconds < READYZ_BROKER_DOWN_LIMIT,
                f"/readyz is 503 within {READYZ_BROKER_DOWN_LIMIT:.0f}s with the broker down",
                f"{ready.status} in {ready.seconds:.2f}s {ready.summary}",
            )
        try:
            live, login = request(server.port, "/livez"), request(server.port, "/login/")
        except OSError as exc:
            checks.check(False, "gunicorn keeps answering with the broker down", f"{exc.__class__.__name__}")
            return
        checks.check(live.status == 200, "/livez is still 200 with the broker down", str(live.status))
        checks.check(login.status == 200, "/login/ is still 200 with the broker down", str(login.status))
    finally:
        server.stop()


def main() -> int:
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="offenderhub-smoke-") as tmp:
        workdir = Path(tmp)
        env = production_env(workdir)
        database = env.get("DATABASE_URL", "SQLite (temporary)").split("@")[-1]
        broker = env.get("REDIS_URL") or "embedded (temporary)"
        print(f"Production smoke check: database {database}, broker {broker}", flush=True)
        checks.check(GUNICORN_CONF.exists(), "gunicorn.conf.py exists (gunicorn is started with it)")
        migrated = manage(checks, env, "migrate", "--noinput")
        collected = manage(checks, env, "collectstatic", "--noinput")
        if collected:
            check_collected_files(checks, workdir / "static")
        if migrated and collected:
            server = Server(env, workdir / "gunicorn.log")
            try:
                started = checks.check(server.start(), "gunicorn starts and answers", f"port {server.port}")
                failed_before = len(checks.failures)
                if started:
                    try:
                        check_running_app(checks, server.port)
                    except OSError as exc:  # a dropped connection or a timeout: the rest cannot run
                        checks.check(False, "gunicorn keeps answering", f"{exc.__class__.__name__}: {exc}")
                if not started or len(checks.failures) > failed_before:
                    print("gunicorn's log:\n" + server.log_tail(), flush=True)
            finally:
                server.stop()
            check_broker_down(checks, env, workdir)
    passed = checks.count - len(checks.failures)
    print(f"Smoke check: {passed} of {checks.count} checks passed.", flush=True)
    for name in checks.failures:
        print(f"  failed: {name}", flush=True)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())

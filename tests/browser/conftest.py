"""The browser journey's machinery: Debian's Chromium driven by Playwright against pytest-django's
``live_server``, with axe-core loaded into every page to check it against WCAG 2.0, 2.1 and 2.2,
levels A and AA.

Neither the browser nor axe-core is downloaded by the tests: Chromium is Debian's package
(``apt-get install chromium``, at ``/usr/bin/chromium`` or ``CHROMIUM_PATH``) and axe-core is the
npm package pinned in package.json (``npm ci`` puts it in ``node_modules/``). Where either is
missing the browser tests are skipped, saying what to install; under ``CI`` that is a failure.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# As root in a closed network: no sandbox (root), and none of Chromium's own calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Each wait for a page or an element; a page that takes longer than this has a problem of its own.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's, stopped (with its thread's database connection) before the test databases
    are dropped at the end of the session, not after."""
    return live_server


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    if not AXE.exists():
        missing.append(f"axe-core at {AXE.relative_to(settings.BASE_DIR)} (npm ci)")
    return missing


@pytest.fixture(autouse=True)
def _browser_available():
    """Skip (before the demo data is loaded) where Chromium or axe-core is missing, as on
    a first run on a laptop; under CI that is a failure: the journey must run there."""
    missing = _missing()
    if missing:
        reason = "The browser tests need " + "; ".join(missing) + ". See README.md, 'Browser tests'."
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def browser(live_server, monkeypatch):
    """A headless Debian Chromium for this test, closed before the test database is emptied."""
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread, where Django then refuses the
    # test's own database calls (seeding, reading a security code) as if they were made from async
    # code. They are not: the live server answers the browser from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
            # The test's own database calls, made while Playwright's loop was running, went through
            # a connection of their own: closed here, or it would stop the test database from
            # being dropped at the end.
            connections.close_all()


@dataclass
class Violation:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self):
        return f"{self.page}: {self.rule} ({self.impact}) {self.help}\n    " + "\n    ".join(self.targets)


@dataclass
class Axe:
    """Runs axe-core on a page and keeps every violation, so one run lists them all."""

    violations: list[Violation] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def check(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        results = page.evaluate(
            """async (tags) => {
                const results = await axe.run(document, {
                    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
                });
                return results.violations.map((v) => ({
                    rule: v.id, impact: v.impact || "", help: v.help,
                    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html})),
                }));
            }""",
            WCAG_TAGS,
        )
        self.pages.append(name)
        for v in results:
            nodes = [n for n in v.pop("nodes") if not _by_design(v["rule"], n["html"])]
            if nodes:
                self.violations.append(
                    Violation(page=f"{name} ({page.url})", targets=[n["target"] for n in nodes], **v)
                )


# GOV.UK Frontend's own conditional reveal (radios and checkboxes with a question revealed under an
# answer) sets aria-expanded on the <input> it controls, which axe-core reports as an attribute the
# radio role does not support. The component is used as designed (GOV.UK Frontend 6.6's Radios and
# Checkboxes set it), so that one finding, on those inputs only, is not counted; anything else is.
_GOVUK_REVEAL = re.compile(
    r'class="govuk-(radios|checkboxes)__input"[^>]*aria-controls="[^"]+"[^>]*aria-expanded='
)


def _by_design(rule: str, html: str) -> bool:
    return rule == "aria-allowed-attr" and bool(_GOVUK_REVEAL.search(html))


@pytest.fixture
def axe():
    return Axe()


@pytest.fixture
def new_context(browser, live_server):
    """``new_context()``: a fresh browser profile (its own cookies) with axe-core loaded into every
    page it opens, before the page's own scripts (so the Content Security Policy, which admits only
    the site's own scripts, need not be loosened for it)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()

"""The load scenario of issue 12: a force's people at work, for locust (``make load`` runs it).

    make load                    # 100 users for 90 s, headless, against a gunicorn it starts
    locust -f bench/locustfile.py --host http://127.0.0.1:8000   # by hand, with locust's web page

Who, in what proportion (locust's ``weight``), and what they do between pauses of 2 to 8 seconds
(a person reading a page, about 5 s on average: 100 users ask for about 20 pages a second):

- case workers (50%): their caseload (as it opens, sorted by name, filtered to active cases,
  searched by a surname, a later page) and the cases on it;
- partners (25%): the agency's workspace (its tabs) and the referrals on it;
- supervisors (10%): their home page;
- decision-makers (10%): a case awaiting decision, its decision page and, now and then, a decision
  (declined, so nothing downstream is needed) - the data changes: run it on a database copy;
- analysts (5%): the dashboard.

Each simulated person uses a session signed in beforehand with a demo user's password
(``bench/load.py`` signs in one per simulated person, over HTTP, as the bench does) and given in
``LOAD_SESSIONS`` (a JSON file), with the cases awaiting decision to share out. By hand, without
that file, each person signs in here with ``DEMO_PASSWORD`` and its second factor from
``LOAD_TOTP`` - for one person per account only, as a code is accepted once.

Requests go to the server as they would from the TLS proxy (``X-Forwarded-Proto: https``), the
Secure cookies kept by hand; redirects are not followed (a redirect to the sign-in page is an error).
"""

import json
import os
import random
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from load_people import PEOPLE
from locust import FastHttpUser, between, events, task

PASSWORD = os.environ.get("DEMO_PASSWORD", "Fenshire-demo-2026")
SESSIONS = {}  # role: [cookies, ...], from LOAD_SESSIONS
DECIDE = []  # case ids awaiting decision, each decided once
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Cross", "Walker"]


@events.init.add_listener
def _load_sessions(environment, **kwargs):
    path = os.environ.get("LOAD_SESSIONS")
    if path:
        with open(path) as handle:
            data = json.load(handle)
        SESSIONS.update(data["sessions"])
        DECIDE.extend(data.get("decide", []))
        SURNAMES[:] = data.get("surnames") or SURNAMES


class Person(FastHttpUser):
    abstract = True
    wait_time = between(2, 8)
    role = ""
    emails: tuple = ()

    def on_start(self):
        self.cookies = {}
        pool = SESSIONS.get(self.role)
        if pool:
            self.cookies = dict(pool.pop())
        else:  # by hand: sign in with the password (the second factor must be given by LOAD_TOTP)
            self._sign_in(random.choice(self.emails))
        self.page("/", "home, after signing in")

    # --- requests ---------------------------------------------------------------------------------
    def headers(self, extra=None):
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "offenderhub-locust"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**headers, **(extra or {})}

    def _keep(self, response):
        for header in response.headers.getlist("Set-Cookie") if response.headers else []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def page(self, path, name, expect=200):
        """GET a page; anything but ``expect`` (a redirect to sign in, an error) is a failure."""
        with self.client.get(
            path, name=name, headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            self._keep(response)
            if response.status_code != expect:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}".strip())
            return response

    def post(self, path, name, data, referer):
        origin = f"https://{self.host.split('://', 1)[-1]}"
        with self.client.post(
            path,
            name=name,
            data=data,
            headers=self.headers(
                {
                    "Origin": origin,
                    "Referer": origin + referer,
                    "Content-Type": "application/x-www-form-urlencoded",
                }
            ),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self._keep(response)
            if response.status_code != 302:
                response.failure(f"{response.status_code}")
            return response

    def _sign_in(self, email):
        form = self.page("/login/", "sign in page")
        self.post(
            "/login/",
            "sign in",
            {"csrfmiddlewaretoken": _csrf(form.text), "username": email, "password": PASSWORD},
            "/login/",
        )
        code = os.environ.get("LOAD_TOTP")
        if code:
            form = self.page("/account/two-factor/", "security code page")
            self.post(
                "/account/two-factor/",
                "security code",
                {"csrfmiddlewaretoken": _csrf(form.text), "code": code},
                "/account/two-factor/",
            )


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match[1] if match else ""


def _ids(html: str, prefix: str) -> list[int]:
    """The ids in the page's links to ``prefix<id>/`` (a caseload's cases, a workspace's referrals)."""
    return [int(n) for n in re.findall(rf'href="{re.escape(prefix)}(\d+)/"', html)]


class CaseWorker(Person):
    role = "case_worker"
    weight, emails = PEOPLE[role]

    def on_start(self):
        self.cases = []
        super().on_start()

    def _caseload(self, query, name):
        response = self.page("/cases/" + (f"?{urlencode(query)}" if query else ""), name)
        if response.status_code == 200:
            self.cases = _ids(response.text, "/cases/") or self.cases

    @task(4)
    def caseload(self):
        self._caseload({}, "caseload")

    @task(1)
    def caseload_by_name(self):
        self._caseload({"sort": "name"}, "caseload sorted by name")

    @task(1)
    def caseload_active(self):
        self._caseload({"status": "active"}, "caseload filtered by status")

    @task(1)
    def caseload_search(self):
        self._caseload({"q": random.choice(SURNAMES)}, "caseload searched by surname")

    @task(1)
    def caseload_later_page(self):
        self._caseload({"page": random.randint(2, 40)}, "caseload, a later page")

    @task(4)
    def case(self):
        if not self.cases:
            self.caseload()
        if self.cases:
            self.page(f"/cases/{random.choice(self.cases)}/", "a case's page")

    @task(2)
    def case_tab(self):
        """Another page of a case's file: its conditions and referrals, or its timeline."""
        if not self.cases:
            self.caseload()
        if self.cases:
            tab, name = random.choice([("conditions", "conditions and referrals"), ("timeline", "timeline")])
            self.page(f"/cases/{random.choice(self.cases)}/{tab}/", f"a case's {name}")


class Partner(Person):
    role = "partner"
    weight, emails = PEOPLE[role]

    def on_start(self):
        self.referrals = []
        super().on_start()

    @task(4)
    def workspace(self):
        response = self.page("/referrals/", "partner workspace")
        if response.status_code == 200:
            self.referrals = _ids(response.text, "/referrals/") or self.referrals

    @task(2)
    def workspace_tab(self):
        tab = random.choice(["mine", "open", "completed"])
        self.page(f"/referrals/?tab={tab}", "partner workspace, another tab")

    @task(4)
    def referral(self):
        if not self.referrals:
            self.workspace()
        if self.referrals:
            self.page(f"/referrals/{random.choice(self.referrals)}/", "a referral's page")


class Supervisor(Person):
    role = "supervisor"
    weight, emails = PEOPLE[role]

    @task
    def home(self):
        self.page("/", "supervisor's home")


class DecisionMaker(Person):
    role = "decision_maker"
    weight, emails = PEOPLE[role]

    @task(3)
    def awaiting(self):
        self.page("/cases/?status=awaiting_decision", "caseload awaiting decision")

    @task(3)
    def decide(self):
        """Open a case awaiting decision, then its decision page, and record a decision."""
        if not DECIDE:
            return
        case = DECIDE.pop()
        self.page(f"/cases/{case}/", "a case's page")
        form = self.page(f"/cases/{case}/decision/", "decision page")
        if form.status_code != 200:
            return
        based_on = re.search(r'name="based_on" value="(\d*)"', form.text)
        self.post(
            f"/cases/{case}/decision/",
            "decision recorded",
            {
                "csrfmiddlewaretoken": _csrf(form.text),
                "based_on": based_on[1] if based_on else "",
                "evidence_person_committed": "on",
                "sufficient_evidence_to_charge": "on",
                "authority": "authorised_officer",
                "admission": "denies",
                "gravity_adjustment": "0",
                "outcome": "declined",
                "rationale": "The person does not admit the offence (load test).",
                "time_limit_acknowledged": "on",
            },
            f"/cases/{case}/decision/",
        )


class Analyst(Person):
    role = "analyst"
    weight, emails = PEOPLE[role]

    @task
    def dashboard(self):
        self.page("/reports/", "analyst dashboard")

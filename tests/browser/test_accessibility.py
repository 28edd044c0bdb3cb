"""The main journey of a case across the roles, in a real browser, with axe-core run on every page it
visits (tests/browser/conftest.py); the test fails listing each violation (page, rule, impact, the
elements). It finds things as a person does, by headings, labels and the text of links and buttons,
so that it keeps working when a page's layout changes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect  # in requirements/development.txt, so always installed

from cases.models import Case, CaseStatus
from hub.demo import seed_demo
from offenderhub.accounts.two_factor import current_code
from offenderhub.core.demo import DEMO_PASSWORD
from referrals.models import Appointment, Attendance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CASE_WORKER = "caseworker@fenshire-police.example"
DECISION_MAKER = "decisions@fenshire-police.example"
SUPERVISOR = "supervisor@fenshire-police.example"
PARTNER_MANAGER = "manager@compass.example"
ANALYST = "analyst@fenshire-opcc.example"
PARTNER = "Compass Drug and Alcohol Service"
OFFENCE = "Assault occasioning actual bodily harm"


@pytest.fixture
def demo(transactional_db):
    """The demo force, its partners and its commissioner's office, with their people and cases."""
    seed_demo(out=lambda *args: None)


class Journey:
    """The people of the journey, each in a browser profile of their own and signed in once (a
    security code works only once), and axe-core's verdict on every page they see."""

    def __init__(self, new_context, axe, artefacts):
        self.new_context, self.axe, self.artefacts = new_context, axe, artefacts
        self.pages = {}
        self.last = None

    def as_(self, email):
        if email not in self.pages:
            self.pages[email] = self._sign_in(email)
        self.last = self.pages[email]
        return self.last

    def check(self, page, name):
        self.axe.check(page, name)

    def visit(self, page, path, name):
        page.goto(path)
        self.check(page, name)

    def submit(self, page, button, name=None, *, refused=False):
        """Press a form's button and wait for the page it leads to (checked when ``name`` is given):
        one without an error summary, or with one when the form is meant to be ``refused``."""
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).click()
        errors = page.get_by_role("heading", name="There is a problem")
        if refused:
            expect(errors.first).to_be_visible()
        else:
            expect(errors, f"{button!r} was refused:\n{page.locator('main').inner_text()}").to_have_count(0)
        if name:
            self.check(page, name)

    def follow(self, page, link, name=None, **options):
        with page.expect_navigation():
            page.get_by_role("link", name=link, **options).first.click()
        if name:
            self.check(page, name)

    def _sign_in(self, email):
        page = self.new_context().new_page()
        self.last = page
        page.goto("/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        self.submit(page, "Sign in")
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        self.check(page, f"security code ({email})")
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        page.get_by_label("Security code").fill(current_code(device))
        self.submit(page, "Continue")
        expect(page).to_have_url(re.compile(r"/$"))
        self.check(page, f"home ({email})")
        return page

    def keep_evidence(self):
        """The page the journey stopped on, as HTML and a screenshot, for whoever reads the failure."""
        if self.last is None or self.last.is_closed():
            return
        (self.artefacts / "last-page.html").write_text(self.last.content())
        self.last.screenshot(path=self.artefacts / "last-page.png", full_page=True)
        print(f"The journey stopped at {self.last.url}; its page is kept in {self.artefacts}")


def fill_date(page, legend, day):
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose(page, legend, label):
    page.get_by_role("group", name=legend).get_by_label(label, exact=True).check()


@pytest.fixture
def journey(new_context, axe, tmp_path):
    return Journey(new_context, axe, tmp_path)


def _public_pages(journey):
    page = journey.new_context().new_page()
    journey.last = page
    journey.visit(page, "/login/", "sign-in")
    journey.follow(page, "Accessibility statement", "accessibility statement")
    journey.follow(page, "Privacy notice", "privacy notice")
    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    journey.check(page, "page not found")
    page.goto("/login/")
    journey.submit(page, "Sign in", "sign-in with errors", refused=True)


def _intake(journey, today):
    """The case worker records a new person (first forgetting everything) and opens a case."""
    page = journey.as_(CASE_WORKER)
    journey.follow(page, "Open a case", "who is the case about")
    page.get_by_label("Search by name or PNC ID").fill("Quentin Ashdown")
    journey.submit(page, "Search", "person search results")
    journey.follow(page, "Record a new person", "record a new person")
    journey.submit(page, "Continue", "record a new person, with errors", refused=True)
    page.get_by_label("Given names").fill("Quentin")
    page.get_by_label("Family name").fill("Ashdown")
    fill_date(page, "Date of birth", today.replace(year=today.year - 29))
    choose(page, "Sex", "Male")
    journey.submit(page, "Continue", "open a case")
    page.get_by_label("Scheme").select_option(label="Fenshire Deferred Prosecution")
    offence = page.get_by_role("group", name="Offence 1")
    offence_list = offence.get_by_label("Offence", exact=True)  # each says how it is tried
    offence_list.select_option(offence_list.locator("option", has_text=OFFENCE).first.get_attribute("value"))
    fill_date(offence, "Offence date", today - timedelta(days=6))
    fill_date(page, "Arrest or report date", today - timedelta(days=5))
    choose(page, "Victim", "A person")
    journey.submit(page, "Open the case and send it for a decision", "case page (awaiting a decision)")
    return page.url


def _decision(journey, case_url):
    page = journey.as_(DECISION_MAKER)
    journey.visit(page, case_url, "case page (decision-maker)")
    journey.follow(page, "Decide eligibility", "eligibility decision")
    page.get_by_label("There is evidence that the person committed the offence").check()
    page.get_by_label("There is enough evidence to charge").check()
    choose(page, "Who authorises the caution", "Authorised police officer")
    choose(page, "Does the person admit the offence?", "Admits the offence")
    choose(page, "Decision", "Eligible")
    page.get_by_label("Rationale").fill("Admitted in interview; first offence; the victim supports it.")
    journey.submit(page, "Record the decision", "case page (assessment)")


def _assessment_and_conditions(journey, case_url, today):
    page = journey.as_(CASE_WORKER)
    journey.visit(page, case_url, "case page (case worker, assessment)")
    journey.follow(page, "Assessment", "case page: assessment", exact=True)
    journey.submit(page, "Start the needs assessment", "needs assessment")
    page.get_by_label("Drugs and alcohol: need").select_option(label="High")
    page.get_by_label("Accommodation: need").select_option(label="Medium")
    page.get_by_label("The person's own goals").fill("Stop drinking before nights out; keep my job.")
    journey.submit(page, "Save and complete", "needs assessment (completed)")

    journey.visit(page, case_url + "conditions/", "case page: conditions and referrals")
    journey.follow(page, "Add a condition", "add a condition")
    choose(page, "Kind of condition", "Rehabilitative")
    page.get_by_label("Condition", exact=True).fill(
        "Attend the Compass alcohol awareness course on two Tuesday evenings and complete it"
    )
    fill_date(page, "Due date", today + timedelta(weeks=8))
    page.get_by_label("Responsible organisation").select_option(label=PARTNER)
    page.get_by_label("Delivered by a partner through a referral").check()
    journey.submit(page, "Save the condition", "case page (a condition added)")

    journey.follow(page, "Make a referral", "make a referral")
    service = page.get_by_label("Service", exact=True)
    service.select_option(service.locator("option", has_text=PARTNER).first.get_attribute("value"))
    condition = page.get_by_label("The condition it delivers")
    condition.select_option(condition.locator("option", has_text="alcohol awareness").get_attribute("value"))
    page.get_by_label("Reason for the referral").fill("Binge drinking at weekends led to the offence.")
    page.get_by_label("Desired outcomes").fill(
        "Understands the effects of alcohol\nHas a plan for nights out"
    )
    fill_date(page, "To be completed by", today + timedelta(weeks=8))
    journey.submit(page, "Send the referral", "referral (sent)")

    journey.visit(page, case_url + "conditions/", "case page: conditions (referral sent)")
    journey.submit(page, "Agree the conditions", "case page (conditions agreed)")
    for tab in ("Timeline", "Documents", "Victim"):
        journey.follow(page, tab, f"case page: {tab.lower()}", exact=True)


def _caution(journey, case_url, today):
    page = journey.as_(DECISION_MAKER)
    journey.visit(page, case_url, "case page (ready for the caution)")
    journey.follow(page, "Administer the caution", "administer the caution")
    fill_date(page, "Date the caution was given", today)
    page.get_by_label("Where it was given").fill("Parkside Police Station")
    page.get_by_label("The person's admission, in their words").fill("I hit him when he threw me out.")
    for statement in (
        "The effect of the caution was explained",
        "The person was warned that failing a condition may lead to prosecution",
        "The person consents to the caution and its conditions",
        "The person signed the caution document",
    ):
        page.get_by_label(statement).check()
    journey.submit(page, "Administer the caution", "case page (active)")


def _partner(journey, today):
    """The partner agency's manager accepts the referral, books a session and records it."""
    page = journey.as_(PARTNER_MANAGER)
    journey.follow(page, re.compile("waiting to be accepted or declined"), "partner workspace (unassigned)")
    journey.follow(page, "ASHDOWN, Quentin", "referral (partner)")
    journey.follow(page, "Accept and assign", "accept the referral")
    practitioner = page.get_by_label("Practitioner")
    practitioner.select_option(
        practitioner.locator("option", has_text="(practitioner)").first.get_attribute("value")
    )
    journey.submit(page, "Accept and assign", "referral (accepted)")
    journey.follow(page, "Book an appointment", "book an appointment")
    fill_date(page, "Date", today)
    page.get_by_label("Time", exact=True).fill("09:00")
    choose(page, "Format", "In person")
    choose(page, "One-to-one or group", "One-to-one")
    journey.submit(page, "Book", "referral (appointment booked)")
    journey.follow(page, re.compile("^Record the outcome"), "record the outcome")
    choose(page, "Did the person attend?", "Attended")
    page.get_by_label("Session summary").fill("Talked through a typical night out and agreed a plan.")
    choose(page, "The person's response", "Engaged well")
    journey.submit(page, "Record the outcome", "referral (session recorded)")


def _breach_review(journey):
    page = journey.as_(DECISION_MAKER)
    journey.visit(page, "/", "home (decision-maker)")
    reviews = page.get_by_role("heading", name="Breach reviews to decide").locator(
        "xpath=following-sibling::ul[1]"
    )
    with page.expect_navigation():
        reviews.get_by_role("link").first.click()
    journey.check(page, "breach review")
    journey.submit(page, "Record the decision", "breach review, with errors", refused=True)


def _oversight(journey):
    journey.as_(SUPERVISOR)  # the supervisor's home, checked on signing in
    page = journey.as_(ANALYST)
    journey.follow(page, "Open the reports", "analyst dashboard")


def test_every_page_of_the_main_journey_passes_axe(demo, journey, axe):
    today = timezone.localdate()
    try:
        _public_pages(journey)
        case_url = _intake(journey, today)
        _decision(journey, case_url)
        _assessment_and_conditions(journey, case_url, today)
        _caution(journey, case_url, today)
        _partner(journey, today)
        _breach_review(journey)
        _oversight(journey)
    except Exception:
        journey.keep_evidence()
        raise
    case = Case.objects.get(person__family_name="Ashdown")
    assert case.status == CaseStatus.ACTIVE
    assert Appointment.objects.get(referral__case=case).attendance == Attendance.ATTENDED
    print(f"axe-core checked {len(axe.pages)} pages: " + "; ".join(axe.pages))
    if axe.violations:
        pytest.fail(
            f"{len(axe.violations)} accessibility violations:\n" + "\n".join(map(str, axe.violations)),
            pytrace=False,
        )

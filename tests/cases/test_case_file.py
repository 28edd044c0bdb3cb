"""The case's file (issue 16): a header on every page (reference, name, status, key dates, the tabs) and
one page per tab (overview, conditions and referrals, assessment, timeline, documents, victim), each
scoped, audited and read in a fixed number of queries like the one long case page it replaces."""

import importlib.util
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory, UserFactory
from pytest_django.asserts import assertContains, assertNotContains

from assessments.models import Contribution, Pathway
from cases.events import EVENT_KINDS, EventCode, EventKind
from cases.models import CaseEvent, Offence, PersonAlias
from cases.rules import latest_proceedings_date
from cases.views import CASE_FILE_TABS
from conditions.models import AmountKind, ConditionKind, ConditionStatus, Prosecution, VariationKind
from conditions.services import condition_progress, variation_propose
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Evidence
from referrals.services import referral_send


def _conditions_conftest():
    """tests/conditions/conftest.py, loaded under a name of its own: its builders drive a case through
    the real services to each stage of the journey (as tests/referrals/conftest.py does)."""
    path = Path(__file__).resolve().parent.parent / "conditions" / "conftest.py"
    spec = importlib.util.spec_from_file_location("case_file_tests_condition_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_journey = _conditions_conftest()
partner_service = _journey.partner_service
terms = _journey.terms
default_conditions = _journey.default_conditions
caution_kwargs = _journey.caution_kwargs
eligible_case_for = _journey.eligible_case_for
assessed_case_for = _journey.assessed_case_for
agreed_case_for = _journey.agreed_case_for
active_case_for = _journey.active_case_for
active_case = _journey.active_case

TABS = [(name.split(":")[1], label) for _, label, name in CASE_FILE_TABS]
PAGES = [name for name, _ in TABS]
COMMON_ASSAULT = "Common assault"  # summary-only: the six-month limit applies


def page_url(page, case):
    return reverse(f"cases:{page}", args=[case.pk])


# --- Access: exactly as the case page always was -------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["case_worker", "decision_maker", "supervisor"])
def test_the_forces_police_open_every_page_of_the_case(client_for, request, active_case, page, who):
    response = client_for(request.getfixturevalue(who)).get(page_url(page, active_case))

    assert response.status_code == 200
    assertContains(response, "Daniel Whitmore")


@pytest.mark.parametrize("page", PAGES)
def test_another_forces_supervisor_is_told_the_case_does_not_exist(
    client_for, outsider_supervisor, active_case, page
):
    assert client_for(outsider_supervisor).get(page_url(page, active_case)).status_code == 404


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["practitioner", "partner_manager"])
def test_partners_are_told_the_case_does_not_exist(client_for, request, active_case, page, who):
    """Partners see referrals, never the case: a 404, as another force would get."""
    assert client_for(request.getfixturevalue(who)).get(page_url(page, active_case)).status_code == 404


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["analyst", "administrator"])
def test_analysts_and_administrators_are_refused_every_page_by_role(
    client_for, request, active_case, page, who
):
    """Analysts never see a name; an administrator sees no case data without a case role."""
    response = client_for(request.getfixturevalue(who)).get(page_url(page, active_case))

    assert response.status_code == 403
    assertNotContains(response, "Whitmore", status_code=403)


@pytest.mark.parametrize("page,label", TABS)
def test_each_page_records_the_viewing_in_the_audit_log_naming_the_tab(
    client_for, supervisor, force, active_case, page, label
):
    response = client_for(supervisor).get(page_url(page, active_case), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    viewed = AuditEvent.objects.for_record(active_case).filter(action=AuditAction.VIEWED, actor=supervisor)
    (event,) = viewed
    assert event.reason == ("Case record opened" if page == "detail" else f"Case record opened: {label}")
    assert (event.actor_organisation, event.owner_organisation) == (force, force)
    assert (event.ip_address, event.path) == ("203.0.113.7", page_url(page, active_case))


@pytest.mark.parametrize("page", PAGES)
def test_a_refused_page_records_no_viewing(
    client_for, outsider_supervisor, practitioner, analyst, active_case, page
):
    before = AuditEvent.objects.filter(action=AuditAction.VIEWED).count()
    for user in (outsider_supervisor, practitioner, analyst):
        client_for(user).get(page_url(page, active_case))

    assert AuditEvent.objects.filter(action=AuditAction.VIEWED).count() == before


# --- The header and the tabs ------------------------------------------------------------------------


def _headings(html):
    return [int(level) for level in re.findall(r"<h([1-6])\b", html)]


@pytest.mark.parametrize("page,label", TABS)
def test_each_page_has_the_header_and_marks_its_own_tab(client_for, case_worker, active_case, page, label):
    html = client_for(case_worker).get(page_url(page, active_case)).content.decode()

    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == f"{label} – Case {active_case.reference} – Offender Hub"
    assert 'class="moj-identity-bar app-case-header"' in html
    assert f"{active_case.reference}: Daniel Whitmore" in html
    assert '<strong class="govuk-tag govuk-tag--turquoise">Active</strong>' in html
    # The MoJ sub navigation: every tab by its name, the current one (only) marked.
    nav = re.search(r'<nav class="moj-sub-navigation" aria-label="Case file">(.*?)</nav>', html, re.S).group(
        1
    )
    links = re.findall(
        r'<a class="moj-sub-navigation__link"( aria-current="page")? href="([^"]+)">([^<]+)</a>', nav
    )
    assert [(href, text) for _, href, text in links] == [(page_url(p, active_case), text) for p, text in TABS]
    assert [text for current, _, text in links if current] == [label]


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_one_h1_and_headings_in_order(
    client_for, case_worker, decision_maker, active_case, page
):
    for user in (case_worker, decision_maker):
        levels = _headings(client_for(user).get(page_url(page, active_case)).content.decode())

        assert levels[0] == 1 and levels.count(1) == 1, levels
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_the_header_shows_the_key_dates(client_for, case_worker, active_case):
    caution = active_case.caution
    html = client_for(case_worker).get(page_url("victim", active_case)).content.decode()

    dates = dict(
        re.findall(
            r'<dt class="app-key-dates__key">([^<]+)</dt>\s*<dd class="app-key-dates__value">(.*?)</dd>',
            html,
            re.S,
        )
    )
    assert dates == {
        "Opened": f"{timezone.localtime(active_case.created_at):%-d %B %Y}",
        "Arrest or report": f"{active_case.arrest_date:%-d %B %Y}",
        "Eligibility decision": f"Eligible, {timezone.localdate():%-d %B %Y}",
        "Caution": f"{caution.administered_on:%-d %B %Y}",
        "Conditions to be met by": f"{caution.period_ends_on:%-d %B %Y}",
    }  # no six-month limit: assault occasioning actual bodily harm is either-way


def test_the_header_counts_the_days_left_before_the_six_month_limit(client_for, case_worker, active_case_for):
    offence_date = timezone.localdate() - timedelta(days=40)
    case = active_case_for(offence=COMMON_ASSAULT, offence_date=offence_date)
    limit = latest_proceedings_date(offence_date)
    days = (limit - timezone.localdate()).days

    html = client_for(case_worker).get(page_url("timeline", case)).content.decode()

    assert (
        '<dt class="app-key-dates__key">Six-month limit</dt>\n'
        f'          <dd class="app-key-dates__value">{limit:%-d %B %Y}<br><span class="govuk-body-s">'
        f"{days} days left</span></dd>"
    ) in html


def test_the_header_says_when_the_six_month_limit_has_passed(client_for, case_worker, force, area):
    case = CaseFactory(force=force, area=area, owner=case_worker)
    CaseOffenceFactory(
        case=case,
        offence=OffenceFactory(name=COMMON_ASSAULT),
        offence_date=timezone.localdate() - timedelta(days=200),
    )

    html = client_for(case_worker).get(page_url("documents", case)).content.decode()

    assert '<strong class="govuk-tag govuk-tag--red">Passed</strong>' in html
    assert "days left" not in html


def test_before_a_decision_and_a_caution_the_header_says_so(client_for, case_worker, force, area):
    case = CaseFactory(force=force, area=area, owner=case_worker)
    CaseOffenceFactory(case=case)

    html = client_for(case_worker).get(page_url("detail", case)).content.decode()

    assert '<dd class="app-key-dates__value">Not made yet</dd>' in html
    assert '<dd class="app-key-dates__value">Not given</dd>' in html
    assert "Conditions to be met by" not in html


# --- What each page holds ---------------------------------------------------------------------------


def test_the_overview_keeps_the_actions_and_leaves_the_other_tabs_content_to_them(
    client_for, supervisor, active_case
):
    response = client_for(supervisor).get(page_url("detail", active_case))

    for url in (
        reverse("cases:reassign", args=[active_case.pk]),
        reverse("retention:case_hold", args=[active_case.pk]),
        reverse("subjectaccess:case_access", args=[active_case.pk]),
        reverse("cases:person_detail", args=[active_case.person_id]),
    ):
        assertContains(response, f'href="{url}"')
    assertContains(response, "Eligibility decisions")
    assertNotContains(response, 'id="conditions-heading"')
    assert len(response.context["recent_events"]) == 5
    assertContains(response, f'href="{page_url("timeline", active_case)}"')


def test_the_overview_says_what_comes_next_and_where(
    client_for, case_worker, decision_maker, agreed_case_for
):
    case = agreed_case_for()
    caution_url = reverse("conditions:caution", args=[case.pk])

    decider = client_for(decision_maker).get(page_url("detail", case))
    worker = client_for(case_worker).get(page_url("detail", case))

    assertContains(decider, f'<a class="govuk-button" href="{caution_url}">Administer the caution</a>')
    assertNotContains(worker, caution_url)
    for response in (decider, worker):
        assertContains(response, "<strong>Next:</strong> The conditions are agreed")
        assertContains(response, f'href="{page_url("conditions", case)}">Go to conditions and referrals')


def test_the_conditions_page_holds_the_conditions_caution_referrals_and_their_actions(
    client_for, case_worker, decision_maker, active_case, partner_service
):
    condition = active_case.conditions.get(kind=ConditionKind.REHABILITATIVE)
    worker = client_for(case_worker).get(page_url("conditions", active_case))

    assertContains(worker, 'id="conditions-heading"')
    assertContains(worker, f"Caution administered on {active_case.caution.administered_on:%-d %B %Y}")
    assertContains(worker, reverse("conditions:caution_document", args=[active_case.pk]))
    assertContains(worker, f'href="{reverse("conditions:detail", args=[condition.pk])}"')
    assertContains(worker, f'href="{reverse("conditions:vary_new", args=[active_case.pk])}"')
    assertContains(worker, f'href="{reverse("conditions:breach_open", args=[active_case.pk])}"')
    assertContains(worker, f'href="{reverse("referrals:create", args=[active_case.pk])}">Make a referral')
    assertContains(worker, "No referrals yet.")
    assertNotContains(worker, "Eligibility decisions")


def test_a_variation_is_decided_from_the_conditions_page_and_comes_back_to_it(
    client_for, case_worker, decision_maker, active_case
):
    condition = active_case.conditions.get(kind=ConditionKind.REHABILITATIVE)
    variation = variation_propose(
        case_id=active_case.pk,
        actor=case_worker,
        variation_kind=VariationKind.NEW_DUE_DATE,
        condition_id=condition.pk,
        new_due_date=condition.due_date + timedelta(days=7),
        reason="Cancelled session.",
        person_consented=True,
        consented_on=timezone.localdate(),
    )
    client = client_for(decision_maker)

    page = client.get(page_url("conditions", active_case))
    assertContains(page, f'href="{reverse("conditions:variation_decide", args=[variation.pk])}"')
    form = client.get(reverse("conditions:variation_decide", args=[variation.pk]))
    assertContains(form, f'href="{page_url("conditions", active_case)}#variations"')


def test_the_assessment_page_shows_each_assessment_with_the_needs_it_found(
    client_for, case_worker, active_case
):
    response = client_for(case_worker).get(page_url("assessment", active_case))

    (assessment,) = response.context["assessments"]
    assertContains(response, f'href="{reverse("assessments:detail", args=[assessment.pk])}"')
    assertContains(response, "Drugs and alcohol")
    assertContains(response, "Accommodation")
    assertContains(response, "Start the end-of-period assessment")  # active: the final one can start
    assertNotContains(response, "Start the needs assessment")


def test_the_assessment_page_offers_to_start_the_initial_assessment(
    client_for, case_worker, eligible_case_for
):
    case = eligible_case_for()

    response = client_for(case_worker).get(page_url("assessment", case))

    assertContains(response, "No needs assessment yet.")
    assertContains(response, f'action="{reverse("assessments:start", args=[case.pk])}"')
    assertContains(response, "Start the needs assessment")


def test_the_documents_page_lists_the_signed_caution_and_the_partners_documents(
    client_for, case_worker, practitioner, active_case, partner_service
):
    evidence = _evidence(active_case, partner_service, case_worker, practitioner, 2)

    response = client_for(case_worker).get(page_url("documents", active_case))

    assertContains(response, f'href="{reverse("conditions:caution_document", args=[active_case.pk])}"')
    assert [e.pk for e in response.context["evidence"]] == [e.pk for e in reversed(evidence)]
    for item in evidence:
        assertContains(response, f'href="{reverse("referrals:evidence", args=[item.pk])}"')
    assertContains(response, "letter-2.pdf")


def test_the_documents_page_says_when_no_caution_was_given(client_for, case_worker, eligible_case_for):
    response = client_for(case_worker).get(page_url("documents", eligible_case_for()))

    assertContains(response, "No caution has been given.")
    assertContains(response, "None uploaded.")


def test_the_victim_page_shows_the_views_the_consent_and_the_amends(client_for, case_worker, active_case):
    type(active_case).objects.filter(pk=active_case.pk).update(
        victim_type="person",
        victim_views="Wants an apology.",
        victim_views_obtained_on=timezone.localdate() - timedelta(days=20),
        victim_rj_consent="consents",
    )

    response = client_for(case_worker).get(page_url("victim", active_case))

    assertContains(response, "Wants an apology.")
    assertContains(response, "Consents to restorative justice")
    assertContains(response, "Write a letter of apology to the door attendant")  # the reparative condition
    assertNotContains(response, "Attend the Compass alcohol awareness session")  # rehabilitative
    assertNotContains(response, f"/cases/{active_case.pk}/change/victim-views/")  # decided: closed


def test_the_victim_page_shows_when_the_victim_is_to_be_told_of_the_resumed_prosecution(
    client_for, case_worker, active_case
):
    from conditions.models import BreachReview

    review = BreachReview.objects.create(
        case=active_case,
        opened_by=case_worker,
        opened_reason="Missed the session.",
        decision_due_on=timezone.localdate(),
        status="breach_confirmed",
    )
    due = timezone.localdate() + timedelta(days=5)
    Prosecution.objects.create(case=active_case, breach_review=review, victim_notification_due_on=due)

    response = client_for(case_worker).get(page_url("victim", active_case))

    assertContains(response, f"By {due:%-d %B %Y}")


# --- After an action, back to the page that holds it ---------------------------------------------------


def test_removing_a_condition_and_agreeing_return_to_the_conditions_page(
    client_for, case_worker, assessed_case_for, terms
):
    from conditions.services import condition_add

    case = assessed_case_for()
    keep = condition_add(case_id=case.pk, actor=case_worker, **terms())
    drop = condition_add(case_id=case.pk, actor=case_worker, **terms(wording="Attend a second session"))
    client = client_for(case_worker)

    removed = client.post(reverse("conditions:remove", args=[drop.pk]), follow=True)
    agreed = client.post(reverse("conditions:agree", args=[case.pk]), follow=True)

    for response, message in ((removed, "Condition removed."), (agreed, "Conditions agreed.")):
        assert response.redirect_chain[-1][0] == page_url("conditions", case)
        assertContains(response, message)
    assert keep.pk in [c.pk for c in agreed.context["conditions"]]


# --- The timeline, by kind of event --------------------------------------------------------------------


def test_every_event_code_is_of_exactly_one_kind():
    kinds = [kind for kind, codes in EVENT_KINDS.items() for _ in codes]
    codes = [code for codes in EVENT_KINDS.values() for code in codes]

    assert sorted(codes) == sorted(EventCode.values)
    assert set(kinds) == set(EventKind)


def test_the_timeline_narrows_to_the_kinds_chosen_and_keeps_them_across_pages(
    client_for, case_worker, active_case
):
    client = client_for(case_worker)
    url = page_url("timeline", active_case)

    everything = client.get(url)
    conditions = client.get(url, {"kind": "conditions"})
    two = client.get(url, {"kind": ["conditions", "assessment"]})

    codes = {e.code for e in everything.context["events"]}
    assert {
        EventCode.DECISION_RECORDED,
        EventCode.ASSESSMENT_STARTED,
        EventCode.CAUTION_ADMINISTERED,
    } <= codes
    assert {e.code for e in conditions.context["events"]} == codes & EVENT_KINDS[EventKind.CONDITIONS]
    assert {e.code for e in two.context["events"]} == codes & (
        EVENT_KINDS[EventKind.CONDITIONS] | EVENT_KINDS[EventKind.ASSESSMENT]
    )
    checked = re.findall(r'value="([a-z]+)"\s*checked="checked"', conditions.content.decode())
    assert checked == ["conditions"]
    assertContains(conditions, "of the kinds chosen, newest first.")
    # An older page keeps the filter.
    CaseEvent.objects.bulk_create(
        CaseEvent(case=active_case, code=EventCode.CONDITION_CHANGED, summary=f"Change {i}")
        for i in range(60)
    )
    long = client.get(url, {"kind": "conditions"})
    assertContains(long, 'href="?kind=conditions&amp;page=2" rel="next"')
    assert all(
        e.code in EVENT_KINDS[EventKind.CONDITIONS]
        for e in client.get(url, {"kind": "conditions", "page": "2"}).context["events"]
    )


def test_the_timeline_filter_is_a_gov_uk_checkbox_group_of_every_kind(client_for, case_worker, active_case):
    html = client_for(case_worker).get(page_url("timeline", active_case)).content.decode()

    assert 'class="govuk-checkboxes' in html
    assert re.findall(r'<input[^>]*name="kind"[^>]*value="([a-z]+)"', html) == list(EventKind.values)
    assert "Kind of event" in html


def test_an_unknown_kind_is_shown_as_an_error_and_the_timeline_is_not_narrowed(
    client_for, case_worker, active_case
):
    response = client_for(case_worker).get(page_url("timeline", active_case), {"kind": "gossip"})

    assert response.status_code == 200
    assertContains(response, "govuk-error-summary")
    assert response.content.decode().count("<title>Error: Timeline") == 1
    assert len(response.context["events"]) == CaseEvent.objects.filter(case=active_case).count()


def test_a_kind_with_no_events_says_so(client_for, case_worker, active_case):
    response = client_for(case_worker).get(page_url("timeline", active_case), {"kind": "breach"})

    assertContains(response, "No events of the kinds chosen.")


# --- A fixed number of queries per page, whatever the size of the case ------------------------------
# Measured on PostgreSQL. Every page: the session, the user, their second-factor device and roles; the case
# with its header's records (person, scheme, area, case worker, caution, longer period, prosecution,
# current decision) in one query; its offences (the six-month limit); the audit row of the viewing (the
# chain head locked, the row); the inbox's unread count. Then each page's own reads, named beside it.
HEADER_QUERIES = 9
PAGE_QUERIES = {
    "detail": HEADER_QUERIES + 3,  # decisions, aliases, the latest events
    "conditions": HEADER_QUERIES + 5,  # conditions, breach reviews, variations, referrals, initial done
    "assessment": HEADER_QUERIES + 2,  # assessments with their contributions counted, their needs
    "timeline": HEADER_QUERIES + 1,  # a page of events
    "documents": HEADER_QUERIES + 1,  # the partners' documents
    "victim": HEADER_QUERIES + 1,  # the conditions that make amends
}


def _evidence(case, service, case_worker, practitioner, n):
    """``n`` documents a partner uploaded on a referral of the case (rows only: no page opens the file)."""
    referral = referral_send(
        case_id=case.pk,
        actor=case_worker,
        service=service,
        reason="Binge drinking.",
        desired_outcomes=["Agree a drinking goal"],
        due_date=timezone.localdate() + timedelta(days=28),
    )
    return [
        Evidence.objects.create(
            referral=referral,
            kind="letter",
            file=f"evidence/{referral.pk}/{i}",
            original_name=f"letter-{i + 1}.pdf",
            content_type="application/pdf",
            size=2048,
            sha256="0" * 64,
            uploaded_by=practitioner,
        )
        for i in range(n)
    ]


@pytest.fixture
def case_of_size(active_case_for, terms, case_worker, decision_maker, practitioner, partner_service, force):
    """``case_of_size(n)``: an active case with ``n`` conditions (a third reparative), the first failed
    (a breach review open) and a new due date proposed for the second, ``n`` offences, aliases,
    contributions to its assessment, documents from the partner and ``10 * n`` events."""

    def build(n):
        today = timezone.localdate()
        case = active_case_for(
            conditions=[
                terms(
                    kind=ConditionKind.REPARATIVE if i % 3 == 2 else ConditionKind.REHABILITATIVE,
                    wording=f"Attend session {i + 1} at Compass",
                    hours=Decimal("2"),
                    due_date=today + timedelta(days=20 + i),
                    amount_kind=AmountKind.NONE,
                )
                for i in range(n)
            ]
        )
        first, second = case.conditions.order_by("due_date")[:2]
        condition_progress(
            condition_id=first.pk, actor=case_worker, to=ConditionStatus.FAILED, notes="Missed."
        )
        variation_propose(
            case_id=case.pk,
            actor=case_worker,
            variation_kind=VariationKind.NEW_DUE_DATE,
            condition_id=second.pk,
            new_due_date=second.due_date + timedelta(days=7),
            reason="Cancelled session.",
            person_consented=True,
            consented_on=today,
        )
        for i, offence in enumerate(Offence.objects.filter(time_limit_applies=False).order_by("id")[: n - 1]):
            CaseOffenceFactory(case=case, offence=offence)
            PersonAlias.objects.create(person=case.person, given_names="Dan", family_name=f"Alias{n}{i}")
        assessment = case.assessments.get()
        for i in range(n):
            Contribution.objects.create(
                assessment=assessment,
                organisation=force,
                contributor_name=f"Contributor {i}",
                pathway=Pathway.ACCOMMODATION,
                text="Seen.",
                recorded_by=case_worker,
            )
        _evidence(case, partner_service, case_worker, practitioner, n)
        CaseEvent.objects.bulk_create(
            CaseEvent(case=case, code=EventCode.CONDITION_RECORD, summary=f"Note {i}", actor=case_worker)
            for i in range(10 * n)
        )
        return case

    return build


@pytest.mark.parametrize("page", PAGES)
def test_each_page_reads_the_same_fixed_number_of_queries_for_a_small_or_a_large_case(
    client_for, case_worker, case_of_size, page, django_assert_num_queries
):
    small, large = case_of_size(2), case_of_size(8)
    client = client_for(case_worker)
    client.get(page_url(page, small))  # the session's first request writes what later ones do not

    for case in (small, large):
        with django_assert_num_queries(PAGE_QUERIES[page]):
            response = client.get(page_url(page, case))
        assert response.status_code == 200


def test_the_large_case_fills_every_page(client_for, case_worker, case_of_size):
    """The sizes above are real: each page shows the large case's many rows."""
    case = case_of_size(8)
    client = client_for(case_worker)

    assert len(client.get(page_url("conditions", case)).context["conditions"]) == 8
    assert len(client.get(page_url("detail", case)).context["aliases"]) == 7
    assert client.get(page_url("assessment", case)).context["assessments"][0].contribution_count == 8
    assert len(client.get(page_url("documents", case)).context["evidence"]) == 8
    assert len(client.get(page_url("victim", case)).context["victim_conditions"]) == 2
    assert len(client.get(page_url("timeline", case)).context["events"]) == 50


def test_assessment_start_from_its_page(client_for, case_worker, eligible_case_for):
    """Starting the needs assessment from its page still goes to the assessment (nothing lost)."""
    case = eligible_case_for()

    response = client_for(case_worker).post(reverse("assessments:start", args=[case.pk]), {"kind": "initial"})

    assert response.status_code == 302
    assert case.assessments.count() == 1


def test_a_new_case_workers_first_view_of_each_page_works(client_for, force, area, active_case):
    """Any case worker of the force, not only the case's own, opens the case's pages."""
    other = UserFactory(organisation=force, area=area, roles=[Role.CASE_WORKER])
    for page in PAGES:
        assert client_for(other).get(page_url(page, active_case)).status_code == 200

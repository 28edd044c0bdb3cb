"""The scheme's heart through the web forms (DESIGN.md, journey steps 3-7): the needs assessment, the
conditions, the caution and its signed PDF, a condition completed and another failed, the breach review
confirmed and the prosecution resumed; and a second case diverted from prosecution. Confirming the same
breach twice, by a double submit or by two decision-makers at once, resumes the prosecution once."""

import io
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from factories import ABH, UserFactory
from pypdf import PdfReader
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects
from two_factor_support import force_login_verified

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, NeedLevel, Pathway
from cases.events import EventCode
from cases.models import CaseEvent, CaseStatus
from conditions.models import (
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionKind,
    ConditionStatus,
    Prosecution,
    ProsecutionOutcome,
)
from offenderhub.accounts.models import Role

COURSE = "Attend the Compass alcohol awareness course on two Tuesday evenings and complete it"
APOLOGY = "Write a letter of apology to the door attendant and hand it to the case worker"


# --- What the forms post ----------------------------------------------------------------------------
def date_fields(name, day=None) -> dict:
    """A GOV.UK date input: day, month and year fields (blank without a date)."""
    if day is None:
        return {f"{name}_0": "", f"{name}_1": "", f"{name}_2": ""}
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def assessment_data(*, then, goals="Stop drinking before nights out; keep my job.", **levels) -> dict:
    """A POST to the assessment page: every pathway at "none" unless given as ``pathway=(level,
    notes)``, then ``then`` ("save" or "complete")."""
    data = {
        "goals": goals,
        "risk_flags": ["risk_to_staff"],
        "risk_notes": "Once shouted at staff.",
        "then": then,
    }
    for pathway in Pathway.values:
        level, notes = levels.get(pathway, (NeedLevel.NONE, ""))
        data[f"level_{pathway}"] = str(int(level))
        data[f"notes_{pathway}"] = notes
    return data


def condition_data(
    *, wording, kind, due_date, responsible_organisation, owner=None, hours="", **extra
) -> dict:
    data = {
        "template": "",
        "kind": kind,
        "wording": wording,
        "responsible_organisation": responsible_organisation.pk,
        "owner": owner.pk if owner else "",
        "hours": hours,
        "amount_kind": "",
        "amount": "",
        **date_fields("due_date", due_date),
    }
    data.update(extra)
    return data


def caution_data(token, *, administered_on=None) -> dict:
    return {
        "submission_token": token,
        "place": "Parkside Police Station",
        "admission_words": "I pushed the door attendant and he fell over.",
        "effect_explained": "on",
        "warning_given": "on",
        "consented": "on",
        "signed": "on",
        "interpreter": "",
        "appropriate_adult": "",
        **date_fields("administered_on", administered_on or timezone.localdate()),
    }


def progress_data(to, notes="") -> dict:
    return {"to": to, "notes": notes, **date_fields("on")}


def breach_confirmation(condition) -> dict:
    return {
        "breached_conditions": [condition.pk],
        "person_account": "Said he forgot both sessions; no reason given for the second.",
        "alternatives_tried": "Reminder letter and a phone call before the second session.",
        "outcome": "breach_confirmed",
        "person_consented": "",
        "rationale": "Two sessions missed without excuse after reminders.",
        **date_fields("new_due_date"),
    }


def _codes(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("code", flat=True))


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- Steps through the pages, each checking the database afterwards ------------------------------------
def _assess(client, case) -> Assessment:
    """Start the initial assessment from the case page, save a draft, then complete it."""
    response = client.post(reverse("assessments:start", args=[case.pk]), {"kind": "initial"})

    assessment = Assessment.objects.get(case=case)
    url = reverse("assessments:detail", args=[assessment.pk])
    assertRedirects(response, url, fetch_redirect_response=False)
    assert (assessment.kind, assessment.status) == (AssessmentKind.INITIAL, AssessmentStatus.DRAFT)
    assert client.get(url).status_code == 200

    needs = {
        "drugs_alcohol": (NeedLevel.HIGH, "Binge drinking at weekends."),
        "accommodation": (NeedLevel.MEDIUM, "Staying with a friend."),
    }
    response = client.post(url, assessment_data(then="save", **needs))

    assertRedirects(response, url, fetch_redirect_response=False)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.risk_flags == ["risk_to_staff"]
    levels = dict(assessment.needs.values_list("pathway", "level"))
    assert (levels["drugs_alcohol"], levels["accommodation"], levels["gambling"]) == (3, 2, 0)

    response = client.post(url, assessment_data(then="complete", **needs))

    assertRedirects(response, url, fetch_redirect_response=False)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.goals == "Stop drinking before nights out; keep my job."
    return assessment


def _add_condition(client, case, **terms) -> Condition:
    before = set(Condition.objects.filter(case=case).values_list("pk", flat=True))
    response = client.post(reverse("conditions:add", args=[case.pk]), condition_data(**terms))

    assertRedirects(response, reverse("cases:conditions", args=[case.pk]), fetch_redirect_response=False)
    (condition,) = Condition.objects.filter(case=case).exclude(pk__in=before)
    assert (condition.wording, condition.due_date, condition.status) == (
        terms["wording"],
        terms["due_date"],
        ConditionStatus.PENDING,
    )
    return condition


def _agree(client, case):
    response = client.post(reverse("conditions:agree", args=[case.pk]))

    assertRedirects(response, reverse("cases:conditions", args=[case.pk]), fetch_redirect_response=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.CONDITIONS_AGREED


def _caution(client, case) -> Caution:
    url = reverse("conditions:caution", args=[case.pk])
    form = client.get(url)
    assert form.status_code == 200
    token = form.context["form"].initial["submission_token"]

    response = client.post(url, caution_data(token))

    assertRedirects(response, reverse("cases:conditions", args=[case.pk]), fetch_redirect_response=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    return Caution.objects.get(case=case)


def _progress(client, condition, to, notes=""):
    response = client.post(reverse("conditions:progress", args=[condition.pk]), progress_data(to, notes))

    assertRedirects(
        response, reverse("conditions:detail", args=[condition.pk]), fetch_redirect_response=False
    )
    condition.refresh_from_db()
    assert condition.status == to


def _two_conditions(client, case, agency, case_worker, force):
    today = timezone.localdate()
    course = _add_condition(
        client,
        case,
        wording=COURSE,
        kind=ConditionKind.REHABILITATIVE,
        due_date=today + timedelta(days=42),
        responsible_organisation=agency,
        hours="4",
        needs_referral="on",
    )
    apology = _add_condition(
        client,
        case,
        wording=APOLOGY,
        kind=ConditionKind.REPARATIVE,
        due_date=today + timedelta(days=14),
        responsible_organisation=force,
        owner=case_worker,
    )
    return course, apology


# --- The journey --------------------------------------------------------------------------------------
def test_assessment_to_resumed_prosecution_through_the_forms(
    client_for, eligible_case, case_worker, decision_maker, agency, force, partner_service
):
    case = eligible_case
    worker, decider = client_for(case_worker), client_for(decision_maker)

    assessment = _assess(worker, case)
    page = worker.get(reverse("assessments:detail", args=[assessment.pk]))
    assertContains(page, partner_service.name)  # suggested for the drink need, in the case's area

    course, apology = _two_conditions(worker, case, agency, case_worker, force)
    _agree(worker, case)
    caution = _caution(decider, case)

    assert caution.administered_by == decision_maker
    assert caution.administered_on == timezone.localdate()
    assert caution.period_ends_on == timezone.localdate() + timedelta(
        days=case.scheme.compliance_period_default_days
    )

    document = worker.get(reverse("conditions:caution_document", args=[case.pk]))

    assert document.status_code == 200
    assert document["Content-Type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    text = _pdf_text(document.content)
    assert "Daniel Whitmore" in text
    assert ABH in text
    for wording in (COURSE, APOLOGY):
        assert wording in text

    _progress(
        worker, apology, ConditionStatus.COMPLETE, "Letter seen and passed to the victim liaison officer."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE  # one condition still to be met

    _progress(worker, course, ConditionStatus.FAILED, "Missed both sessions.")

    review = BreachReview.objects.get(case=case)
    assert review.status == BreachStatus.OPEN
    assert list(review.conditions.all()) == [course]
    assert review.decision_due_on == timezone.localdate() + timedelta(days=case.scheme.breach_decision_days)
    case.refresh_from_db()
    assert case.status == CaseStatus.BREACH_REVIEW

    review_url = reverse("conditions:breach_review", args=[review.pk])
    assertContains(decider.get(review_url), "Record the decision")
    response = decider.post(review_url, breach_confirmation(course))

    assertRedirects(response, reverse("cases:detail", args=[case.pk]), fetch_redirect_response=False)
    review.refresh_from_db()
    assert (review.status, review.decided_by, review.reasonable_excuse) == (
        BreachStatus.BREACH_CONFIRMED,
        decision_maker,
        False,
    )
    assert list(review.breached_conditions.all()) == [course]
    prosecution = Prosecution.objects.get(case=case)
    assert (prosecution.breach_review, prosecution.resumed_by) == (review, decision_maker)
    assert prosecution.outcome == ProsecutionOutcome.PENDING
    assert prosecution.latest_proceedings_date is None  # either-way offence: no six-month limit
    caution.refresh_from_db()
    assert caution.ceased_on == timezone.localdate()
    case.refresh_from_db()
    assert case.status == CaseStatus.PROSECUTION_RESUMED

    codes = _codes(case)
    assert codes[codes.index(EventCode.ASSESSMENT_STARTED) :] == [
        EventCode.ASSESSMENT_STARTED,
        EventCode.ASSESSMENT_COMPLETED,
        EventCode.CONDITION_ADDED,
        EventCode.CONDITION_ADDED,
        EventCode.CONDITIONS_AGREED,
        EventCode.CAUTION_ADMINISTERED,
        EventCode.CONDITION_COMPLETED,
        EventCode.CONDITION_FAILED,
        EventCode.BREACH_REVIEW_OPENED,
        EventCode.BREACH_CONFIRMED,
        EventCode.CONDITION_BREACHED,
        EventCode.PROSECUTION_RESUMED,
    ]

    # The overview: the resumed prosecution, which can be updated.
    page = worker.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    assertContains(page, 'id="prosecution-heading"')
    assertContains(page, f"the caution ceased to have effect on {timezone.localdate():%-d %B %Y}")
    assertContains(page, reverse("conditions:prosecution", args=[case.pk]))  # the record can be updated
    # Conditions and referrals: the caution and the breach review, decided.
    page = worker.get(reverse("cases:conditions", args=[case.pk]))
    assertContains(page, f'href="{review_url}"')
    assertContains(page, "Breach confirmed</strong>")
    assertContains(page, f"Caution administered on {caution.administered_on:%-d %B %Y}")
    # The timeline: every step, in words.
    page = worker.get(reverse("cases:timeline", args=[case.pk]))
    assertContains(page, "Prosecution resumed; the caution ceased to have effect")
    assertContains(page, "Breach confirmed: Attend the Compass alcohol awareness course")
    assertContains(page, f"Breach review opened; a decision is due by {review.decision_due_on:%-d %B %Y}")
    assertContains(page, "Condition completed: Write a letter of apology")
    assertContains(page, "Condition failed: Attend the Compass alcohol awareness course")
    assertContains(page, "Condition breached: Attend the Compass alcohol awareness course")
    page = worker.get(reverse("cases:conditions", args=[case.pk]))
    assertContains(page, '<strong class="govuk-tag govuk-tag--red">Breached</strong>')


def test_a_case_whose_conditions_are_all_met_completes_diverted_from_prosecution(
    client_for, eligible_case, case_worker, decision_maker, agency, force
):
    case = eligible_case
    worker = client_for(case_worker)
    _assess(worker, case)
    course, apology = _two_conditions(worker, case, agency, case_worker, force)
    _agree(worker, case)
    _caution(client_for(decision_maker), case)

    _progress(worker, course, ConditionStatus.IN_PROGRESS)
    _progress(worker, course, ConditionStatus.COMPLETE, "Certificate of attendance seen.")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE

    _progress(worker, apology, ConditionStatus.COMPLETE, "Letter seen.")

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    completed = CaseEvent.objects.get(case=case, code=EventCode.CASE_COMPLETED)
    assert (completed.actor, completed.status_before, completed.status_after) == (
        case_worker,
        CaseStatus.ACTIVE,
        CaseStatus.COMPLETED,
    )
    assert not BreachReview.objects.filter(case=case).exists()
    assert not Prosecution.objects.filter(case=case).exists()
    page = worker.get(reverse("cases:detail", args=[case.pk]))
    assertContains(page, "Every condition complete: the case is completed and diverted from prosecution")
    assertNotContains(page, 'id="prosecution-heading"')
    assertNotContains(worker.get(reverse("cases:conditions", args=[case.pk])), 'id="breach-heading"')


# --- Confirming the same breach twice ---------------------------------------------------------------
def _failed_course(worker, active_case):
    """The case worker records the rehabilitative condition failed, which opens a breach review."""
    course = active_case.conditions.get(kind=ConditionKind.REHABILITATIVE)
    _progress(worker, course, ConditionStatus.FAILED, "Missed the session.")
    return course, BreachReview.objects.get(case=active_case)


def test_submitting_the_breach_confirmation_twice_resumes_the_prosecution_once(
    client_for, active_case, case_worker, decision_maker
):
    course, review = _failed_course(client_for(case_worker), active_case)
    decider = client_for(decision_maker)
    url = reverse("conditions:breach_review", args=[review.pk])

    first = decider.post(url, breach_confirmation(course))
    second = decider.post(url, breach_confirmation(course))

    for response in (first, second):
        assertRedirects(
            response, reverse("cases:detail", args=[active_case.pk]), fetch_redirect_response=False
        )
    assert Prosecution.objects.filter(case=active_case).count() == 1
    assert _codes(active_case).count(EventCode.BREACH_CONFIRMED) == 1
    assert _codes(active_case).count(EventCode.PROSECUTION_RESUMED) == 1
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_decision_makers_confirming_through_the_form_at_once_resume_one_prosecution(
    client_for, active_case, case_worker, force
):
    course, review = _failed_course(client_for(case_worker), active_case)
    url = reverse("conditions:breach_review", args=[review.pk])
    clients = []
    for _ in range(2):
        client = force_login_verified(Client(), UserFactory(organisation=force, roles=[Role.DECISION_MAKER]))
        clients.append(client)
    start = threading.Barrier(len(clients))
    statuses = []

    def confirm(client):
        try:
            start.wait(timeout=10)
            statuses.append(client.post(url, breach_confirmation(course)).status_code)
        except Exception as exc:  # reported by the assertion below
            statuses.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert statuses == [302, 302]
    assert Prosecution.objects.filter(case=active_case).count() == 1
    assert CaseEvent.objects.filter(case=active_case, code=EventCode.PROSECUTION_RESUMED).count() == 1
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.PROSECUTION_RESUMED

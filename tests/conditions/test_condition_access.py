"""Who may use the assessment, condition, caution, variation and breach pages (STYLE.md, Access): the
role the action needs succeeds; another police role gets 403; a partner agency and another force are
told the record does not exist (404); a commissioner's analyst and an administrator have no case pages
(403). And the case page reads the compliance sections in a fixed number of queries."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from assessments.models import Assessment, AssessmentStatus, NeedLevel, Pathway
from assessments.services import assessment_start
from cases.models import CaseStatus
from conditions.models import (
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionKind,
    ConditionStatus,
    PeriodExtension,
    Prosecution,
    VariationKind,
    VariationStatus,
)
from conditions.services import breach_review_decide, condition_progress, variation_propose
from offenderhub.audit.models import AuditAction, AuditEvent

# Partner staff are let past the role check and told the case's records do not exist; a commissioner's
# analyst and an administrator have no role that opens a case page.
NO_CASE_RECORDS = [("practitioner", 404), ("partner_manager", 404), ("analyst", 403), ("administrator", 403)]


def date_fields(name, day=None) -> dict:
    if day is None:
        return {f"{name}_0": "", f"{name}_1": "", f"{name}_2": ""}
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def _refusal(response):
    """What a form page said when it refused, to explain an unexpected status."""
    context = getattr(response, "context", None)
    form = context.get("form") if context is not None else None
    return dict(form.errors) if form is not None else response.status_code


def _as(request, client_for, who):
    return client_for(request.getfixturevalue(who))


def _course(case):
    return case.conditions.get(kind=ConditionKind.REHABILITATIVE)


@pytest.fixture
def open_review(active_case, case_worker):
    """The rehabilitative condition failed: a breach review is open."""
    condition_progress(
        condition_id=_course(active_case).pk, actor=case_worker, to=ConditionStatus.FAILED, notes="Missed it."
    )
    return BreachReview.objects.get(case=active_case)


def _confirmation(review):
    return {
        "breached_conditions": [c.pk for c in review.conditions.all()],
        "person_account": "Said he forgot.",
        "alternatives_tried": "A reminder letter and a phone call.",
        "outcome": "breach_confirmed",
        "rationale": "Missed without excuse after reminders.",
        **date_fields("new_due_date"),
    }


@pytest.fixture
def review_awaiting_countersignature(scheme, open_review, decision_maker):
    scheme.breach_countersignature_required = True
    scheme.save(update_fields=["breach_countersignature_required"])
    breach_review_decide(
        review_id=open_review.pk,
        actor=decision_maker,
        outcome=BreachOutcome.BREACH_CONFIRMED,
        breached_condition_ids=[c.pk for c in open_review.conditions.all()],
        person_account="Said he forgot.",
        alternatives_tried="A reminder letter and a phone call.",
        reasonable_excuse=False,
        rationale="Missed without excuse after reminders.",
    )
    open_review.refresh_from_db()
    assert open_review.status == BreachStatus.AWAITING_COUNTERSIGNATURE
    return open_review


@pytest.fixture
def proposed_variation(active_case, case_worker):
    course = _course(active_case)
    return variation_propose(
        case_id=active_case.pk,
        actor=case_worker,
        variation_kind=VariationKind.NEW_DUE_DATE,
        condition_id=course.pk,
        new_due_date=course.due_date + timedelta(days=7),
        reason="The course was cancelled this month.",
        person_consented=True,
        consented_on=timezone.localdate(),
    )


@pytest.fixture
def draft_assessment(eligible_case, case_worker):
    return assessment_start(case_id=eligible_case.pk, actor=case_worker)


def _caution_post():
    return {
        "submission_token": str(uuid.uuid4()),
        "place": "Parkside Police Station",
        "admission_words": "I pushed him.",
        "effect_explained": "on",
        "warning_given": "on",
        "consented": "on",
        "signed": "on",
        **date_fields("administered_on", timezone.localdate()),
    }


def _condition_post(case_worker):
    return {
        "kind": ConditionKind.REPARATIVE,
        "wording": "Write a letter of apology to the door attendant",
        "responsible_organisation": case_worker.organisation_id,
        "owner": case_worker.pk,
        **date_fields("due_date", timezone.localdate() + timedelta(days=14)),
    }


def _assessment_post():
    data = {"goals": "Keep my job.", "risk_notes": "", "then": "save"}
    for pathway in Pathway.values:
        data[f"level_{pathway}"] = str(NeedLevel.HIGH if pathway == "drugs_alcohol" else NeedLevel.NONE)
        data[f"notes_{pathway}"] = ""
    return data


# --- Administering the caution --------------------------------------------------------------------------
def test_a_decision_maker_administers_the_caution(client_for, agreed_case, decision_maker):
    client = client_for(decision_maker)
    url = reverse("conditions:caution", args=[agreed_case.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _caution_post())

    assert response.status_code == 302, _refusal(response)
    assert Caution.objects.get(case=agreed_case).administered_by == decision_maker
    agreed_case.refresh_from_db()
    assert agreed_case.status == CaseStatus.ACTIVE


@pytest.mark.parametrize(
    ("who", "status"),
    [("case_worker", 403), ("supervisor", 403), ("outsider_decision_maker", 404), *NO_CASE_RECORDS],
)
def test_only_the_forces_decision_makers_administer_the_caution(
    request, client_for, agreed_case, who, status
):
    client = _as(request, client_for, who)
    url = reverse("conditions:caution", args=[agreed_case.pk])

    assert client.get(url).status_code == status
    assert client.post(url, _caution_post()).status_code == status

    assert not Caution.objects.exists()
    agreed_case.refresh_from_db()
    assert agreed_case.status == CaseStatus.CONDITIONS_AGREED


# --- The signed caution document ------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["case_worker", "decision_maker", "supervisor"])
def test_the_forces_police_staff_open_the_caution_document_and_it_is_audited(
    request, client_for, active_case, who
):
    user = request.getfixturevalue(who)

    response = client_for(user).get(reverse("conditions:caution_document", args=[active_case.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    caution = active_case.caution
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEWED, actor=user, object_id=str(caution.pk), content_type__model="caution"
    ).exists()


@pytest.mark.parametrize(("who", "status"), [("outsider_supervisor", 404), *NO_CASE_RECORDS])
def test_others_cannot_open_the_caution_document(request, client_for, active_case, who, status):
    response = _as(request, client_for, who).get(
        reverse("conditions:caution_document", args=[active_case.pk])
    )

    assert response.status_code == status
    assert response["Content-Type"] != "application/pdf"
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED, content_type__model="caution").exists()


# --- Deciding a variation --------------------------------------------------------------------------------
def test_a_decision_maker_approves_a_variation(client_for, proposed_variation, decision_maker):
    url = reverse("conditions:variation_decide", args=[proposed_variation.pk])
    client = client_for(decision_maker)

    assert client.get(url).status_code == 200
    response = client.post(url, {"approve": "yes", "notes": ""})

    assert response.status_code == 302, _refusal(response)
    proposed_variation.refresh_from_db()
    assert (proposed_variation.status, proposed_variation.decided_by) == (
        VariationStatus.APPROVED,
        decision_maker,
    )
    assert Condition.objects.get(pk=proposed_variation.condition_id).status == ConditionStatus.SUPERSEDED


@pytest.mark.parametrize(
    ("who", "status"),
    [("case_worker", 403), ("supervisor", 403), ("outsider_decision_maker", 404), *NO_CASE_RECORDS],
)
def test_only_the_forces_decision_makers_decide_a_variation(
    request, client_for, proposed_variation, who, status
):
    client = _as(request, client_for, who)
    url = reverse("conditions:variation_decide", args=[proposed_variation.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"approve": "yes", "notes": ""}).status_code == status

    proposed_variation.refresh_from_db()
    assert proposed_variation.status == VariationStatus.PROPOSED
    assert Condition.objects.filter(status=ConditionStatus.SUPERSEDED).count() == 0


# --- Deciding a breach review ----------------------------------------------------------------------------
def test_a_decision_maker_confirms_a_breach(client_for, open_review, decision_maker):
    response = client_for(decision_maker).post(
        reverse("conditions:breach_review", args=[open_review.pk]), _confirmation(open_review)
    )

    assert response.status_code == 302, _refusal(response)
    open_review.refresh_from_db()
    assert open_review.status == BreachStatus.BREACH_CONFIRMED
    assert Prosecution.objects.filter(case=open_review.case).count() == 1


@pytest.mark.parametrize("who", ["case_worker", "supervisor"])
def test_other_police_roles_read_the_breach_review_but_cannot_decide_it(
    request, client_for, open_review, who
):
    client = _as(request, client_for, who)
    url = reverse("conditions:breach_review", args=[open_review.pk])

    page = client.get(url)
    assertContains(page, "Breach review")
    assert "Record the decision" not in page.content.decode()
    assert client.post(url, _confirmation(open_review)).status_code == 403

    open_review.refresh_from_db()
    assert open_review.status == BreachStatus.OPEN
    assert not Prosecution.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("outsider_decision_maker", 404), *NO_CASE_RECORDS])
def test_others_cannot_see_or_decide_a_breach_review(request, client_for, open_review, who, status):
    client = _as(request, client_for, who)
    url = reverse("conditions:breach_review", args=[open_review.pk])

    assert client.get(url).status_code == status
    assert client.post(url, _confirmation(open_review)).status_code == status

    open_review.refresh_from_db()
    assert open_review.status == BreachStatus.OPEN
    assert not Prosecution.objects.exists()


# --- Countersigning a confirmed breach -------------------------------------------------------------------
def test_a_supervisor_countersigns_a_confirmed_breach(
    client_for, review_awaiting_countersignature, supervisor
):
    review = review_awaiting_countersignature
    response = client_for(supervisor).post(
        reverse("conditions:countersign", args=[review.pk]), {"agree": "yes", "notes": ""}
    )

    assert response.status_code == 302, _refusal(response)
    review.refresh_from_db()
    assert (review.status, review.countersigned_by) == (BreachStatus.BREACH_CONFIRMED, supervisor)
    assert Prosecution.objects.filter(case=review.case).count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("case_worker", 403), ("decision_maker", 403), ("outsider_supervisor", 404), *NO_CASE_RECORDS],
)
def test_only_the_forces_supervisors_countersign(
    request, client_for, review_awaiting_countersignature, who, status
):
    review = review_awaiting_countersignature
    client = _as(request, client_for, who)
    url = reverse("conditions:countersign", args=[review.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"agree": "yes", "notes": ""}).status_code == status

    review.refresh_from_db()
    assert review.status == BreachStatus.AWAITING_COUNTERSIGNATURE
    assert not Prosecution.objects.exists()


# --- A longer completion period ----------------------------------------------------------------------------
def test_a_supervisor_approves_a_longer_period(client_for, eligible_case, supervisor):
    days = eligible_case.scheme.compliance_period_max_days
    response = client_for(supervisor).post(
        reverse("conditions:extend", args=[eligible_case.pk]),
        {"days": days, "reason": "Course runs in spring."},
    )

    assert response.status_code == 302, _refusal(response)
    extension = PeriodExtension.objects.get(case=eligible_case)
    assert (extension.days, extension.approved_by) == (days, supervisor)


@pytest.mark.parametrize(
    ("who", "status"),
    [("case_worker", 403), ("decision_maker", 403), ("outsider_supervisor", 404), *NO_CASE_RECORDS],
)
def test_only_the_forces_supervisors_approve_a_longer_period(request, client_for, eligible_case, who, status):
    client = _as(request, client_for, who)
    url = reverse("conditions:extend", args=[eligible_case.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"days": 140, "reason": "Course runs in spring."}).status_code == status

    assert not PeriodExtension.objects.exists()


# --- Adding a condition ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["case_worker", "decision_maker", "supervisor"])
def test_the_forces_police_staff_add_a_condition(request, client_for, eligible_case, case_worker, who):
    client = _as(request, client_for, who)
    url = reverse("conditions:add", args=[eligible_case.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _condition_post(case_worker))

    assert response.status_code == 302, _refusal(response)
    assert Condition.objects.get(case=eligible_case).created_by == request.getfixturevalue(who)


@pytest.mark.parametrize(("who", "status"), [("outsider_supervisor", 404), *NO_CASE_RECORDS])
def test_others_cannot_add_a_condition(request, client_for, eligible_case, case_worker, who, status):
    client = _as(request, client_for, who)
    url = reverse("conditions:add", args=[eligible_case.pk])

    assert client.get(url).status_code == status
    assert client.post(url, _condition_post(case_worker)).status_code == status

    assert not Condition.objects.exists()


# --- The needs assessment -------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["case_worker", "decision_maker", "supervisor"])
def test_the_forces_police_staff_open_and_save_the_assessment(request, client_for, draft_assessment, who):
    client = _as(request, client_for, who)
    url = reverse("assessments:detail", args=[draft_assessment.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _assessment_post())

    assert response.status_code == 302, _refusal(response)
    draft_assessment.refresh_from_db()
    assert draft_assessment.goals == "Keep my job."
    assert draft_assessment.needs.get(pathway="drugs_alcohol").level == NeedLevel.HIGH


@pytest.mark.parametrize(("who", "status"), [("outsider_supervisor", 404), *NO_CASE_RECORDS])
def test_others_cannot_open_or_change_the_assessment(request, client_for, draft_assessment, who, status):
    client = _as(request, client_for, who)
    url = reverse("assessments:detail", args=[draft_assessment.pk])

    assert client.get(url).status_code == status
    assert client.post(url, _assessment_post()).status_code == status
    assert client.post(url, {**_assessment_post(), "then": "complete"}).status_code == status

    assessment = Assessment.objects.get(pk=draft_assessment.pk)
    assert (assessment.goals, assessment.status) == ("", AssessmentStatus.DRAFT)
    assert not assessment.needs.exclude(level=NeedLevel.NONE).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED, content_type__model="assessment").exists()


# --- The case's "Conditions and referrals" page: a fixed number of queries -----------------------------
# Measured on PostgreSQL: session, user, second-factor device, roles; the case with its caution, longer
# period, prosecution and current decision; its offences; conditions, breach reviews, variations,
# referrals and whether the initial assessment is complete; the audit row of the viewing (chain head,
# row); the unread count. It must not grow with the number of conditions (the other pages of the case:
# tests/cases/test_case_file.py).
CONDITIONS_PAGE_QUERIES = 14


@pytest.fixture
def case_with_conditions(active_case_for, terms, case_worker):
    """``case_with_conditions(n)``: an active case with ``n`` rehabilitative conditions, the first
    failed (a breach review open), a new due date proposed for the second."""

    def build(n):
        today = timezone.localdate()
        case = active_case_for(
            conditions=[
                terms(
                    wording=f"Attend session {i + 1} at Compass",
                    hours=Decimal("2"),
                    due_date=today + timedelta(days=20 + i),
                )
                for i in range(n)
            ]
        )
        first, second = case.conditions.order_by("due_date")[:2]
        condition_progress(
            condition_id=first.pk, actor=case_worker, to=ConditionStatus.FAILED, notes="Missed it."
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
        return case

    return build


def test_the_conditions_page_reads_the_same_number_of_queries_for_two_or_eight_conditions(
    client_for, case_with_conditions, case_worker, django_assert_num_queries
):
    few, many = case_with_conditions(2), case_with_conditions(8)
    client = client_for(case_worker)
    counts = {}

    for case in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("cases:conditions", args=[case.pk]))
        assert response.status_code == 200
        assert len(response.context["conditions"]) == case.conditions.count()
        assertContains(response, "Attend session 2 at Compass")
        counts[case.conditions.count()] = len(queries)

    assert counts[2] == counts[8], counts
    with django_assert_num_queries(CONDITIONS_PAGE_QUERIES):
        client.get(reverse("cases:conditions", args=[many.pk]))

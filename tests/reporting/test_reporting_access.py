"""Who may see the reports, and what they never see: analysts see no names anywhere (dashboard,
exports, the case extract); partners and other roles get 403; a supervisor sees their own force only;
every export is audited; a CSV cannot carry a spreadsheet formula (issue 7)."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import AreaFactory, SchemeFactory
from reporting_support import ADMISSION_WORDS, CIRCUMSTANCES, RATIONALE, body, csv_rows, extract_download

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, NeedLevel, Pathway, PathwayNeed
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.selectors import audit_event_list_for
from referrals.models import Referral, Service
from reporting.pseudonyms import pseudonym
from reporting.services import csv_safe
from reporting.views import DashboardExportView

EXPORTS = [reverse("reporting:export", args=[table]) for table in DashboardExportView.TABLES]
EXTRACT = reverse("reporting:extract")
DASHBOARD = reverse("reporting:dashboard")

GOALS = "Get my job back at the Red Lion"
REFERRAL_REASON = "Drinks most nights at home, 14 Mill Lane, since losing his job."


@pytest.fixture
def named_person(build):
    """A person whose every identifying detail is distinctive, with two cases (one breached, one
    completed and assessed and referred) and all the free text a case carries."""
    person = build.person(
        given_names="Zebedee",
        family_name="Quartermaine",
        date_of_birth=date(1990, 5, 17),
        pnc_id="07/0123456K",
        address="14 Mill Lane, Fenchester",
        postcode="FN1 2AB",
        phone="07700 900123",
        email="zebedee@example.com",
        ethnicity="W1",
    )
    return person


@pytest.fixture
def named_cases(build, named_person, agency, case_worker):
    old = timezone.localdate() - timedelta(days=700)
    breached = build(outcome="breached", cautioned_on=old, person=named_person)
    completed = build(outcome="completed", cautioned_on=old + timedelta(days=200), person=named_person)
    assessment = Assessment.objects.create(
        case=completed,
        kind=AssessmentKind.INITIAL,
        status=AssessmentStatus.COMPLETED,
        goals=GOALS,
        risk_notes="Volatile when drinking.",
        created_by=case_worker,
        completed_by=case_worker,
        completed_at=timezone.now(),
    )
    PathwayNeed.objects.create(
        assessment=assessment, pathway=Pathway.DRUGS_ALCOHOL, level=NeedLevel.HIGH, notes="Daily drinking."
    )
    service = Service.objects.create(organisation=agency, name="Alcohol brief intervention")
    Referral.objects.create(
        case=completed,
        service=service,
        organisation=agency,
        reason=REFERRAL_REASON,
        due_date=timezone.localdate(),
        sent_by=case_worker,
    )
    return [breached, completed]


def _forbidden(person, cases, *staff):
    """Everything that identifies the person (or names anyone) and must never reach an analyst."""
    return [
        person.given_names,
        person.family_name,
        person.pnc_id,
        "0123456K",
        "Mill Lane",
        person.postcode,
        person.phone,
        person.email,
        "1990-05-17",
        "17/05/1990",
        CIRCUMSTANCES,
        ADMISSION_WORDS,
        RATIONALE,
        GOALS,
        REFERRAL_REASON,
        *[case.reference for case in cases],
        *[user.full_name for user in staff],
    ]


def _assert_absent(text, forbidden, where):
    found = [value for value in forbidden if value and value.lower() in text.lower()]
    assert not found, f"{where} shows {found}"


# --- No names --------------------------------------------------------------------------------------
def test_analyst_sees_no_names_on_the_dashboard(
    client_for, analyst, named_person, named_cases, case_worker, decision_maker, raw_figures
):
    response = client_for(analyst).get(DASHBOARD)
    assert response.status_code == 200
    assert raw_figures[-1]["total"] == 2
    _assert_absent(
        response.content.decode(),
        _forbidden(named_person, named_cases, case_worker, decision_maker),
        "the dashboard",
    )


@pytest.mark.parametrize("url", [*EXPORTS, EXTRACT])
def test_analyst_sees_no_names_in_any_export(
    client_for, analyst, named_person, named_cases, case_worker, decision_maker, url, settings, permit
):
    settings.DISCLOSURE_MIN_COHORT = 1  # two cases: every figure and row shown
    permit(analyst)
    client = client_for(analyst)
    response = extract_download(client) if url == EXTRACT else client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    text = body(response)  # the extract is streamed: read once
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2, rows
    _assert_absent(text, _forbidden(named_person, named_cases, case_worker, decision_maker), url)


def test_case_extract_has_a_stable_case_pseudonym_and_no_person_pseudonym(
    client_for, analyst, named_person, named_cases, settings, permit
):
    """A person pseudonym would link a person's cases, whose combination could pick them out: the
    extract names each case by its own pseudonym only (reporting/exports.py)."""
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(analyst)
    client = client_for(analyst)
    first, again = csv_rows(extract_download(client)), csv_rows(extract_download(client))
    assert first == again
    header, *rows = first
    assert header[0] == "case" and "person" not in header
    assert {row[0] for row in rows} == {pseudonym("case", case.pk) for case in named_cases}
    assert pseudonym("person", named_person.pk) not in body(extract_download(client))
    by_case = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    breached, completed = (by_case[pseudonym("case", case.pk)] for case in named_cases)
    assert breached["outcome"] == "breached"
    assert completed["outcome"] == "completed"
    assert completed["need: Drugs and alcohol"] == "High"
    expected_band = "35-44" if named_person.age_on(timezone.localdate()) >= 35 else "25-34"
    assert completed["age band when opened"] == expected_band
    assert completed["ethnic group"] == "White"
    assert completed["sex"] == "Male"


def test_pseudonyms_differ_between_people_and_between_kinds():
    assert pseudonym("person", 1) != pseudonym("person", 2)
    assert pseudonym("person", 1) != pseudonym("case", 1)
    assert pseudonym("person", 1) == pseudonym("person", 1)
    assert pseudonym("person", 1).startswith("P-")


# --- Who may see the reports ----------------------------------------------------------------------
def _reporting_urls(sample_pk=1):
    return [
        DASHBOARD,
        EXPORTS[0],
        EXTRACT,
        reverse("reporting:import"),
        reverse("reporting:samples"),
        reverse("reporting:sample", args=[sample_pk]),
    ]


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "case_worker", "decision_maker"])
def test_partners_and_other_roles_get_403_on_every_report(client_for, request, named_cases, who):
    client = client_for(request.getfixturevalue(who))
    for url in _reporting_urls():
        assert client.get(url).status_code == 403, url
    assert AuditEvent.objects.filter(action=AuditAction.EXPORTED).count() == 0


def test_someone_signed_out_is_sent_to_sign_in(client, named_cases):
    for url in _reporting_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]


def test_supervisor_sees_only_their_forces_figures(
    client_for, supervisor, build, build_other, raw_figures, settings, permit
):
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(supervisor)
    build(outcome="completed", cautioned_on=timezone.localdate() - timedelta(days=600))
    build(outcome="breached", cautioned_on=timezone.localdate() - timedelta(days=400))
    build()
    client = client_for(supervisor)
    before = client.get(DASHBOARD).context
    assert raw_figures[-1]["total"] == 3
    assert before["force"] == supervisor.organisation
    extract_before = csv_rows(extract_download(client))
    assert len(extract_before) == 4

    for outcome in ["completed", "breached", "breached", "active", None]:
        build_other(outcome=outcome, cautioned_on=timezone.localdate() - timedelta(days=600))

    after = client.get(DASHBOARD).context
    assert raw_figures[-1]["total"] == 3
    assert after["f"] == before["f"]
    assert after["fairness"] == before["fairness"]
    assert csv_rows(extract_download(client)) == extract_before


def test_analyst_sees_the_force_their_office_oversees(
    client_for, analyst, force, build, build_other, raw_figures
):
    build(outcome="completed")
    build_other(outcome="completed")
    build_other(outcome="breached")
    response = client_for(analyst).get(DASHBOARD)
    assert response.context["force"] == force
    assert raw_figures[-1]["total"] == 1


def test_outsider_supervisor_sees_their_own_force_only(
    client_for, outsider_supervisor, other_force, build, build_other, raw_figures, settings, permit
):
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(outsider_supervisor)
    mine = [build_other(outcome="completed"), build_other(outcome="breached")]
    build(outcome="completed")
    build(outcome="active")
    build()
    client = client_for(outsider_supervisor)
    response = client.get(DASHBOARD)
    assert response.context["force"] == other_force
    assert raw_figures[-1]["total"] == 2
    assert raw_figures[-1]["compliance_rate"] == 50
    rows = csv_rows(extract_download(client))[1:]
    assert {row[0] for row in rows} == {pseudonym("case", case.pk) for case in mine}


def test_another_forces_scheme_cannot_be_used_as_a_filter(
    client_for, analyst, build, build_other, raw_figures
):
    build(outcome="completed")
    theirs = build_other(outcome="completed")
    response = client_for(analyst).get(DASHBOARD, {"scheme": theirs.scheme_id})
    assert response.status_code == 200
    assert raw_figures[-1]["total"] == 0
    assert response.context["f"]["withheld"]
    assert response.context["filter"].form.errors


# --- Exports are audited ---------------------------------------------------------------------------
def test_each_export_writes_an_exported_audit_event(client_for, analyst, named_cases):
    client = client_for(analyst)
    for url in EXPORTS:
        before = AuditEvent.objects.filter(action=AuditAction.EXPORTED).count()
        response = client.get(url, {"sex": "male"})
        assert response.status_code == 200
        events = AuditEvent.objects.filter(action=AuditAction.EXPORTED).order_by("-pk")
        assert events.count() == before + 1, url
        event = events.first()
        assert event.actor == analyst
        assert event.actor_organisation == analyst.organisation
        assert event.owner_organisation == analyst.organisation.force
        assert event.path == f"{url}?sex=male"
        assert event.reason == f"{len(csv_rows(response)) - 1} rows exported"
    labels = set(
        AuditEvent.objects.filter(action=AuditAction.EXPORTED).values_list("object_label", flat=True)
    )
    assert "Dashboard table: fairness_ethnicity" in labels


def test_viewing_the_dashboard_is_not_an_export(client_for, analyst, named_cases):
    client_for(analyst).get(DASHBOARD)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()


def test_the_forces_administrator_sees_the_analysts_export_in_the_audit_log(
    client_for, analyst, administrator, named_cases, permit
):
    """The force is responsible for the case data the commissioner's analyst exports: the export
    must be in the log its administrator reviews (DPA 2018 s.62, disclosure)."""
    permit(analyst)
    client = client_for(analyst)
    client.get(EXPORTS[0])
    extract_download(client)
    exported = AuditEvent.objects.get(action=AuditAction.EXPORTED)
    disclosed = AuditEvent.objects.get(action=AuditAction.DISCLOSED)
    assert {exported, disclosed} <= set(audit_event_list_for(administrator))


# --- Spreadsheet formula injection -----------------------------------------------------------------
def test_scheme_and_area_names_starting_with_a_formula_are_neutralised(
    client_for, analyst, force, build, settings, permit
):
    settings.DISCLOSURE_MIN_COHORT = 1
    permit(analyst)
    scheme = SchemeFactory(force=force, name='=HYPERLINK("http://evil.example","Open")', code="EV")
    area = AreaFactory(force=force, name="=1+2", code="formula")
    build(outcome="completed", scheme=scheme, area=area)
    header, row = csv_rows(extract_download(client_for(analyst)))
    cells = dict(zip(header, row, strict=True))
    assert cells["scheme"] == """'=HYPERLINK("http://evil.example","Open")"""
    assert cells["area"] == "'=1+2"


def test_a_partner_agency_name_starting_with_a_formula_is_neutralised(
    client_for, analyst, named_cases, agency, settings
):
    settings.DISCLOSURE_MIN_COHORT = 1
    agency.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    agency.save()
    rows = csv_rows(client_for(analyst).get(reverse("reporting:export", args=["partners"])))
    assert rows[1][0] == "'@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("North Fenshire", "North Fenshire"),
        ("a=1", "a=1"),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_safe_quotes_formula_starts(value, safe):
    assert csv_safe(value) == safe


def test_negative_numbers_stay_numbers_in_a_csv():
    """A number cannot carry a formula: quoting "-0.5" (a need that grew, in the needs table) turns it
    into text a spreadsheet will not add up."""
    assert csv_safe(Decimal("-0.50")) == "-0.50"
    assert csv_safe(-3) == "-3"

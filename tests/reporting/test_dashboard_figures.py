"""Every headline figure of the dashboard against a hand calculation, on data sets built from
factories with explicit dates relative to a fixed ``TODAY`` (issue 7, What it must show)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, AreaFactory, SchemeFactory
from reporting_support import csv_rows, pnc, police_records_csv

from cases.models import CrimeCostCategory, Sex
from reporting.disclosure import protect_fairness
from reporting.models import ReoffendingImport, SubsequentOffence
from reporting.selectors import dashboard_for, fairness_for, fairness_groups, scoped_cases
from reporting.services import reoffending_import

TODAY = date(2026, 6, 30)
MATURED = TODAY - timedelta(days=600)  # 18 months passed: proven reoffending and cost of crime
TRACKED = TODAY - timedelta(days=400)  # a year passed: cost of crime; reoffending still maturing
RECENT = TODAY - timedelta(days=100)  # neither

CRIMINAL_DAMAGE = "Criminal damage (under £5,000)"  # Criminal damage (other): £1,350
THEFT_FROM_VEHICLE = "Theft from a vehicle"  # Theft from vehicle: £870
# ABH: Violence with injury £14,050; robbery £11,320; common assault: violence without injury, unpriced.


def days(n):
    return timedelta(days=n)


@pytest.fixture
def cohort(build, supervisor):
    """25 cases of the force and a police records import, with these known answers:

    - 17 completed (10 cautioned 600 days ago, 4 cautioned 400 days ago, 3 cautioned 100 days ago),
      3 breached (2 at 600 days, 1 at 100), 2 active (100 days), 3 at intake: 22 cautions;
      compliance 17 / 20 = 85.0 %, breach 3 / 20 = 15.0 %.
    - Proven reoffending over the 12 cases cautioned 600 days ago (10 still maturing): A reoffends
      twice, B once (committed on day 364, proven on day 540), E (breached) once; C's offence was
      proven after 18 months (day 560) and D's committed after 12 months (day 380), so neither
      counts; F's and G's offences came before the caution. 3 / 12 = 25.0 %, 4 / 3 = 1.33 each.
    - Cost of crime over the 16 cases cautioned at least a year ago: before, F's ABH (£14,050) and
      G's criminal damage (£1,350) and I's unpriced common assault (F's robbery 400 days before is
      outside the year): 3 offences, £15,400, £962.50 a person; after, A's ABH and criminal damage
      (£15,400), B's theft from a vehicle (£870), C's criminal damage (£1,350), E's and H's thefts
      from a vehicle (£1,740): 6 offences, £19,360, £1,210 a person. J (cautioned 100 days ago)
      is not tracked; one row is for nobody on a case.
    """
    people = {}
    serial = iter(range(1, 100))

    def add(outcome, cautioned_on, label=None):
        case = build(outcome=outcome, cautioned_on=cautioned_on, pnc_id=pnc(next(serial)))
        if label:
            people[label] = case
        return case

    for label in "ABCDFG":
        add("completed", MATURED, label)
    for _ in range(4):
        add("completed", MATURED)
    for label in ["H", "I", None, None]:
        add("completed", TRACKED, label)
    for label in ["J", None, None]:
        add("completed", RECENT, label)
    add("breached", MATURED, "E")
    add("breached", MATURED)
    add("breached", RECENT)
    for _ in range(2):
        add("active", RECENT)
    for _ in range(3):
        build(pnc_id=pnc(next(serial)))

    def row(label, committed, offence, outcome_type, proven):
        return (people[label].person.pnc_id, committed, offence, outcome_type, proven)

    m, t, r = MATURED, TRACKED, RECENT
    records = [
        row("A", m + days(30), ABH, "conviction", m + days(60)),
        row("A", m + days(200), CRIMINAL_DAMAGE, "caution", m + days(500)),
        row("B", m + days(364), THEFT_FROM_VEHICLE, "conviction", m + days(540)),
        row("C", m + days(100), CRIMINAL_DAMAGE, "conviction", m + days(560)),
        row("D", m + days(380), ABH, "conviction", m + days(400)),
        row("E", m + days(10), THEFT_FROM_VEHICLE, "caution", m + days(20)),
        row("F", m - days(30), ABH, "conviction", m - days(5)),
        row("F", m - days(400), ROBBERY, "conviction", m - days(380)),
        row("G", m - days(200), CRIMINAL_DAMAGE, "caution", m - days(190)),
        row("H", t + days(10), THEFT_FROM_VEHICLE, "conviction", t + days(30)),
        row("I", t - days(100), COMMON_ASSAULT, "caution", t - days(90)),
        row("J", r - days(10), ABH, "conviction", r - days(2)),
        (pnc(999), m, ABH, "conviction", m + days(1)),
    ]
    result = reoffending_import(actor=supervisor, upload=police_records_csv(records), today=TODAY)
    assert result.errors == []
    return people


@pytest.fixture
def figures(cohort, analyst):
    return dashboard_for(scoped_cases(analyst, today=TODAY), today=TODAY)


def test_the_import_matches_the_police_records_to_people_by_pnc_id(cohort):
    batch = ReoffendingImport.objects.get()
    assert (batch.rows_total, batch.rows_added, batch.rows_already_held, batch.rows_unmatched) == (
        13,
        12,
        0,
        1,
    )
    assert SubsequentOffence.objects.filter(person=cohort["A"].person).count() == 2


def test_case_counts_and_compliance_rate_match_the_hand_calculation(figures):
    assert figures["total"] == 25
    assert figures["cautions"] == 22
    assert figures["diverted"] == 17
    assert figures["breached"] == 3
    assert figures["compliance_rate"] == Decimal("85.0")
    assert figures["breach_rate"] == Decimal("15.0")
    by_status = dict(figures["by_status"])
    assert by_status["Completed: diverted"] == 17
    assert by_status["Prosecution resumed"] == 3
    assert by_status["Active"] == 2
    assert by_status["Intake"] == 3
    assert sum(by_status.values()) == 25


def test_timeliness_is_averaged_in_days(figures):
    # Every decided case: offence 15 days before the decision; caution 7 days after it.
    assert figures["offence_to_decision_days"] == 15.0
    assert figures["decision_to_caution_days"] == 7.0


def test_proven_reoffending_honours_the_follow_up_year_and_the_six_month_wait(figures):
    reoffending = figures["reoffending"]
    assert reoffending["cohort"] == 12
    assert reoffending["maturing"] == 10
    assert reoffending["reoffenders"] == 3
    assert reoffending["reoffences"] == 4
    assert reoffending["rate"] == Decimal("25.0")
    assert reoffending["frequency"] == Decimal("1.33")


def test_an_offence_proven_after_18_months_does_not_count(cohort, analyst):
    cases = scoped_cases(analyst, today=TODAY).filter(pk=cohort["C"].pk)
    reoffending = dashboard_for(cases, today=TODAY)["reoffending"]
    assert (reoffending["cohort"], reoffending["reoffenders"], reoffending["rate"]) == (1, 0, Decimal("0.0"))


def test_an_offence_committed_after_12_months_does_not_count(cohort, analyst):
    cases = scoped_cases(analyst, today=TODAY).filter(pk=cohort["D"].pk)
    reoffending = dashboard_for(cases, today=TODAY)["reoffending"]
    assert (reoffending["cohort"], reoffending["reoffenders"]) == (1, 0)


def test_a_case_cautioned_less_than_18_months_ago_is_maturing_not_counted(cohort, analyst):
    # H reoffended 10 days after a caution given 400 days ago: proven, but the case has not matured.
    cases = scoped_cases(analyst, today=TODAY).filter(pk=cohort["H"].pk)
    reoffending = dashboard_for(cases, today=TODAY)["reoffending"]
    assert reoffending["cohort"] == 0
    assert reoffending["maturing"] == 1
    assert reoffending["reoffenders"] == 0
    assert reoffending["rate"] is None
    # Once its 18 months have passed, it counts.
    later = TRACKED + days(548)
    reoffending = dashboard_for(cases, today=later)["reoffending"]
    assert (reoffending["cohort"], reoffending["reoffenders"], reoffending["maturing"]) == (1, 1, 0)


def test_cost_of_crime_before_and_after_is_priced_with_the_unit_costs(figures):
    cost = figures["cost"]
    assert cost["people"] == 16
    assert cost["before_offences"] == 3
    assert cost["before"] == Decimal("15400.00")
    assert cost["after_offences"] == 6
    assert cost["after"] == Decimal("19360.00")
    assert cost["before_per_person"] == Decimal("962.50")
    assert cost["after_per_person"] == Decimal("1210.00")
    assert cost["unpriced"] == 1


def test_editing_a_unit_cost_reprices_the_cost_of_crime(cohort, analyst):
    CrimeCostCategory.objects.filter(name="Violence without injury").update(unit_cost=Decimal("5000"))
    cost = dashboard_for(scoped_cases(analyst, today=TODAY), today=TODAY)["cost"]
    assert cost["before"] == Decimal("20400.00")  # I's common assault now priced
    assert cost["after"] == Decimal("19360.00")
    assert cost["unpriced"] == 0


def test_monthly_trend_counts_cautions_in_their_month(figures):
    trends = figures["trends"]
    assert len(trends) == 12
    assert trends[0]["month"] == date(2025, 7, 1)
    assert trends[-1]["month"] == date(2026, 6, 1)
    cautioned = {t["month"]: t["cautioned"] for t in trends if t["cautioned"]}
    assert cautioned == {date(RECENT.year, RECENT.month, 1): 6}


def test_dashboard_page_shows_the_headline_figures_as_they_may_be_shown(
    cohort, analyst, client_for, monkeypatch, raw_figures
):
    """Computed exactly (the tests above), shown rounded down to a multiple of 5, with "<5" for fewer
    than 5 and no rate or cost beside a "<5" or over fewer than 10 (reporting/disclosure.py)."""
    monkeypatch.setattr("reporting.views.timezone", SimpleNamespace(localdate=lambda: TODAY))
    response = client_for(analyst).get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    assert raw_figures[-1]["compliance_rate"] == Decimal("85.0")
    f = response.context["f"]
    assert [str(f[key]) for key in ("total", "cautions", "diverted", "breached")] == ["25", "20", "15", "<5"]
    assert f["compliance_rate"] is f["breach_rate"] is None  # 3 breached
    assert f["reoffending"]["rate"] is None  # 3 reoffenders
    assert f["cost"]["before"] is f["cost"]["after"] is None  # 3 and 6 offences
    html = response.content.decode()
    assert "10 (10 still maturing)" in html
    for exact in ["85.0%", "25.0%", "12 (10", "£15,400", "£19,360"]:
        assert exact not in html


# --- Fairness ------------------------------------------------------------------------------------


@pytest.fixture
def fairness_cases(build, analyst):
    """White (the reference group): 12 cases, all eligible, 5 completed and 7 breached.
    Asian: 16 cases, 4 ineligible, 7 completed and 5 breached. Black: 3 cases (suppressed)."""
    for outcome, n in [("completed", 5), ("breached", 7)]:
        for _ in range(n):
            build(outcome=outcome, cautioned_on=RECENT, ethnicity="W1")
    for outcome, n in [("ineligible", 4), ("completed", 7), ("breached", 5)]:
        for _ in range(n):
            build(outcome=outcome, cautioned_on=RECENT, ethnicity="A4", sex=Sex.FEMALE)
    for outcome in ["completed", "breached", "breached"]:
        build(outcome=outcome, cautioned_on=RECENT, ethnicity="B2")
    return scoped_cases(analyst, today=TODAY)


def _rows(table):
    return {row["name"].split(",")[0]: row for row in table["rows"]}


def test_fairness_relative_rates_against_the_reference_group(fairness_cases):
    table = fairness_for(fairness_cases, dimension="ethnicity")
    assert table["reference"] == "White"
    rows = _rows(table)
    white, asian = rows["White"], rows["Asian"]
    assert (white["cases"], white["eligible_n"], white["completed_n"], white["breached_n"]) == (12, 12, 5, 7)
    assert (white["eligible_rate"], white["completed_rate"], white["breached_rate"]) == (
        Decimal("100.0"),
        Decimal("41.7"),
        Decimal("58.3"),
    )
    assert (white["eligible_relative"], white["completed_relative"], white["breached_relative"]) == (1, 1, 1)
    assert (asian["cases"], asian["decided_n"], asian["eligible_n"]) == (16, 16, 12)
    assert asian["eligible_rate"] == Decimal("75.0")
    assert asian["eligible_relative"] == Decimal("0.75")  # 75 % against 100 %
    assert asian["completed_rate"] == Decimal("58.3")
    assert asian["completed_relative"] == Decimal("1.40")  # (7/12) / (5/12)


def test_fairness_relative_rate_is_the_ratio_of_the_proportions_not_of_rounded_percentages(
    fairness_cases,
):
    """Asian breached 5 of 12 finished, White 7 of 12: the relative rate is 5/7 = 0.714, so 0.71.
    Dividing the rounded percentages (41.7 / 58.3 = 0.7153) gives 0.72."""
    asian = _rows(fairness_for(fairness_cases, dimension="ethnicity"))["Asian"]
    assert asian["breached_rate"] == Decimal("41.7")
    assert asian["breached_relative"] == Decimal("0.71")


def _shown(table, dimension, ethnic_groups=("White", "Asian, Asian British or Asian Welsh")):
    return protect_fairness(table, groups=fairness_groups(dimension, ethnic_groups=ethnic_groups))


def test_fairness_groups_of_fewer_than_ten_are_withheld(fairness_cases):
    shown = _shown(
        fairness_for(fairness_cases, dimension="ethnicity"),
        "ethnicity",
        [
            "White",
            "Asian, Asian British or Asian Welsh",
            "Black, Black British, Black Welsh, Caribbean or African",
        ],
    )
    rows = _rows(shown)
    assert rows["Black"]["withheld"] is True and "cells" not in rows["Black"]
    assert rows["Not recorded"]["withheld"] is True  # no case: listed all the same
    assert str(rows["Asian"]["cells"]["cases"]) == "15"


def test_fairness_export_withholds_a_small_group_and_rounds_the_others(fairness_cases, analyst, client_for):
    response = client_for(analyst).get(reverse("reporting:export", args=["fairness_ethnicity"]))
    header, *rows = csv_rows(response)
    by_group = {row[0].split(",")[0]: dict(zip(header[:4], row[:4], strict=True)) for row in rows}
    assert by_group["Black"] == {
        "group": by_group["Black"]["group"],
        "cases": "<10",
        "eligible": "",
        "eligible rate %": "",
    }
    assert by_group["Asian"]["cases"] == "15"
    assert by_group["Asian"]["eligible"] == "10"
    assert by_group["Asian"]["eligible rate %"] == "70.6"  # 12 / 17, the middle of each band


def test_fairness_by_sex_uses_men_as_the_reference(fairness_cases):
    table = fairness_for(fairness_cases, dimension="sex")
    assert table["reference"] == "Male"
    rows = _rows(table)
    assert rows["Male"]["cases"] == 15
    assert rows["Female"]["cases"] == 16
    # Eligible: 12 of 16 women against 15 of 15 men.
    assert rows["Female"]["eligible_relative"] == Decimal("0.75")


def test_fairness_page_shows_withheld_groups_as_fewer_than_ten(fairness_cases, analyst, client_for):
    html = client_for(analyst).get(reverse("reporting:dashboard")).content.decode()
    assert "&lt;10" in html
    assert "reference group: White" in html


def test_a_count_shown_as_less_than_five_has_no_rate_beside_it(build, analyst):
    """White: 10 cases, 8 completed and 2 breached. "<5" breached next to "20.0 %" of 10 finished
    gives the 2 away: a suppressed count's rate (and relative rate) is withheld."""
    for outcome, n in [("completed", 8), ("breached", 2)]:
        for _ in range(n):
            build(outcome=outcome, cautioned_on=RECENT, ethnicity="W1")
    white = _rows(
        _shown(fairness_for(scoped_cases(analyst, today=TODAY), dimension="ethnicity"), "ethnicity")
    )["White"]
    assert str(white["cells"]["breached"]) == "<5"
    assert white["breached_rate"] is white["completed_rate"] is None
    assert white["breached_relative"] is None


def test_relative_rates_are_withheld_alike_when_the_reference_group_is_withheld(build, analyst):
    """The 25-34 reference group has 3 cases, so it is withheld; no group's relative rate may then be
    shown, whichever side of the reference it sorts (18-24 before it, 35-44 after)."""

    def born(years):
        return TODAY - relativedelta(years=years, days=10)

    for age, outcomes in [(20, [5, 5]), (30, [2, 1]), (40, [5, 5])]:
        for outcome, n in zip(["completed", "breached"], outcomes, strict=True):
            for _ in range(n):
                build(outcome=outcome, cautioned_on=RECENT, date_of_birth=born(age))
    shown = _shown(fairness_for(scoped_cases(analyst, today=TODAY), dimension="age_band"), "age_band")
    rows = _rows(shown)
    assert rows["25-34"]["withheld"] is True
    assert shown["reference"] is None
    assert rows["35-44"]["completed_rate"] is not None
    assert rows["35-44"]["completed_relative"] is None
    assert rows["18-24"]["completed_relative"] is None


# --- Age bands and filters -------------------------------------------------------------------------


def test_age_band_is_the_age_today(build, analyst):
    turned_25_today = build(date_of_birth=TODAY - relativedelta(years=25))
    turns_25_tomorrow = build(date_of_birth=TODAY - relativedelta(years=25) + days(1))
    turned_55 = build(date_of_birth=TODAY - relativedelta(years=55))
    minor = build(date_of_birth=TODAY - relativedelta(years=17))
    bands = dict(scoped_cases(analyst, today=TODAY).values_list("pk", "age_band"))
    assert bands[turned_25_today.pk] == "25-34"
    assert bands[turns_25_tomorrow.pk] == "18-24"
    assert bands[turned_55.pk] == "55+"
    assert bands[minor.pk] == "Under 18"


def test_offence_group_filter_counts_a_case_with_two_offences_once(
    build, analyst, supervisor, client_for, raw_figures
):
    """A completed case with two violence offences (who reoffended once) and a breached case with one:
    two cases, one reoffender, one reoffence, under the offence group filter as without it."""
    twice = build(outcome="completed", cautioned_on=MATURED, offences=[COMMON_ASSAULT, ABH], pnc_id=pnc(1))
    build(outcome="breached", cautioned_on=MATURED, offences=[COMMON_ASSAULT])
    records = [(twice.person.pnc_id, MATURED + days(30), ABH, "conviction", MATURED + days(60))]
    reoffending_import(actor=supervisor, upload=police_records_csv(records), today=TODAY)
    client = client_for(analyst)

    def figures(**params):
        client.get(reverse("reporting:dashboard"), params)
        f, fairness = raw_figures[-1], raw_figures.fairness[-1]
        return {
            "total": f["total"],
            "completed (by status)": dict(f["by_status"])["Completed: diverted"],
            "reoffending cohort": f["reoffending"]["cohort"],
            "reoffences": f["reoffending"]["reoffences"],
            "reoffending rate": f["reoffending"]["rate"],
            "fairness cases (by sex)": sum(row["cases"] for row in fairness["sex"]["rows"]),
        }

    expected = {
        "total": 2,
        "completed (by status)": 1,
        "reoffending cohort": 2,
        "reoffences": 1,
        "reoffending rate": Decimal("50.0"),
        "fairness cases (by sex)": 2,
    }
    assert figures() == expected
    assert figures(offence_group="violence") == expected


def test_dashboard_filters_narrow_every_figure(build, force, analyst, client_for, raw_figures):
    other_scheme = SchemeFactory(force=force, name="Women's pathway", code="WP")
    south = AreaFactory(force=force, name="South Fenshire", code="south")
    build(outcome="completed", sex=Sex.FEMALE, ethnicity="A4", scheme=other_scheme)
    build(outcome="breached", sex=Sex.FEMALE, area=south, date_of_birth=date(2001, 1, 1))
    build(outcome="completed", ethnicity="W1", offences=[CRIMINAL_DAMAGE])
    build(created_at=timezone.make_aware(datetime(2020, 6, 1, 12)))
    client = client_for(analyst)

    def total(**params):
        response = client.get(reverse("reporting:dashboard"), params)
        assert response.status_code == 200
        return raw_figures[-1]["total"]

    assert total() == 4
    assert total(scheme=other_scheme.pk) == 1
    assert total(area=south.pk) == 1
    assert total(sex="female") == 2
    assert total(ethnicity="White") == 1
    assert total(offence_group="criminal_damage") == 1
    assert total(opened_to="2020-12-31") == 1
    assert total(opened_from="2021-01-01") == 3
    assert total(age_band="25-34") == 1  # born 1 January 2001; the others in 1990
    assert total(age_band="35-44") == 3
    assert total(sex="female", area=south.pk) == 1

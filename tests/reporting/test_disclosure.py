"""The rules of disclosure control (reporting/disclosure.py and the extract's k-anonymity in
reporting/exports.py), on figures and combinations written by hand."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from reporting.disclosure import Count, average, money, per_person, protect, protect_fairness, rate, ratio
from reporting.exports import LEVELS, WITHHELD, age_band, disclosure_levels, generalise


@pytest.fixture(autouse=True)
def _min_cohort(settings):
    settings.DISCLOSURE_MIN_COHORT = 10


# --- Counts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "<5"), (1, "<5"), (4, "<5"), (5, "5"), (9, "5"), (10, "10"), (14, "10"), (123, "120"), (None, "<5")],
)
def test_a_count_is_suppressed_below_five_and_rounded_down_to_a_multiple_of_five(n, shown):
    assert str(Count.of(n)) == shown


def test_a_zero_is_suppressed_like_any_small_count():
    """Shown as 0, a zero would say which "<5" cells are not zero: two "<5" under a total of 2 would
    then be 1 and 1."""
    assert Count.of(0) == Count.of(3)
    assert Count.of(0).suppressed and Count.of(0).estimate is None


def test_a_count_keeps_only_what_may_be_shown():
    assert Count.of(7) == Count.of(5) == Count(5)
    assert Count.of(7).estimate == Decimal(7)  # the middle of 5 to 9, whatever the count was
    assert vars(Count.of(123)) == {"shown": 120}


# --- Rates, averages, money ------------------------------------------------------------------------
def test_a_rate_is_worked_out_from_the_counts_as_shown():
    # 17 of 20 would be 85.0%: the bands 15-19 and 20-24 give 17 / 22.
    assert rate(Count.of(17), Count.of(20)) == Decimal("77.3")
    assert rate(Count.of(17), Count.of(17), Count.of(3)) is None  # a part of the denominator is "<5"


def test_a_rate_beside_a_suppressed_count_or_over_fewer_than_the_minimum_cohort_is_withheld():
    assert rate(Count.of(3), Count.of(40)) is None
    assert rate(Count.of(6), Count.of(9)) is None  # 5 to 9: possibly fewer than 10
    assert rate(Count.of(6), Count.of(10)) == Decimal("58.3")


def test_ratios_averages_and_money_follow_the_same_rules():
    assert ratio(Count.of(12), Count.of(10)) == Decimal("1.00")
    assert ratio(Count.of(12), Count.of(4)) is None
    assert average(Decimal("15.5"), 9) is None
    assert average(Decimal("15.5"), 10) == Decimal("15.5")
    assert money(Decimal("15400"), people=16, offences=12) == Decimal("15000")
    assert money(Decimal("15600"), people=16, offences=12) == Decimal("16000")
    assert money(Decimal("15400"), people=16, offences=3) is None  # a few offences' cost gives them away
    assert per_person(Decimal("15000"), Count.of(16)) == Decimal("882")  # 15,000 / 17


def _figures(total, **overrides):
    figures = {
        "total": total,
        "by_status": [("Active", 2), ("Completed: diverted", total - 2)],
        "cautions": total,
        "diverted": total - 2,
        "breached": 2,
        "compliance_rate": Decimal("90.0"),
        "breach_rate": Decimal("10.0"),
        "offence_to_decision_days": 15.0,
        "offence_to_decision_n": total,
        "decision_to_caution_days": 7.0,
        "decision_to_caution_n": 4,
        "referral_to_contact_days": None,
        "referral_to_contact_n": 0,
        "reoffending": {
            "cohort": total,
            "reoffenders": 6,
            "reoffences": 8,
            "rate": 1,
            "frequency": 1,
            "maturing": 0,
        },
        "cost": {
            "people": total,
            "before_offences": 3,
            "after_offences": 12,
            "before": Decimal("4000"),
            "after": Decimal("23500"),
            "before_per_person": 1,
            "after_per_person": 1,
            "unpriced": 1,
        },
        "assessed": total,
        "needs": [
            {"pathway": "Accommodation", "in_need": 11, "high": 2, "rate": 1, "pairs": 9, "change": 0.5}
        ],
        "partners": [
            {
                "organisation__name": "Compass",
                "sent": 12,
                "accepted": 11,
                "declined": 1,
                "completed": 8,
                "not_completed": 3,
                "completion_rate": 1,
                "acceptance_days": 2.0,
                "first_contact_days": 3.0,
                "first_contact_n": 9,
            },
            {"organisation__name": "Open Door", "sent": 9},
        ],
        "trends": [{"month": date(2027, 6, 1), "opened": 3, "cautioned": 12}],
        "eligible": total - 1,
        "cohorts": [
            # followed up for 18 months: 40 cautioned, 30 completed, 8 breached; 12 reoffended of 40
            _month(date(2025, 10, 1), 40, 30, 8, 40, 12, followed_up=True),
            # followed up, but too few reoffended to show a rate (3: "<5")
            _month(date(2025, 11, 1), 20, 15, 5, 20, 3, followed_up=True),
            # still under caution: 3 breached ("<5"), so no compliance rate; not followed up yet
            _month(date(2027, 5, 1), 25, 12, 3, 0, 0, followed_up=False),
        ],
    }
    figures.update(overrides)
    return figures


def _month(month, cautioned, diverted, breached, cohort, reoffenders, *, followed_up):
    return {
        "month": month,
        "cautioned": cautioned,
        "diverted": diverted,
        "breached": breached,
        "cohort": cohort,
        "reoffenders": reoffenders,
        "followed_up": followed_up,
    }


def test_the_lines_over_months_and_the_funnel_as_shown():
    shown = protect(_figures(24))
    compliance = [
        (m["month"], str(m["finished"]), str(m["completed"]), m["rate"]) for m in shown["compliance_trend"]
    ]
    assert compliance == [
        (date(2025, 10, 1), "35", "30", Decimal("82.1")),  # bands' middles: 32 / (32 + 7)
        (date(2025, 11, 1), "20", "15", Decimal("70.8")),  # 17 / (17 + 7)
        (date(2027, 5, 1), "15", "10", None),  # 3 breached is "<5": no rate, no point on the line
    ]
    # Only the months followed up for the full 18 months have a reoffending figure.
    reoffending = [
        (m["month"], str(m["cohort"]), str(m["reoffenders"]), m["rate"]) for m in shown["reoffending_trend"]
    ]
    assert reoffending == [
        (date(2025, 10, 1), "40", "10", Decimal("28.6")),  # 12 / 42
        (date(2025, 11, 1), "20", "<5", None),
    ]
    assert [(label, str(n)) for label, n in shown["funnel"]] == [
        ("Cases opened", "20"),
        ("Found eligible", "20"),
        ("Cautioned", "20"),
        ("Finished", "20"),
        ("Completed, no prosecution", "20"),
    ]


def test_a_cohort_below_the_minimum_shows_nothing():
    assert protect(_figures(9)) == {"withheld": True, "min_cohort": 10}


def test_the_dashboards_figures_as_shown(settings):
    shown = protect(_figures(24))
    assert not shown["withheld"]
    assert str(shown["total"]) == "20"
    assert [(label, str(n)) for label, n in shown["by_status"]] == [
        ("Active", "<5"),
        ("Completed: diverted", "20"),
    ]
    assert shown["compliance_rate"] is shown["breach_rate"] is None  # 2 breached: "<5"
    assert shown["offence_to_decision_days"] == 15.0
    assert shown["decision_to_caution_days"] is None  # over 4 cases
    assert str(shown["reoffending"]["reoffenders"]) == "5"
    assert shown["reoffending"]["rate"] == Decimal("31.8")  # 7 / 22
    assert shown["cost"]["before"] is None and shown["cost"]["after"] == Decimal("24000")
    assert str(shown["cost"]["unpriced"]) == "<5"
    need = shown["needs"][0]
    assert (str(need["in_need"]), str(need["high"]), need["change"]) == ("10", "<5", None)
    compass, open_door = shown["partners"]
    assert str(compass["not_completed"]) == "<5" and compass["completion_rate"] is None
    assert compass["first_contact_days"] is None and compass["acceptance_days"] == 2.0
    assert open_door == {"organisation__name": "Open Door", "withheld": True}
    assert [str(t["opened"]) for t in shown["trends"]] == ["<5"]


def _fairness_table(rows, reference_group="White"):
    return {
        "label": "Ethnic group",
        "reference_group": reference_group,
        "rows": [
            {"group": group, "cases": c, "decided_n": d, "eligible_n": e, "completed_n": k, "breached_n": b}
            for group, c, d, e, k, b in rows
        ],
    }


GROUPS = [("White", "White"), ("Asian", "Asian"), ("Black", "Black"), (None, "Not recorded")]


def test_a_fairness_table_lists_every_group_and_withholds_the_small_ones():
    table = _fairness_table(
        [("White", 40, 40, 36, 20, 12), ("Asian", 12, 12, 10, 6, 3), ("Black", 6, 6, 6, 3, 3)]
    )
    shown = protect_fairness(table, groups=GROUPS)
    rows = {r["name"]: r for r in shown["rows"]}
    assert list(rows) == ["White", "Asian", "Black", "Not recorded"]
    assert rows["Black"] == {"group": "Black", "name": "Black", "withheld": True}
    assert rows["Not recorded"]["withheld"]  # no case at all: not told apart from a small group
    white, asian = rows["White"], rows["Asian"]
    assert str(white["cells"]["cases"]) == "40"
    assert white["eligible_rate"] == Decimal("88.1")  # 37 / 42 (the bands 35-39 and 40-44)
    assert white["completed_relative"] == Decimal("1.00")
    assert str(asian["cells"]["breached"]) == "<5"
    assert asian["breached_rate"] is asian["completed_rate"] is None
    assert asian["breached_relative"] is None
    assert asian["eligible_relative"] == Decimal("1.14")  # 100.0 (12 / 12) against 88.1
    assert shown["reference"] == "White"


def test_relative_rates_are_withheld_when_the_reference_group_is():
    table = _fairness_table([("White", 8, 8, 8, 4, 4), ("Asian", 30, 30, 25, 15, 10)])
    shown = protect_fairness(table, groups=GROUPS)
    rows = {r["name"]: r for r in shown["rows"]}
    assert rows["White"]["withheld"] and shown["reference"] is None
    assert rows["Asian"]["eligible_rate"] is not None
    assert rows["Asian"]["eligible_relative"] is None


# --- The extract's k-anonymity ---------------------------------------------------------------------
def _combination(
    sex="Male",
    age="25-34",
    ethnic="White",
    area="North",
    scheme="OH",
    groups="Theft",
    opened="2027-03",
    cautioned="2027-04",
):
    return (sex, age, ethnic, area, scheme, groups, "Either way", opened, cautioned)


def test_each_level_only_coarsens_the_one_before():
    combination = _combination()
    shown = [generalise(combination, level) for level in range(len(LEVELS))]
    assert shown[0] == combination
    assert shown[1][7:] == ("2027 Q1", "2027 Q2")
    assert shown[2][7:] == ("2027", "2027")
    assert shown[3][5:7] == (WITHHELD, WITHHELD)
    assert shown[4][3:5] == (WITHHELD, WITHHELD)
    assert shown[5][8] == WITHHELD
    assert shown[8] == (WITHHELD,) * 7 + ("2027", WITHHELD)
    for level in range(1, len(LEVELS)):
        # What a level shows is a function of what the level before showed.
        assert generalise(shown[level - 1], level) == shown[level]


def test_a_combination_shared_by_k_cases_is_shown_as_recorded():
    common, rare = _combination(), _combination(ethnic="Black")
    levels = disclosure_levels({common: 10, rare: 1}, k=10)
    assert levels[common] == 0
    assert levels[rare] is None  # alone at every level: not sent


def test_small_combinations_are_coarsened_together_until_k_share_them():
    months = [_combination(opened=f"2027-0{m}", cautioned="") for m in (1, 2, 3)]
    counts = {months[0]: 4, months[1]: 3, months[2]: 3}
    levels = disclosure_levels(counts, k=10)
    assert set(levels.values()) == {1}  # the quarter 2027 Q1 has 10
    counts[months[2]] = 12
    levels = disclosure_levels(counts, k=10)
    assert levels[months[2]] == 0
    # The seven left are not counted with the twelve shown by month: they wait until a level at
    # which seven are enough, and there is none.
    assert levels[months[0]] is levels[months[1]] is None


def test_every_combination_as_shown_is_shared_by_at_least_k_rows():
    import random

    rng = random.Random(5)
    counts = Counter(
        _combination(
            sex=rng.choice(["Male", "Male", "Female"]),
            age=rng.choice(["18-24", "25-34", "35-44", "55+"]),
            ethnic=rng.choice(["White"] * 6 + ["Asian", "Black", "Mixed"]),
            area=rng.choice(["North", "North", "South"]),
            groups=rng.choice(["Theft", "Violence", "Drugs"]),
            opened=f"202{rng.randint(5, 7)}-0{rng.randint(1, 9)}",
            cautioned=rng.choice(["", f"202{rng.randint(5, 7)}-0{rng.randint(1, 9)}"]),
        )
        for _ in range(2000)
    )
    levels = disclosure_levels(counts, k=10)
    shown = Counter()
    for combination, n in counts.items():
        if levels[combination] is not None:
            shown[generalise(combination, levels[combination])] += n
    assert shown and min(shown.values()) >= 10
    assert sum(shown.values()) + sum(n for c, n in counts.items() if levels[c] is None) == 2000
    assert len({levels[c] for c in counts}) > 3  # the data set needs several levels


def test_k_of_one_shows_every_combination_as_recorded():
    counts = {_combination(ethnic=e): 1 for e in ("White", "Black", "Asian")}
    assert set(disclosure_levels(counts, k=1).values()) == {0}


@pytest.mark.parametrize(
    ("born", "opened", "band"),
    [
        (date(2000, 6, 16), date(2025, 6, 16), "25-34"),
        (date(2000, 6, 17), date(2025, 6, 16), "18-24"),
        (date(2010, 1, 1), date(2027, 6, 16), "Under 18"),
        (date(1960, 1, 1), date(2027, 6, 16), "55+"),
    ],
)
def test_the_age_band_is_the_age_when_the_case_was_opened(born, opened, band):
    assert age_band(born, opened) == band

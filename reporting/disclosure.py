"""Disclosure control for the analysts' figures (issue 15, part 5): what the dashboard and its CSV
downloads may show, worked out in Python from the figures the database computed
(``selectors.dashboard_for`` and ``fairness_for``), so it costs nothing next to them.

The standard followed is the Government Statistical Service's guidance on disclosure control for
tables produced from administrative sources (a threshold on the population, small counts suppressed,
rounding), with the Office for National Statistics' warning for flexible tables kept in mind: where
users choose their own filters, hiding cells in each table on its own is undone by differencing two
tables (a filter's other values taken from the unfiltered total), so every count is rounded too.

The rules, in order:

1. Minimum cohort. When fewer than ``DISCLOSURE_MIN_COHORT`` cases (10) match the filters, no figure
   is shown at all: the page says so. A row of a table that is a cohort of its own (a fairness
   group, a partner agency's referrals) below it is withheld the same way ("<10"). Nothing says
   whether such a cohort is empty.
2. Small counts. A count from 0 to 4 is shown as "<5". Zeros are suppressed with them: a zero shown
   as 0 would tell which "<5" cells are not zero, and sums then pin them (two "<5" under a total of
   2 must be 1 and 1).
3. Rounding. Every other count is rounded down to a multiple of 5 ("120" is 120 to 124): each count
   is then known only to a band of five, never exactly, and no subtraction between bands gives a
   single value (the bands start at multiples of 5, so the most the other cells can hold is never the
   least the total can be unless five of them are all at the top of their bands). Rows and columns
   may not add up to their totals.
4. Rates, ratios and per-person figures are worked out from the counts as shown (the middle of each
   band), so they say nothing the counts do not; they are withheld where the numerator or any part
   of the denominator is "<5", or the denominator is below the minimum cohort.
5. Averages (days, the change in need) are shown only over at least the minimum cohort of values.
   Costs of crime are rounded to the nearest £1,000 and shown only when at least the minimum cohort
   of people and of offences are behind them.

The objects here hold only what may be shown: a ``Count`` never keeps the true number.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

SMALL = 5  # counts below this are shown as "<5"
BASE = 5  # every other count is rounded down to a multiple of this
MIDDLE = Decimal(BASE - 1) / 2  # a band's middle, above its lower end
MONEY_UNIT = Decimal(1000)
SUPPRESSED = "<5"


def min_cohort() -> int:
    return settings.DISCLOSURE_MIN_COHORT


@dataclass(frozen=True)
class Count:
    """A count as published: ``shown`` is its band's lower end (a multiple of 5), or None for "<5"."""

    shown: int | None

    @classmethod
    def of(cls, n) -> "Count":
        n = int(n or 0)
        return cls(None) if n < SMALL else cls(n - n % BASE)

    @property
    def suppressed(self) -> bool:
        return self.shown is None

    @property
    def estimate(self) -> Decimal | None:
        """The middle of the band: what rates are worked out from."""
        return None if self.shown is None else self.shown + MIDDLE

    def __str__(self):
        return SUPPRESSED if self.shown is None else str(self.shown)


WITHHELD_GROUP = "<10"


def rate(numerator: Count, *denominator: Count) -> Decimal | None:
    """``numerator`` as a percentage of the sum of ``denominator``, from the counts as shown."""
    if numerator.suppressed or any(part.suppressed for part in denominator):
        return None
    if sum(part.shown for part in denominator) < max(min_cohort(), 1):
        return None
    total = sum(part.estimate for part in denominator)
    return round(100 * numerator.estimate / total, 1)


def ratio(numerator: Count, denominator: Count, places: int = 2) -> Decimal | None:
    """``numerator`` per ``denominator``, from the counts as shown (reoffences per reoffender)."""
    if numerator.suppressed or denominator.suppressed:
        return None
    return round(numerator.estimate / denominator.estimate, places)


def average(value, n: int):
    """An average over ``n`` values, shown only over at least the minimum cohort."""
    return value if value is not None and n >= min_cohort() else None


def money(amount, *, people: int, offences: int) -> Decimal | None:
    """A cost, to the nearest £1,000, when at least the minimum cohort of people and offences."""
    if amount is None or people < min_cohort() or offences < min_cohort():
        return None
    return (Decimal(amount) / MONEY_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP) * MONEY_UNIT


def per_person(amount: Decimal | None, people: Count) -> Decimal | None:
    if amount is None or people.suppressed:
        return None
    return round(amount / people.estimate)


def _relative(mine: Decimal | None, theirs: Decimal | None) -> Decimal | None:
    return round(mine / theirs, 2) if mine is not None and theirs else None


# --- The dashboard ---------------------------------------------------------------------------------


def protect(figures: dict) -> dict:
    """What the dashboard may show of ``figures`` (``selectors.dashboard_for``): every count a
    ``Count``, rates from the counts as shown, or ``{"withheld": True}`` for a cohort below the
    minimum."""
    k = min_cohort()
    if figures["total"] < k:
        return {"withheld": True, "min_cohort": k}
    total = Count.of(figures["total"])
    diverted, breached = Count.of(figures["diverted"]), Count.of(figures["breached"])
    r, c = figures["reoffending"], figures["cost"]
    cohort, reoffenders = Count.of(r["cohort"]), Count.of(r["reoffenders"])
    reoffences = Count.of(r["reoffences"])
    people = Count.of(c["people"])
    before = money(c["before"], people=c["people"], offences=c["before_offences"])
    after = money(c["after"], people=c["people"], offences=c["after_offences"])
    assessed = Count.of(figures["assessed"])
    needs = []
    for need in figures["needs"]:
        in_need = Count.of(need["in_need"])
        needs.append(
            {
                "pathway": need["pathway"],
                "in_need": in_need,
                "high": Count.of(need["high"]),
                "rate": rate(in_need, assessed),
                "pairs": Count.of(need["pairs"]),
                "change": average(need["change"], need["pairs"]),
            }
        )
    partners = []
    for row in figures["partners"]:
        if row["sent"] < k:
            partners.append({"organisation__name": row["organisation__name"], "withheld": True})
            continue
        completed, not_completed = Count.of(row["completed"]), Count.of(row["not_completed"])
        partners.append(
            {
                "organisation__name": row["organisation__name"],
                "withheld": False,
                "sent": Count.of(row["sent"]),
                "accepted": Count.of(row["accepted"]),
                "declined": Count.of(row["declined"]),
                "completed": completed,
                "not_completed": not_completed,
                "completion_rate": rate(completed, completed, not_completed),
                "acceptance_days": average(row["acceptance_days"], row["accepted"]),
                "first_contact_days": average(row["first_contact_days"], row["first_contact_n"]),
            }
        )
    compliance = rate(diverted, diverted, breached)
    return {
        "withheld": False,
        "min_cohort": k,
        "total": total,
        "by_status": [(label, Count.of(n)) for label, n in figures["by_status"]],
        "cautions": Count.of(figures["cautions"]),
        "diverted": diverted,
        "breached": breached,
        "compliance_rate": compliance,
        "breach_rate": rate(breached, diverted, breached) if compliance is not None else None,
        "offence_to_decision_days": average(
            figures["offence_to_decision_days"], figures["offence_to_decision_n"]
        ),
        "decision_to_caution_days": average(
            figures["decision_to_caution_days"], figures["decision_to_caution_n"]
        ),
        "referral_to_contact_days": average(
            figures["referral_to_contact_days"], figures["referral_to_contact_n"]
        ),
        "reoffending": {
            "cohort": cohort,
            "reoffenders": reoffenders,
            "reoffences": reoffences,
            "rate": rate(reoffenders, cohort),
            "frequency": ratio(reoffences, reoffenders),
            "maturing": Count.of(r["maturing"]),
        },
        "cost": {
            "people": people,
            "before_offences": Count.of(c["before_offences"]),
            "after_offences": Count.of(c["after_offences"]),
            "before": before,
            "after": after,
            "before_per_person": per_person(before, people),
            "after_per_person": per_person(after, people),
            "unpriced": Count.of(c["unpriced"]),
        },
        "assessed": assessed,
        "needs": needs,
        "partners": partners,
        "trends": [
            {"month": t["month"], "opened": Count.of(t["opened"]), "cautioned": Count.of(t["cautioned"])}
            for t in figures["trends"]
        ],
        **_over_months(figures),
    }


def _over_months(figures: dict) -> dict:
    """The dashboard's lines by month of caution and its funnel, each count protected like the others
    and each rate worked out from the counts as shown (so a month of few cases has no point)."""
    compliance, reoffending = [], []
    for month in figures["cohorts"]:
        completed, breached = Count.of(month["diverted"]), Count.of(month["breached"])
        compliance.append(
            {
                "month": month["month"],
                "cautioned": Count.of(month["cautioned"]),
                "finished": Count.of(month["diverted"] + month["breached"]),
                "completed": completed,
                "rate": rate(completed, completed, breached),
            }
        )
        if month["followed_up"]:
            cohort, reoffenders = Count.of(month["cohort"]), Count.of(month["reoffenders"])
            reoffending.append(
                {
                    "month": month["month"],
                    "cohort": cohort,
                    "reoffenders": reoffenders,
                    "rate": rate(reoffenders, cohort),
                }
            )
    finished = figures["diverted"] + figures["breached"]
    return {
        "compliance_trend": compliance,
        "reoffending_trend": reoffending,
        "funnel": [
            ("Cases opened", Count.of(figures["total"])),
            ("Found eligible", Count.of(figures["eligible"])),
            ("Cautioned", Count.of(figures["cautions"])),
            ("Finished", Count.of(finished)),
            ("Completed, no prosecution", Count.of(figures["diverted"])),
        ],
    }


def protect_fairness(table: dict, *, groups: list[tuple]) -> dict:
    """A fairness table (``selectors.fairness_for``) as it may be shown: a row for every group in
    ``groups`` (``(value, name)``: the groups with no case are listed too, withheld like any group of
    fewer than the minimum cohort), counts as ``Count``, rates from the counts as shown and relative
    to the reference group's, withheld beside a "<5" count or a withheld reference group."""
    k = min_cohort()
    found = {row["group"]: row for row in table["rows"]}
    rows = []
    for value, name in groups:
        row = found.get(value)
        if row is None or row["cases"] < k:
            rows.append({"group": value, "name": name, "withheld": True})
            continue
        cells = {
            "cases": Count.of(row["cases"]),
            "decided": Count.of(row["decided_n"]),
            "eligible": Count.of(row["eligible_n"]),
            "completed": Count.of(row["completed_n"]),
            "breached": Count.of(row["breached_n"]),
        }
        completed, breached = cells["completed"], cells["breached"]
        finished_shown = rate(completed, completed, breached) is not None
        rows.append(
            {
                "group": value,
                "name": name,
                "withheld": False,
                "cells": cells,
                "eligible_rate": rate(cells["eligible"], cells["decided"]),
                "completed_rate": rate(completed, completed, breached) if finished_shown else None,
                "breached_rate": rate(breached, completed, breached) if finished_shown else None,
            }
        )
    reference_group = table.get("reference_group")
    reference = next((r for r in rows if reference_group is not None and r["group"] == reference_group), None)
    for row in rows:
        if row["withheld"]:
            continue
        for measure in ("eligible", "completed", "breached"):
            theirs = None if reference is None or reference["withheld"] else reference[f"{measure}_rate"]
            row[f"{measure}_relative"] = _relative(row[f"{measure}_rate"], theirs)
    shown = reference is not None and not reference["withheld"]
    return {"label": table["label"], "rows": rows, "reference": reference["name"] if shown else None}

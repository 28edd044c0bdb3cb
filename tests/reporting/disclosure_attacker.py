"""An attacker with ordinary analyst access, for the disclosure control test (issue 15, part 5).

The attacker knows the rules the figures are published under (the page says them) and every
relation between the figures: a table's cells add up to its total, a filter's values add up to the
figures without the filter, a fairness table's row for a group is the figure filtered to that group.
Each published count is a range of what the true count can be ("<5" is 0 to 4; "120" is exactly 120,
or 120 to 124 where counts are rounded down to a multiple of 5; a view withheld for a small cohort is
0 to 9 throughout). The attacker narrows every range with every relation until nothing changes
(bounds propagation, the arithmetic of "the two hidden cells must both be 4 because the total is 35"),
and has recovered a value when its range is down to one number.

Self-contained: it reads the pages and CSV files as any analyst would and imports nothing of the code
under test, so it runs against any version of the dashboard.
"""

import csv
import io
import math
import re
from collections import defaultdict

INF = math.inf
SMALL_SHOWN = {"1", "2", "3", "4"}


class Knowledge:
    """Variables (any hashable name) with integer bounds, and the relations between them."""

    def __init__(self):
        self.bounds: dict = {}
        self.equalities: list[tuple[tuple, ...]] = []  # each: ((+1|-1, name), ...) summing to 0
        self.at_most: list[tuple] = []  # (a, b): a <= b
        self._fresh = 0

    def know(self, name, low, high=None):
        high = low if high is None else high
        current = self.bounds.get(name, (0, INF))
        self.bounds[name] = (max(current[0], low), min(current[1], high))

    def variable(self, name):
        self.bounds.setdefault(name, (0, INF))
        return name

    def unknown(self):
        """A fresh non-negative unknown (what nothing published says anything about)."""
        self._fresh += 1
        return self.variable(("unknown", self._fresh))

    def total_is_sum(self, total, parts):
        """``total`` = the sum of ``parts``."""
        for name in (total, *parts):
            self.variable(name)
        self.equalities.append(((1, total), *((-1, p) for p in parts)))

    def same(self, a, b):
        self.total_is_sum(a, [b])

    def no_more_than(self, a, b):
        self.variable(a)
        self.variable(b)
        self.at_most.append((a, b))

    def propagate(self, rounds: int = 60) -> None:
        """Narrow every bound with every relation until nothing changes (or ``rounds`` passes)."""
        by_variable = defaultdict(list)
        for index, terms in enumerate(self.equalities):
            for _, name in terms:
                by_variable[name].append(index)
        pending = set(range(len(self.equalities)))
        for _ in range(rounds):
            if not pending:
                break
            changed = set()
            for index in sorted(pending):
                changed |= self._narrow(self.equalities[index])
            for a, b in self.at_most:
                low_a, high_a = self.bounds[a]
                low_b, high_b = self.bounds[b]
                if high_b < high_a:
                    self.bounds[a] = (low_a, high_b)
                    changed.add(a)
                if low_a > low_b:
                    self.bounds[b] = (low_a, high_b)
                    changed.add(b)
            pending = {index for name in changed for index in by_variable[name]}

    def _narrow(self, terms) -> set:
        changed = set()
        lows = [self.bounds[n][0] if c > 0 else -self.bounds[n][1] for c, n in terms]
        highs = [self.bounds[n][1] if c > 0 else -self.bounds[n][0] for c, n in terms]
        low_sum, high_sum = sum(lows), sum(highs)
        for i, (coefficient, name) in enumerate(terms):
            # coefficient * x_i = -(sum of the others)
            others_low = low_sum - lows[i]
            others_high = high_sum - highs[i]
            low, high = self.bounds[name]
            if coefficient > 0:
                new_low, new_high = -others_high, -others_low
            else:
                new_low, new_high = others_low, others_high
            if new_low > low or new_high < high:
                low, high = max(low, new_low), min(high, new_high)
                if low != self.bounds[name][0] or high != self.bounds[name][1]:
                    self.bounds[name] = (low, high)
                    changed.add(name)
        return changed


# --- Reading what is published ------------------------------------------------------------------------

BANDED_RULE = "rounded down to a multiple of 5"
WITHHELD_VIEW = "Figures withheld"
COUNT_MEASURES = (
    "cases",
    "cautions given",
    "diverted from prosecution",
    "breached",
    "proven reoffending cohort",
    "reoffenders",
    "still maturing",
    "people tracked for cost",
)
FAIRNESS_COLUMNS = {"cases": 1, "eligible": 2, "completed": 5, "breached": 8}
FAIRNESS_RATES = {"eligible": 3, "completed": 6, "breached": 9}
PARTNER_COLUMNS = {"sent": 1, "accepted": 2, "declined": 3, "completed": 4, "not completed": 5}
TABLES = (
    "status",
    "outcomes",
    "needs",
    "partners",
    "trends",
    "compliance",
    "reoffending",
    "funnel",
    "fairness_ethnicity",
    "fairness_sex",
    "fairness_age_band",
)
DIMENSIONS = {"fairness_ethnicity": "ethnicity", "fairness_sex": "sex", "fairness_age_band": "age_band"}


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


class View:
    """What one set of filters publishes: ``cells`` maps a quantity to its text ("" for a cell left
    blank), ``withheld`` says the whole view was withheld, ``rates`` the rates shown beside counts."""

    def __init__(self, params: dict):
        self.params = params
        self.cells: dict = {}
        self.withheld = False
        self.rate_beside: list[tuple] = []  # (rate text, [count texts it is worked out from], where)

    def read(self, table: str, text: str) -> None:
        header, *rows = rows_of(text)
        if rows and rows[0] and rows[0][0].startswith(WITHHELD_VIEW):
            self.withheld = True
            return
        if table == "status":
            for label, n in rows:
                self.cells[("status", label)] = n
        elif table == "outcomes":
            values = {measure: value for measure, value, *_ in rows}
            for measure in COUNT_MEASURES:
                if measure in values:
                    self.cells[("outcomes", measure)] = values[measure]
            pairs = [
                ("compliance rate %", ["diverted from prosecution", "breached"]),
                ("breach rate %", ["diverted from prosecution", "breached"]),
                ("proven reoffending rate %", ["reoffenders", "proven reoffending cohort"]),
            ]
            for rate, counts in pairs:
                if rate in values:
                    self.rate_beside.append((values[rate], [values.get(c, "") for c in counts], rate))
        elif table == "needs":
            for pathway, in_need, high, rate, pairs, _change in rows:
                self.cells[("needs", pathway, "in need")] = in_need
                self.cells[("needs", pathway, "high")] = high
                self.cells[("needs", pathway, "pairs")] = pairs
                self.rate_beside.append((rate, [in_need], f"needs {pathway}"))
        elif table == "partners":
            for row in rows:
                for column, index in PARTNER_COLUMNS.items():
                    self.cells[("partners", row[0], column)] = row[index]
                self.rate_beside.append((row[6], [row[4], row[5]], f"partner {row[0]}"))
        elif table == "trends":
            for month, opened, cautioned in rows:
                self.cells[("trends", month, "opened")] = opened
                self.cells[("trends", month, "cautioned")] = cautioned
        elif table == "compliance":
            for month, cautioned, finished, completed, rate in rows:
                self.cells[("compliance", month, "cautioned")] = cautioned
                self.cells[("compliance", month, "finished")] = finished
                self.cells[("compliance", month, "completed")] = completed
                self.rate_beside.append((rate, [completed, finished], f"compliance {month}"))
        elif table == "reoffending":
            for month, followed_up, reoffended, rate in rows:
                self.cells[("reoffending", month, "followed up")] = followed_up
                self.cells[("reoffending", month, "reoffended")] = reoffended
                self.rate_beside.append((rate, [reoffended, followed_up], f"reoffending {month}"))
        elif table == "funnel":
            for step, n in rows:
                self.cells[("funnel", step)] = n
        else:
            dimension = DIMENSIONS[table]
            for row in rows:
                for column, index in FAIRNESS_COLUMNS.items():
                    self.cells[("fairness", dimension, row[0], column)] = row[index]
                for column, index in FAIRNESS_RATES.items():
                    self.rate_beside.append(
                        (row[index], [row[FAIRNESS_COLUMNS[column]]], f"{dimension} {row[0]} {column}")
                    )


def shown_range(text: str, *, banded: bool) -> tuple | None:
    """The true values a published count can have; None where the cell says nothing (blank)."""
    text = text.strip()
    if text == "":
        return None
    if text == "<5":
        return (0, 4) if banded else (1, 4)  # exact figures show a zero as 0
    if text == "<10":
        return (0, 9)
    number = int(text.replace(",", ""))
    return (number, number + 4) if banded else (number, number)


def hidden(text: str | None) -> bool:
    return text is None or text.strip() in {"", "<5", "<10"}


def numbers_shown_in_html(html: str) -> list[str]:
    """The whole numbers a page shows as figures: table cells, headline figures, summary values, chart
    labels and inline counts (``app-count``); rates, days, pounds and decimals are left out."""
    pattern = re.compile(
        r'<(td|span|dd|text)\b[^>]*class="[^"]*\b(?:govuk-table__cell--numeric|app-figure__value|'
        r'govuk-summary-list__value|app-chart__value|app-count)\b[^"]*"[^>]*>(.*?)</\1>',
        re.DOTALL,
    )
    found = []
    for _tag, inner in pattern.findall(html):
        text = re.sub(r"<[^>]+>", " ", inner)
        found += re.findall(r"(?<![\d.,£])(\d[\d,]*)(?![\d.%,])", text)
    return found

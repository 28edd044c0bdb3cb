"""The attacker test (issue 15, part 5): no combination of filters, tables and aggregate exports may
reveal a count from 1 to 4, directly or by subtraction.

On a force with many small groups, an analyst reads the dashboard's eight CSV downloads for the
unfiltered figures, every single filter value and every pair of values of two filters (244 sets of
filters), and the page itself unfiltered and for each filter value (it shows what the downloads
give, from the same figures), and combines them (tests/reporting/disclosure_attacker.py): within
a table (cells against the total), across tables (a fairness row against the figures filtered to
that group; statuses, sexes, ethnic groups and age bands against the number of cases) and across
filters (one filter's values against the figures without it, months before and after a date). The
test fails if a count from 1 to 4 is shown, if a rate is shown beside a count that is not, or if
any value that was not shown can be worked out exactly. The truth it checks against comes from the
figures before any protection (reporting.selectors.dashboard_for and fairness_for)."""

import itertools
import random
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from disclosure_attacker import (
    BANDED_RULE,
    SMALL_SHOWN,
    TABLES,
    Knowledge,
    View,
    hidden,
    numbers_shown_in_html,
    shown_range,
)
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, AreaFactory, SchemeFactory

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, Pathway, PathwayNeed
from cases.models import Offence, Sex
from referrals.models import Referral, ReferralStatus, Service
from reporting.filters import DashboardFilter
from reporting.models import ReoffendingImport, SubsequentOffence
from reporting.selectors import dashboard_for, fairness_for, scoped_facts

THEFT = "Theft from a vehicle"
DAMAGE = "Criminal damage (under £5,000)"
DRUGS = "Possession of a controlled drug (Class B or C)"

# Skewed, as a real force is: one large group and many small ones.
SEXES = [(Sex.MALE, 62), (Sex.FEMALE, 34), (Sex.NOT_STATED, 4)]
AGES = [(20, 22), (29, 36), (39, 20), (49, 12), (60, 7), (17, 3)]  # age today; 17 is "Under 18"
ETHNICITIES = [("W1", 72), ("A4", 9), ("B2", 7), ("M3", 5), ("O2", 3), (None, 4)]
OUTCOMES = [(None, 8), ("ineligible", 7), ("active", 15), ("completed", 55), ("breached", 15)]
OFFENCES = [((COMMON_ASSAULT,), 40), ((THEFT,), 25), ((DAMAGE,), 15), ((DRUGS,), 10), ((ABH, ROBBERY), 10)]
CASES = 150


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


@pytest.fixture
def many_small_cells(force, scheme, area, build, agency, other_agency, case_worker, supervisor):
    """150 cases of the force over two schemes and two areas, most of them in one group and the rest
    in small ones, cautioned at different times (some long enough ago for proven reoffending), with
    assessments, referrals to two agencies and police records of later offences."""
    rng = random.Random(15)
    today = timezone.localdate()
    south = AreaFactory(force=force, name="South Fenshire", code="south")
    womens = SchemeFactory(force=force, name="Women's pathway", code="WP")
    services = [
        Service.objects.create(organisation=agency, name="Recovery"),
        Service.objects.create(organisation=other_agency, name="Housing"),
    ]
    batch = ReoffendingImport.objects.create(
        force=force,
        filename="records.csv",
        sha256="0" * 64,
        rows_total=0,
        rows_added=0,
        rows_already_held=0,
        rows_unmatched=0,
        imported_by=supervisor,
    )
    later = Offence.objects.get(name=THEFT)
    for _ in range(CASES):
        outcome = _pick(rng, OUTCOMES)
        age = _pick(rng, AGES)
        cautioned_on = today - timedelta(days=rng.choice([20, 75, 150, 400, 620, 700]))
        opened = timezone.now() - timedelta(days=rng.choice([3, 40, 100, 160, 250, 330]))
        case = build(
            outcome=outcome,
            cautioned_on=cautioned_on,
            offences=_pick(rng, OFFENCES),
            scheme=womens if rng.random() < 0.2 else None,
            area=south if rng.random() < 0.25 else None,
            created_at=opened,
            sex=_pick(rng, SEXES),
            date_of_birth=today - relativedelta(years=age, days=rng.randint(1, 300)),
            ethnicity=_pick(rng, ETHNICITIES),
        )
        if outcome in {"completed", "breached", "active"} and rng.random() < 0.7:
            for kind in [AssessmentKind.INITIAL, AssessmentKind.FINAL][: rng.choice([1, 2])]:
                assessment = Assessment.objects.create(
                    case=case,
                    kind=kind,
                    status=AssessmentStatus.COMPLETED,
                    created_by=case_worker,
                    completed_by=case_worker,
                    completed_at=timezone.now(),
                )
                PathwayNeed.objects.bulk_create(
                    PathwayNeed(assessment=assessment, pathway=p, level=rng.choice([0, 0, 1, 2, 3]))
                    for p in Pathway.values[:4]
                )
            service = rng.choice(services)
            Referral.objects.create(
                case=case,
                service=service,
                organisation=service.organisation,
                reason="Need",
                due_date=today,
                sent_by=case_worker,
                status=rng.choice(
                    [ReferralStatus.COMPLETED, ReferralStatus.NOT_COMPLETED, ReferralStatus.SENT]
                ),
                accepted_at=timezone.now() - timedelta(days=rng.randint(1, 20)),
                first_contact_at=timezone.now() - timedelta(days=rng.randint(0, 10)),
            )
        if outcome in {"completed", "breached"} and rng.random() < 0.25:
            SubsequentOffence.objects.create(
                person=case.person,
                offence=later,
                offence_date=cautioned_on + timedelta(days=rng.randint(10, 300)),
                outcome_type="conviction",
                outcome_date=cautioned_on + timedelta(days=rng.randint(301, 400)),
                source=batch,
            )
    return {"south": south, "womens": womens}


def _filter_values(force, scheme, womens, area, south):
    """Every value of every filter but the offence group (two that occur, one that does not), and a
    month boundary on either side of the period filter."""
    april = timezone.localdate().replace(day=1) - relativedelta(months=2)
    return {
        "scheme": [str(scheme.pk), str(womens.pk)],
        "area": [str(area.pk), str(south.pk)],
        "sex": [s.value for s in Sex],
        "age_band": ["Under 18", "18-24", "25-34", "35-44", "45-54", "55+"],
        "ethnicity": [
            "White",
            "Asian, Asian British or Asian Welsh",
            "Black, Black British, Black Welsh, Caribbean or African",
            "Mixed or Multiple ethnic groups",
            "Other ethnic group",
        ],
        "offence_group": ["violence", "theft", "fraud"],
        "opened_from": [april.isoformat()],
        "opened_to": [(april - timedelta(days=1)).isoformat()],
    }


PARTITIONS = ("scheme", "area", "sex", "age_band")  # filters whose values share out every case


def _views(values):
    """The unfiltered view, each single filter value and each pair of values of two filters."""
    views = [{}]
    views += [{name: v} for name, vs in values.items() for v in vs]
    for (a, va), (b, vb) in itertools.combinations(values.items(), 2):
        views += [{a: x, b: y} for x in va for y in vb]
    return views


FUNNEL = ("Cases opened", "Found eligible", "Cautioned", "Finished", "Completed, no prosecution")


def _key(params):
    return tuple(sorted(params.items()))


def _truth(analyst, force, params):
    """Every published quantity's true value for these filters, before any protection."""
    today = timezone.localdate()
    filterset = DashboardFilter(
        params or None, queryset=scoped_facts(analyst, today=today), force_id=force.pk
    )
    assert not filterset.is_bound or filterset.is_valid(), filterset.errors
    facts = filterset.qs
    f = dashboard_for(facts, today=today)
    values = {("status", label): n for label, n in f["by_status"]}
    r, c = f["reoffending"], f["cost"]
    for measure, n in [
        ("cases", f["total"]),
        ("cautions given", f["cautions"]),
        ("diverted from prosecution", f["diverted"]),
        ("breached", f["breached"]),
        ("proven reoffending cohort", r["cohort"]),
        ("reoffenders", r["reoffenders"]),
        ("still maturing", r["maturing"]),
        ("people tracked for cost", c["people"]),
    ]:
        values[("outcomes", measure)] = n
    for need in f["needs"]:
        for column, key in [("in need", "in_need"), ("high", "high"), ("pairs", "pairs")]:
            values[("needs", need["pathway"], column)] = int(getattr(need[key], "count", need[key]))
    for p in f["partners"]:
        for column, key in [
            ("sent", "sent"),
            ("accepted", "accepted"),
            ("declined", "declined"),
            ("completed", "completed"),
            ("not completed", "not_completed"),
        ]:
            values[("partners", p["organisation__name"], column)] = p[key]
    for t in f["trends"]:
        values[("trends", f"{t['month']:%Y-%m}", "opened")] = t["opened"]
        values[("trends", f"{t['month']:%Y-%m}", "cautioned")] = t["cautioned"]
    for m in f["cohorts"]:
        month = f"{m['month']:%Y-%m}"
        values[("compliance", month, "cautioned")] = m["cautioned"]
        values[("compliance", month, "finished")] = m["diverted"] + m["breached"]
        values[("compliance", month, "completed")] = m["diverted"]
        if m["followed_up"]:
            values[("reoffending", month, "followed up")] = m["cohort"]
            values[("reoffending", month, "reoffended")] = m["reoffenders"]
    for step, n in [
        ("Cases opened", f["total"]),
        ("Found eligible", f["eligible"]),
        ("Cautioned", f["cautions"]),
        ("Finished", f["diverted"] + f["breached"]),
        ("Completed, no prosecution", f["diverted"]),
    ]:
        values[("funnel", step)] = n
    for dimension in ("ethnicity", "sex", "age_band"):
        for row in fairness_for(facts, dimension=dimension)["rows"]:
            for column, key in [
                ("cases", "cases"),
                ("eligible", "eligible_n"),
                ("completed", "completed_n"),
                ("breached", "breached_n"),
            ]:
                values[("fairness", dimension, row["name"], column)] = row[key]
    return values


def _read(client, params) -> View:
    view = View(params)
    for table in TABLES:
        response = client.get(reverse("reporting:export", args=[table]), params)
        assert response.status_code == 200, (table, params, response.status_code)
        view.read(table, response.content.decode("utf-8"))
    return view


def _sex_label(value):
    return dict(Sex.choices)[value]


def test_no_combination_of_filters_tables_and_exports_reveals_a_small_count(
    many_small_cells, force, scheme, area, analyst, client_for, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 600  # each view's figures are made once for its nine downloads
    values = _filter_values(force, scheme, many_small_cells["womens"], area, many_small_cells["south"])
    views = _views(values)
    assert len(views) > 200

    failures = _attack(client_for(analyst), analyst, force, values, views)

    found = (
        sorted(failures["recovered"])[:20] + sorted(failures["shown"])[:10] + sorted(failures["rate"])[:10]
    )
    assert not found, (
        f"{len(failures['shown'])} counts of 1 to 4 shown, {len(failures['recovered'])} values not shown "
        f"worked out exactly, {len(failures['rate'])} rates beside a count not shown; for example:\n"
        + "\n".join(found)
    )


def test_the_attacker_breaks_the_dashboard_without_disclosure_control(
    many_small_cells, force, scheme, area, analyst, client_for, settings, monkeypatch
):
    """Issue 15: "the attacker test passes; today's dashboard fails it". With the counts shown as
    counted and no minimum cohort, as the dashboard showed them before disclosure control, the same
    attacker, reading only the unfiltered figures and each single filter value, finds small counts
    shown and hidden ones worked out: the test above can fail."""
    from reporting import disclosure

    settings.DASHBOARD_CACHE_SECONDS = 600
    settings.DISCLOSURE_MIN_COHORT = 0
    monkeypatch.setattr(disclosure.Count, "of", classmethod(lambda cls, n: cls(int(n or 0))))
    values = _filter_values(force, scheme, many_small_cells["womens"], area, many_small_cells["south"])
    views = [params for params in _views(values) if len(params) <= 1]

    failures = _attack(client_for(analyst), analyst, force, values, views)

    assert len(failures["shown"]) > 50, failures["shown"][:5]


def _attack(client, analyst, force, values, views) -> dict:
    """Read every view (its CSVs, and the page for the unfiltered figures and each filter value),
    combine what they publish, check every value the attacker pins against the truth, and return
    the failures: counts of 1 to 4 shown, rates beside a count not shown, hidden values recovered."""
    published = {_key(params): _read(client, params) for params in views}
    # The page shows what the downloads show: read for the unfiltered figures and each filter value.
    pages = {
        _key(params): client.get(reverse("reporting:dashboard"), params).content.decode()
        for params in views
        if len(params) <= 1
    }
    banded = BANDED_RULE in pages[()]  # the attacker reads how counts are published
    truth = {}  # computed for the views the checks need

    def true_value(key, quantity):
        if key not in truth:
            truth[key] = _truth(analyst, force, dict(key))
        return truth[key].get(quantity, 0)

    # Every quantity any view publishes, named per view; a view withheld whole says 0 to 9 of each.
    quantities = set().union(*(view.cells for view in published.values()), _truth(analyst, force, {}))
    knowledge, was_hidden = Knowledge(), set()
    failures = {"shown": [], "rate": [], "recovered": []}
    for key, view in published.items():
        for quantity in quantities:
            name = (key, quantity)
            knowledge.variable(name)
            if view.withheld:
                knowledge.know(name, 0, 9)
                was_hidden.add(name)
                continue
            text = view.cells.get(quantity)
            if text is None:  # a row not listed (an absent group, an agency without referrals)
                if quantity[0] in {"fairness", "partners"}:
                    knowledge.know(name, 0, 0)
                continue
            if text.strip() in SMALL_SHOWN:
                failures["shown"].append(f"{dict(key)} shows {quantity} = {text}")
            span = shown_range(text, banded=banded)
            if span is None or hidden(text):
                was_hidden.add(name)
            if span is not None:
                knowledge.know(name, *span)
        for rate, counts, where in view.rate_beside:
            if rate.strip() and any(hidden(c) for c in counts):
                failures["rate"].append(f"{dict(key)} shows the {where} rate {rate} beside a count not shown")
        for number in numbers_shown_in_html(pages.get(key, "")):
            if number in SMALL_SHOWN:
                failures["shown"].append(f"the dashboard filtered by {dict(key)} shows the count {number}")

    fairness_groups = {
        dimension: {q[2] for q in quantities if q[0] == "fairness" and q[1] == dimension}
        for dimension in ("ethnicity", "sex", "age_band")
    }
    counts = [q for q in quantities if q[0] != "fairness"]

    # Within a view and across its tables.
    for key in published:
        total = (key, ("outcomes", "cases"))
        statuses = [(key, q) for q in quantities if q[0] == "status"]
        knowledge.total_is_sum(total, statuses)
        for dimension, groups in fairness_groups.items():
            for column, measure in [
                ("cases", "cases"),
                ("completed", "diverted from prosecution"),
                ("breached", "breached"),
            ]:
                parts = [(key, ("fairness", dimension, g, column)) for g in groups]
                knowledge.total_is_sum((key, ("outcomes", measure)), parts)
            for g in groups:
                knowledge.no_more_than((key, ("fairness", dimension, g, "eligible")), total)
        # The funnel repeats the outcomes; its steps narrow; each month's figures nest and the months
        # of caution are some of the cautions given.
        outcome = {
            m: (key, ("outcomes", m))
            for m in ("cases", "cautions given", "diverted from prosecution", "breached")
        }
        funnel = {step: (key, ("funnel", step)) for step in FUNNEL}
        knowledge.same(funnel["Cases opened"], outcome["cases"])
        knowledge.same(funnel["Cautioned"], outcome["cautions given"])
        knowledge.same(funnel["Completed, no prosecution"], outcome["diverted from prosecution"])
        knowledge.total_is_sum(
            funnel["Finished"], [outcome["diverted from prosecution"], outcome["breached"]]
        )
        knowledge.no_more_than(funnel["Found eligible"], outcome["cases"])
        months = sorted({q[1] for q in quantities if q[0] == "compliance"})
        for month in months:
            cautioned, finished, completed = (
                (key, ("compliance", month, c)) for c in ("cautioned", "finished", "completed")
            )
            knowledge.no_more_than(finished, cautioned)
            knowledge.no_more_than(completed, finished)
            if (key, ("reoffending", month, "followed up")) in knowledge.bounds:
                followed = (key, ("reoffending", month, "followed up"))
                knowledge.no_more_than((key, ("reoffending", month, "reoffended")), followed)
                knowledge.no_more_than(followed, cautioned)
        earlier = knowledge.unknown()  # cautions given before the 36 months
        knowledge.total_is_sum(
            outcome["cautions given"], [*((key, ("compliance", m, "cautioned")) for m in months), earlier]
        )

    # Across filters: a filter's values share out the figures without it; a fairness row is the view
    # filtered to its group; an offence group's figures are no more than those without the filter.
    bases = [k for k in published if len(k) <= 1]
    for base in bases:
        params = dict(base)
        for name in (*PARTITIONS, "ethnicity"):
            if name in params:
                continue
            parts = [_key({**params, name: v}) for v in values[name]]
            if not all(p in published for p in parts):
                continue
            for quantity in quantities:
                terms = [(p, quantity) for p in parts]
                if name == "ethnicity":
                    if quantity[0] == "fairness" and quantity[1] == "ethnicity":
                        continue
                    terms.append(knowledge.unknown())  # people with no ethnic group recorded
                knowledge.total_is_sum((base, quantity), terms)
        for name, dimension, label in [
            ("ethnicity", "ethnicity", lambda v: v),
            ("sex", "sex", _sex_label),
            ("age_band", "age_band", lambda v: v),
        ]:
            if name in params:
                continue
            for v in values[name]:
                sub = _key({**params, name: v})
                if sub not in published:
                    continue
                for column, measure in [
                    ("cases", "cases"),
                    ("completed", "diverted from prosecution"),
                    ("breached", "breached"),
                ]:
                    group = ("fairness", dimension, label(v), column)
                    knowledge.same((base, group), (sub, ("outcomes", measure)))
        if "opened_from" not in params and "opened_to" not in params:
            for start, end in zip(values["opened_from"], values["opened_to"], strict=True):
                after, before = _key({**params, "opened_from": start}), _key({**params, "opened_to": end})
                if after in published and before in published:
                    for quantity in counts:
                        knowledge.total_is_sum((base, quantity), [(after, quantity), (before, quantity)])
        for group in values["offence_group"]:
            sub = _key({**params, "offence_group": group})
            if sub in published and "offence_group" not in params:
                for quantity in counts:
                    knowledge.no_more_than((sub, quantity), (base, quantity))

    knowledge.propagate()
    # Every value the attacker pins is checked against the truth, and so is every value of a sample
    # of views, so that a wrong assumption in the attacker's reasoning fails the test.
    sample = {name for name in knowledge.bounds if name[0] != "unknown" and len(name[0]) <= 1}

    for (key, quantity), (low, high) in knowledge.bounds.items():
        if key == "unknown" or (low != high and (key, quantity) not in sample):
            continue
        true = true_value(key, quantity)
        assert low <= true <= high, (
            f"the attacker's model is wrong: {dict(key)} {quantity} {true} ∉ [{low}, {high}]"
        )
        if low == high and (key, quantity) in was_hidden:
            failures["recovered"].append(f"{dict(key)} {quantity} = {true}, recovered exactly")
    return failures

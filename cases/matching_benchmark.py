"""How well the duplicate matching finds people written another way, measured on the labelled set
(``cases/fixtures/duplicate_pairs.csv``, made by ``scripts/make_duplicate_pairs.py``): issue 14, part 4.

Every pair's recorded person (``a``) is recorded in a scratch force, in one transaction rolled back at
the end; then each pair's later details (``b``) are looked up with the matching intake uses
(``cases.matching.candidates_for``, its queries included). The shortlist of a lookup is every
candidate it lists (a score of ``SHORTLIST_SCORE`` or more).

- **Recall**: of the pairs that are one person, the share whose recorded person is on the shortlist.
- **Precision**: of every candidate on every shortlist, the share that is the pair's own person and
  labelled the same person. A different person listed (the other twin, someone of another pair who
  happens to look alike) counts against it.

The goal (issue 14): recall of at least 95% with a precision of at least 90%.
"""

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction

from offenderhub.accounts.models import Organisation, OrganisationKind, User

from . import matching
from .models import Person, PersonAlias, Sex, normalise_pnc_id

PAIRS = Path(__file__).resolve().parent / "fixtures" / "duplicate_pairs.csv"
RECALL_GOAL, PRECISION_GOAL = 0.95, 0.90


@dataclass
class Tally:
    pairs: int = 0
    same: int = 0  # pairs labelled one person
    found: int = 0  # ... whose recorded person was shortlisted
    wrongly_matched: int = 0  # pairs of two people whose recorded person was shortlisted
    shortlisted: int = 0  # candidates listed in all
    right: int = 0  # candidates listed that were the pair's own person, labelled the same
    missed: list = field(default_factory=list)  # pair numbers

    @property
    def recall(self):
        return self.found / self.same if self.same else None

    @property
    def precision(self):
        return self.right / self.shortlisted if self.shortlisted else None

    def add(self, other):
        for name in ("pairs", "same", "found", "wrongly_matched", "shortlisted", "right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missed += other.missed


@dataclass
class Result:
    overall: Tally
    by_category: dict

    @property
    def goal_met(self):
        return (self.overall.recall or 0) >= RECALL_GOAL and (self.overall.precision or 0) >= PRECISION_GOAL


def _pnc(value):
    return normalise_pnc_id(value) if value.strip() else ""


def _aliases(value):
    """``"Family, Given; Family, Given"`` → ``[(given, family)]``."""
    found = []
    for part in (value or "").split(";"):
        if part.strip():
            family, _, given = part.partition(",")
            found.append((given.strip(), family.strip()))
    return found


def run(path=PAIRS) -> Result:
    """Measure the matching on the labelled set at ``path``; saves nothing."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with transaction.atomic():
        result = _measure(rows)
        transaction.set_rollback(True)
    return result


def _measure(rows) -> Result:
    mark = uuid.uuid4().hex[:8]
    force = Organisation.objects.create(
        name=f"Duplicates benchmark {mark}", kind=OrganisationKind.POLICE_FORCE
    )
    user = User.objects.create_user(
        f"benchmark-{mark}@example.invalid", full_name="Benchmark", organisation=force
    )
    people = []
    for row in rows:
        given, family = row["a_given_names"], row["a_family_name"]
        people.append(
            Person(
                force=force,
                created_by=user,
                given_names=given,
                family_name=family,
                date_of_birth=date.fromisoformat(row["a_date_of_birth"]),
                sex=Sex.NOT_STATED,
                pnc_id=_pnc(row["a_pnc_id"]),
                **matching.person_match_keys(given, family),
            )
        )
    Person.objects.bulk_create(people)
    PersonAlias.objects.bulk_create(
        [
            PersonAlias(person=person, given_names=given, family_name=family)
            for row, person in zip(rows, people, strict=True)
            for given, family in _aliases(row["a_aliases"])
        ]
    )
    overall, by_category = Tally(), {}
    for row, person in zip(rows, people, strict=True):
        details = matching.Details(
            row["b_given_names"],
            row["b_family_name"],
            date.fromisoformat(row["b_date_of_birth"]),
            _pnc(row["b_pnc_id"]),
        )
        listed = {c.person_id for c in matching.candidates_for(force_id=force.pk, details=details)}
        tally = Tally(pairs=1, shortlisted=len(listed))
        if row["label"] == "same":
            tally.same = 1
            if person.pk in listed:
                tally.found = tally.right = 1
            else:
                tally.missed = [int(row["pair"])]
        elif person.pk in listed:
            tally.wrongly_matched = 1
        overall.add(tally)
        by_category.setdefault((row["category"], row["label"]), Tally()).add(tally)
    return Result(
        overall, dict(sorted(by_category.items(), key=lambda item: (item[0][1] != "same", item[0][0])))
    )


def report(result: Result) -> list[str]:
    """The figures as lines of text."""

    def pct(value):
        return "–" if value is None else f"{100 * value:.1f}%"

    lines = [
        f"{'Category':<24} {'Label':<10} {'Pairs':>5} {'Matched':>8} {'Recall':>7} {'Listed':>7} "
        f"{'Precision':>10}"
    ]
    for (category, label), tally in result.by_category.items():
        matched = tally.found if label == "same" else tally.wrongly_matched
        lines.append(
            f"{category:<24} {label:<10} {tally.pairs:>5} {matched:>8} {pct(tally.recall):>7} "
            f"{tally.shortlisted:>7} {pct(tally.precision):>10}"
        )
    total = result.overall
    lines += [
        "",
        f"Pairs: {total.pairs} ({total.same} of one person, {total.pairs - total.same} of two people)",
        f"Recall: {pct(total.recall)} ({total.found} of {total.same} found; goal {RECALL_GOAL:.0%})",
        f"Precision: {pct(total.precision)} ({total.right} of {total.shortlisted} listed were right; goal "
        f"{PRECISION_GOAL:.0%})",
        f"Two people matched as one: {total.wrongly_matched} pairs",
        f"Goal met: {'yes' if result.goal_met else 'no'}",
    ]
    if total.missed:
        lines.append(f"Missed pairs: {', '.join(str(n) for n in total.missed)}")
    return lines

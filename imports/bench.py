"""A large caseload file for the import's benchmark (``manage.py caseload_import_bench``), generated
deterministically: the same rows for the same number, seed and day.

The rows are those a force moving to Offender Hub would bring: cases in every status in the shares a
scheme that has run for years holds (most finished, a working set open, as ``reporting.volume``), with
the dates each status needs in order, one or two offences, up to three conditions with referrals to the
demo's partners, people with PNC IDs (some with two cases), some known only by the force's own
reference, and a few who look like another row's person. They name the demo force's schemes, areas,
staff, partners and services (``seed_demo``), and pass every check of the import.
"""

import csv
import io
import random
from datetime import date, timedelta

from cases.models import CaseStatus
from reporting.volume import FAMILY, GIVEN_FEMALE, GIVEN_MALE, OFFENCE_WEIGHTS, STATUS_SHARES, STREETS, TOWNS

from .columns import COLUMNS

S = CaseStatus
CASE_WORKERS = ("caseworker@fenshire-police.example", "caseworker2@fenshire-police.example")
DECISION_MAKER = "decisions@fenshire-police.example"
PARTNER_SERVICES = [
    ("Compass Drug and Alcohol Service", "Alcohol and drug brief intervention"),
    ("Compass Drug and Alcohol Service", "Victim awareness course"),
    ("Open Door Housing Support", "Tenancy and housing support"),
    ("Fenland Debt and Money Advice", "Debt and benefits advice"),
]
WORDING = {
    "rehabilitative": "Attend the sessions the service arranges and follow its advice.",
    "reparative": "Reparation at the community garden, as the Offender Hub team arranges.",
    "punitive": "Pay a financial penalty.",
    "restrictive": "Do not enter the shop where the offence took place.",
}
ETHNICITIES = ["W1"] * 14 + ["W2", "W5", "A1", "A3", "A4", "B1", "B2", "M3", ""]
MAX_CONDITIONS = 3


def header() -> list[str]:
    names = [c.name for c in COLUMNS if "_N" not in c.name]
    at = names.index("circumstances") + 1
    offences = [
        c.name.replace("_N", f"_{n}") for n in (1, 2) for c in COLUMNS if c.name.startswith("offence_N")
    ]
    conditions = [
        c.name.replace("_N", f"_{n}")
        for n in range(1, MAX_CONDITIONS + 1)
        for c in COLUMNS
        if c.name.startswith("condition_N")
    ]
    return names[:at] + offences + names[at:] + conditions


class _Generator:
    def __init__(self, *, seed: int, today: date):
        self.rng = random.Random(f"caseload:{seed}")
        self.seed = seed
        self.today = today
        self.statuses = list(STATUS_SHARES)
        self.weights = list(STATUS_SHARES.values())
        self.offences = list(OFFENCE_WEIGHTS)
        self.offence_weights = list(OFFENCE_WEIGHTS.values())
        self.people = []  # people already given a case, for some to have another

    def person(self, n: int) -> dict:
        rng = self.rng
        roll = rng.random()
        if self.people and roll < 0.07:  # a second case for someone with a PNC ID earlier in the file
            return dict(rng.choice(self.people))
        sex = rng.choice(["male", "male", "male", "female"])
        given = rng.choice(GIVEN_MALE if sex == "male" else GIVEN_FEMALE)
        family = rng.choice(FAMILY)
        born = date(rng.randint(1958, 2004), rng.randint(1, 12), rng.randint(1, 28))
        person = {
            "given_names": given,
            "family_name": family,
            "date_of_birth": born.isoformat() if rng.random() < 0.7 else born.strftime("%d/%m/%Y"),
            "sex": sex,
            "ethnicity": rng.choice(ETHNICITIES),
            "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}",
            "postcode": f"FE{rng.randint(1, 9)} {rng.randint(1, 9)}"
            + rng.choice("ABDEFGHJLN")
            + rng.choice("PQRSTUWXY"),
            "phone": f"07700 9{rng.randint(0, 99999):05d}",
        }
        if roll < 0.95:
            serial = (self.seed * 1_000_003 + n) % 10_000_000
            person["pnc_id"] = f"{(born.year + 18) % 100:02d}/{serial:07d}{rng.choice('ABCDEFGHJK')}"
            self.people.append(person)
        elif roll < 0.98:
            person["person_reference"] = f"NICHE-{self.seed}-{n}"
        if rng.random() < 0.03:
            person["aliases"] = f"{rng.choice(FAMILY)}, {given}"
        if rng.random() < 0.02:
            person["interpreter_language"] = rng.choice(["Polish", "Romanian", "Lithuanian", "Urdu"])
        return person

    def row(self, n: int) -> dict:
        rng = self.rng
        status = rng.choices(self.statuses, self.weights)[0]
        row = {
            "case_reference": f"BENCH/{self.seed}/{n:06d}",
            **self.person(n),
            "scheme": "OH",
            "area": rng.choice(["north", "south"]),
            "case_worker": rng.choice(CASE_WORKERS),
            "status": status,
        }
        offence = rng.choices(self.offences, self.offence_weights)[0]
        # The case's journey, in days from the arrest, then moved so its last date is in the past.
        decided = rng.randint(4, 15)
        cautioned = decided + rng.randint(3, 10)
        conditions = self._conditions(status)
        last_due = max((c["due"] for c in conditions), default=0)
        ends = {
            S.INTAKE: 1,
            S.AWAITING_DECISION: 3,
            S.INELIGIBLE: decided,
            S.DECLINED: decided,
            S.ASSESSMENT: decided + 1,
            S.CONDITIONS_AGREED: decided + 1,
            S.ACTIVE: cautioned + 1,
            S.BREACH_REVIEW: cautioned + last_due + 2,
            S.COMPLETED: cautioned + last_due,
            S.PROSECUTION_RESUMED: cautioned + last_due + 10,
            S.WITHDRAWN: 12,
            S.CLOSED: cautioned + last_due + 40,
        }[status]
        recent = status in (
            S.INTAKE,
            S.AWAITING_DECISION,
            S.ASSESSMENT,
            S.CONDITIONS_AGREED,
            S.ACTIVE,
            S.BREACH_REVIEW,
        )
        arrest = self.today - timedelta(days=ends + (rng.randint(0, 20) if recent else rng.randint(0, 1000)))

        def on(days):
            return (arrest + timedelta(days=days)).isoformat()

        row.update(
            arrest_date=on(0),
            opened_on=on(1),
            victim_type=rng.choice(["none", "person", "business"]),
            offence_1=offence,
            offence_1_date=on(-rng.randint(0, 2)),
            circumstances="Recorded before Offender Hub.",
        )
        if rng.random() < 0.2:
            row.update(offence_2=rng.choices(self.offences, self.offence_weights)[0], offence_2_date=on(0))
        if status == S.INELIGIBLE and rng.random() < 0.3:
            row["offence_1"] = "Robbery"
        if status in (S.INELIGIBLE, S.DECLINED, S.ASSESSMENT, S.CONDITIONS_AGREED) or status not in (
            S.INTAKE,
            S.AWAITING_DECISION,
            S.WITHDRAWN,
        ):
            row.update(decision_date=on(decided), decision_maker=DECISION_MAKER)
        if status == S.WITHDRAWN:
            row.update(withdrawn_on=on(12), withdrawn_reason="The victim withdrew the complaint.")
        resumed = status == S.PROSECUTION_RESUMED or (status == S.CLOSED and rng.random() < 0.2)
        if "decision_date" in row and status not in (
            S.INELIGIBLE,
            S.DECLINED,
            S.ASSESSMENT,
            S.CONDITIONS_AGREED,
        ):
            row.update(caution_date=on(cautioned), caution_place="Fenchester Police Station")
        start = cautioned if "caution_date" in row else decided
        if status == S.BREACH_REVIEW or resumed:
            row["breach_date"] = on(cautioned + last_due + 2)
            if resumed:
                row["prosecution_date"] = on(cautioned + last_due + 9)
                for condition in conditions:
                    condition["status"] = "failed" if condition is conditions[0] else condition["status"]
        if status == S.COMPLETED or (status == S.CLOSED and not resumed):
            row["completed_on"] = on(cautioned + last_due)
            for condition in conditions:
                condition["status"] = "complete"
        if status == S.CLOSED:
            row["closed_on"] = on(cautioned + last_due + 30)
        for number, condition in enumerate(conditions, start=1):
            self._condition_columns(row, number, condition, on, start)
        return row

    def _conditions(self, status) -> list[dict]:
        rng = self.rng
        if status not in (
            S.CONDITIONS_AGREED,
            S.ACTIVE,
            S.BREACH_REVIEW,
            S.COMPLETED,
            S.PROSECUTION_RESUMED,
            S.CLOSED,
        ):
            return []
        conditions = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            kind = rng.choices(["rehabilitative", "reparative", "punitive", "restrictive"], [6, 2, 1, 1])[0]
            if kind == "punitive" and any(c["kind"] == "punitive" for c in conditions):
                kind = "rehabilitative"  # one penalty, within the lowest cap (£50)
            state = "pending"
            if status == S.ACTIVE:
                state = rng.choice(["pending", "in_progress", "complete"])
            elif status == S.BREACH_REVIEW:
                state = "failed" if not conditions else rng.choice(["complete", "in_progress"])
            elif status in (S.PROSECUTION_RESUMED, S.CLOSED):
                state = "complete"
            conditions.append({"kind": kind, "status": state, "due": rng.randint(30, 105)})
        return conditions

    def _condition_columns(self, row, number, condition, on, start):
        rng = self.rng
        prefix = f"condition_{number}"
        kind, state = condition["kind"], condition["status"]
        row[f"{prefix}_kind"] = kind
        row[f"{prefix}_wording"] = WORDING[kind]
        row[f"{prefix}_due_date"] = on(start + condition["due"])
        row[f"{prefix}_status"] = state
        if kind == "reparative":
            row[f"{prefix}_hours"] = str(rng.randint(2, 6))
        if kind == "punitive":
            row.update(
                {f"{prefix}_amount_kind": "penalty", f"{prefix}_amount": str(rng.choice([20, 30, 40, 50]))}
            )
        if kind == "rehabilitative" and rng.random() < 0.7:
            partner, service = rng.choice(PARTNER_SERVICES)
            referral = {
                "pending": "accepted",
                "in_progress": "in_progress",
                "complete": "completed",
                "failed": "not_completed",
                "withdrawn": "withdrawn",
            }[state]
            if referral == "accepted" and row["status"] in (S.CONDITIONS_AGREED,):
                referral = "sent"
            row.update(
                {
                    f"{prefix}_partner": partner,
                    f"{prefix}_service": service,
                    f"{prefix}_referral_status": referral,
                    f"{prefix}_referral_sent_on": on(start + 1),
                }
            )


def caseload_file(*, rows: int, seed: int = 1, today: date) -> bytes:
    """``rows`` cases as a CSV file (UTF-8), the same bytes for the same arguments."""
    generator = _Generator(seed=seed, today=today)
    names = header()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for n in range(1, rows + 1):
        writer.writerow(generator.row(n))
    return out.getvalue().encode()

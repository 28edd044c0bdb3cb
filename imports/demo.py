"""A caseload import already done, for a first run (called by ``seed_demo``): four cases from the demo
force's records before Offender Hub, one of whose people looks like someone already recorded, so that
the imports page has a report to show, with a likely match, and the data-quality page a suspected
duplicate to follow up. Dated from today; importing it again adds nothing (``docs/examples/caseload.csv``
is left for the reader to import)."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from cases.models import Person
from offenderhub.accounts.models import Organisation, User

from .bench import header
from .services import caseload_import_file

CW1, CW2, DM = (
    "caseworker@fenshire-police.example",
    "caseworker2@fenshire-police.example",
    "decisions@fenshire-police.example",
)


def _rows(today):
    def on(days_ago):
        return (today - timedelta(days=days_ago)).isoformat()

    rows = [
        {
            "case_reference": "FEN/DEMO/0311",
            "pnc_id": "88/0456123F",
            "given_names": "Gary",
            "family_name": "Webb",
            "date_of_birth": "1988-02-09",
            "sex": "male",
            "ethnicity": "W1",
            "scheme": "OH",
            "area": "north",
            "case_worker": CW1,
            "status": "completed",
            "arrest_date": on(400),
            "victim_type": "business",
            "offence_1": "Shop theft (goods worth £200 or less)",
            "offence_1_date": on(400),
            "decision_date": on(390),
            "decision_maker": DM,
            "caution_date": on(385),
            "completed_on": on(305),
            "condition_1_kind": "rehabilitative",
            "condition_1_wording": "Attend an alcohol brief intervention with Compass.",
            "condition_1_due_date": on(300),
            "condition_1_status": "complete",
            "condition_1_outcome_on": on(306),
            "condition_1_partner": "Compass Drug and Alcohol Service",
            "condition_1_service": "Alcohol and drug brief intervention",
            "condition_1_referral_status": "completed",
            "condition_1_referral_sent_on": on(384),
        },
        {
            "case_reference": "FEN/DEMO/0312",
            "pnc_id": "95/0012987T",
            "given_names": "Rachel",
            "family_name": "Dunn",
            "date_of_birth": "1995-11-30",
            "sex": "female",
            "scheme": "OH",
            "area": "south",
            "case_worker": CW2,
            "status": "closed",
            "arrest_date": on(600),
            "victim_type": "person",
            "offence_1": "Criminal damage (under £5,000)",
            "offence_1_date": on(601),
            "decision_date": on(590),
            "decision_maker": DM,
            "caution_date": on(585),
            "completed_on": on(525),
            "closed_on": on(500),
            "condition_1_kind": "reparative",
            "condition_1_wording": "Six hours of reparation at the community garden.",
            "condition_1_due_date": on(520),
            "condition_1_status": "complete",
            "condition_1_outcome_on": on(526),
            "condition_1_hours": "6",
        },
        {
            "case_reference": "FEN/DEMO/0044",
            "pnc_id": "90/0777421L",
            "given_names": "Jason",
            "family_name": "Price",
            "date_of_birth": "1990-06-14",
            "sex": "male",
            "scheme": "OH",
            "area": "north",
            "case_worker": CW1,
            "status": "prosecution_resumed",
            "arrest_date": on(200),
            "victim_type": "person",
            "offence_1": "Assault occasioning actual bodily harm",
            "offence_1_date": on(201),
            "decision_date": on(192),
            "decision_maker": DM,
            "caution_date": on(187),
            "breach_date": on(118),
            "prosecution_date": on(110),
            "condition_1_kind": "rehabilitative",
            "condition_1_wording": "Attend the victim awareness course with Compass.",
            "condition_1_due_date": on(120),
            "condition_1_status": "failed",
            "condition_1_outcome_on": on(119),
            "condition_1_partner": "Compass Drug and Alcohol Service",
            "condition_1_service": "Victim awareness course",
            "condition_1_referral_status": "not_completed",
            "condition_1_referral_sent_on": on(186),
        },
    ]
    # Someone already recorded by the demo (Kayleigh Brooks), spelt another way and without their PNC
    # ID: a likely match, with the reasons.
    known = Person.objects.filter(pnc_id="15/0023456B", force__name="Fenshire Constabulary").first()
    if known is not None:
        rows.append(
            {
                "case_reference": "FEN/DEMO/0120",
                "given_names": "Kaylee",
                "family_name": "Brookes",
                "date_of_birth": known.date_of_birth.isoformat(),
                "sex": known.sex,
                "scheme": "OH",
                "area": "south",
                "case_worker": CW2,
                "status": "withdrawn",
                "arrest_date": on(75),
                "victim_type": "business",
                "offence_1": "Shop theft (goods worth £200 or less)",
                "offence_1_date": on(76),
                "withdrawn_on": on(60),
                "withdrawn_reason": "The shop withdrew its complaint.",
            }
        )
    return rows


def seed_imports(out):
    force = Organisation.objects.get(name="Fenshire Constabulary")
    admin = User.objects.get(email="admin@fenshire-police.example")
    names = header()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in _rows(timezone.localdate()):
        writer.writerow(row)
    result = caseload_import_file(
        force=force,
        actor=admin,
        content=text.getvalue().encode(),
        filename="caseload-before-offender-hub.csv",
        from_command=False,
    )
    if not result.plan.ok:
        raise RuntimeError(f"The demo's caseload import was refused: {result.plan.errors[:3]}")
    added = result.plan.counts.get("cases", 0)
    out(f"caseload import: {added} cases added, {result.plan.counts.get('cases_held', 0)} already held")

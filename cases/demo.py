"""Demo schemes, people and cases for a first run (called by ``seed_demo``). Idempotent: keyed on
the scheme code and on the person's PNC ID."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count
from django.utils import timezone

from offenderhub.accounts.models import Organisation, User

from . import services
from .events import EventCode
from .models import Case, DisposalType, Offence, Person, PersonChange, PersonMerge, Scheme

SCHEMES = [
    {
        "code": "OH",
        "name": "Fenshire Deferred Prosecution",
        "disposal": "deferred-prosecution",
        "compliance_period_default_days": 16 * 7,
        "compliance_period_max_days": 20 * 7,
        "maximum_gravity": 3,
        "excluded_offence_groups": ["sexual", "robbery", "weapons", "driving"],
        "excluded_flags": ["hate_crime", "domestic_abuse", "weapon", "sexual", "court_order"],
        "prosecutor_authority_for": ["indictable_only"],
        "breach_decision_days": 10,
        "reminder_lead_days": 7,
    },
    {
        "code": "CP",
        "name": "Checkpoint",
        "disposal": "conditional-caution",
        "compliance_period_default_days": 122,
        "compliance_period_max_days": 122,
        "maximum_gravity": 3,
        "maximum_crime_age_days": 90,
        "excluded_offence_groups": ["sexual", "robbery", "weapons", "driving"],
        "excluded_flags": ["hate_crime", "domestic_abuse", "weapon", "sexual", "court_order", "co_accused"],
        "prosecutor_authority_for": ["indictable_only"],
        "must_live_in_force_area": True,
        "accepts_no_comment_interview": True,
        "breach_decision_days": 14,
        "reminder_lead_days": 5,
        "random_allocation": True,
    },
]

# PNC ID, given, family, years old, sex, offence, days since offence, scheme, what happens
PEOPLE = [
    (
        "19/0012345A",
        "Daniel",
        "Whitmore",
        24,
        "male",
        "Shop theft (goods worth £200 or less)",
        20,
        "OH",
        "intake",
    ),
    (
        "15/0023456B",
        "Kayleigh",
        "Brooks",
        31,
        "female",
        "Criminal damage (under £5,000)",
        150,
        "OH",
        "awaiting",
    ),
    (
        "21/0034567C",
        "Marcus",
        "Oyelaran",
        19,
        "male",
        "Possession of a controlled drug (Class B or C)",
        12,
        "CP",
        "awaiting",
    ),
    ("24/0045678D", "Ellie", "Marsh", 17, "female", "Common assault", 30, "OH", "ineligible"),
    ("12/0056789E", "Gary", "Penrose", 45, "male", "Drunk and disorderly", 25, "OH", "declined"),
    (
        "17/0067890F",
        "Aisha",
        "Rahman",
        28,
        "female",
        "Shop theft (goods worth over £200)",
        40,
        "OH",
        "eligible",
    ),
    (
        "16/0078901G",
        "Liam",
        "Doherty",
        36,
        "male",
        "Assault occasioning actual bodily harm",
        60,
        "CP",
        "eligible",
    ),
    # A summary-only offence almost six months old: its limit is days away (the loud alert).
    ("22/0156789Q", "Carl", "Dunmore", 33, "male", "Drunk and disorderly", 178, "OH", "eligible"),
    (
        "23/0167890R",
        "Megan",
        "Price",
        26,
        "female",
        "Shop theft (goods worth over £200)",
        15,
        "OH",
        "withdrawn",
    ),
]


def demo_case(
    pnc, given, family, age, sex, offence_name, days_ago, scheme_code, outcome, *, decided_days_ago=0
):
    """One demo person and case taken through intake and the eligibility decision by the real
    services. Returns the case, or None when the person already exists (the demo is idempotent)."""
    force = Organisation.objects.get(name="Fenshire Constabulary")
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    decider = User.objects.get(email="decisions@fenshire-police.example")
    today = timezone.localdate()
    if Person.objects.filter(force=force, pnc_id=pnc).exists():
        return None
    born = today - relativedelta(years=age) - timedelta(days=40)  # on 29 February: 28 February
    person = services.person_create(
        actor=case_worker,
        data={
            "given_names": given,
            "family_name": family,
            "date_of_birth": born,
            "sex": sex,
            "pnc_id": pnc,
            "address": "1 Demo Street\nFenchester",
            "postcode": "FE1 2AB",
            "phone": "07700 900123",
        },
    )
    offence_date = today - timedelta(days=days_ago)
    has_victim = "theft" in offence_name.lower() or "damage" in offence_name.lower()
    case = services.case_create(
        actor=case_worker,
        person=person,
        scheme=Scheme.objects.get(code=scheme_code),
        area=case_worker.area,
        owner=case_worker,
        arrest_date=offence_date + timedelta(days=1),
        offences=[services.OffenceEntry(Offence.objects.get(name=offence_name), offence_date)],
        victim_type="business" if has_victim else "none",
        victim_views="The store manager supports an out-of-court disposal if the goods are paid for."
        if has_victim
        else "",
        victim_views_obtained_on=offence_date + timedelta(days=2) if has_victim else None,
        victim_rj_consent="consents" if has_victim else "not_applicable",
        circumstances="Demo case.",
    )
    if outcome == "intake":
        return case
    services.case_submit_for_decision(case_id=case.pk, actor=case_worker)
    if outcome == "awaiting":
        return case
    if outcome == "withdrawn":
        services.case_withdraw(
            case_id=case.pk, actor=case_worker, reason="The store withdrew its complaint; no further action."
        )
        return case
    services.eligibility_decide(
        case_id=case.pk,
        actor=decider,
        based_on=None,
        outcome={"ineligible": "ineligible", "declined": "declined", "eligible": "eligible"}[outcome],
        evidence_person_committed=True,
        sufficient_evidence_to_charge=True,
        authority="authorised_officer",
        admission="denies" if outcome == "declined" else "admits",
        gravity_adjustment=0,
        rationale="Demo decision.",
        time_limit_acknowledged=True,
        decision_date=today - timedelta(days=decided_days_ago),
    )
    return case


def demo_corrections():
    """Kayleigh Brooks's record corrected after intake: a mistyped phone number, a move, a nickname
    added and a misspelt alias ended, so that her page has a history. Once only."""
    person = Person.objects.filter(pnc_id="15/0023456B", force__name="Fenshire Constabulary").first()
    if person is None or PersonChange.objects.filter(person=person).exists():
        return
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    services.person_correct(
        person_id=person.pk,
        actor=case_worker,
        changes={"phone": "07700 900456"},
        reason="The number was mistyped at intake; confirmed with Kayleigh by phone.",
    )
    services.person_correct(
        person_id=person.pk,
        actor=case_worker,
        changes={"address": "Flat 3, 12 River View\nFenchester", "postcode": "FE3 4CD"},
        reason="Moved to supported housing through Open Door.",
    )
    services.person_alias_add(
        person_id=person.pk,
        actor=case_worker,
        given_names="Kaylee",
        family_name="Brooks",
        reason="The name she uses day to day.",
    )
    misspelt = services.person_alias_add(
        person_id=person.pk,
        actor=case_worker,
        given_names="Kayleigh",
        family_name="Brookes",
        reason="The spelling on the custody record.",
    )
    services.person_alias_end(
        person_id=person.pk,
        alias_id=misspelt.pk,
        actor=supervisor,
        reason="A misspelling on the custody record, since corrected; she has never used it.",
    )


def demo_case_correction():
    """Kayleigh Brooks's case corrected after intake: the circumstances told more fully, on its
    timeline with the reason. Once only."""
    case = (
        Case.objects.filter(person__pnc_id="15/0023456B", person__force__name="Fenshire Constabulary")
        .order_by("pk")
        .first()
    )
    if case is None or case.events.filter(code=EventCode.CASE_CORRECTED).exists():
        return
    services.case_correct(
        case_id=case.pk,
        actor=User.objects.get(email="supervisor@fenshire-police.example"),
        changes={
            "circumstances": "Kicked the glass panel of a bus shelter on the High Street after a night "
            "out and cracked it; the council valued the repair at £350."
        },
        reason="The circumstances recorded at intake were a placeholder; this is the officer's account.",
    )


def demo_merge() -> bool:
    """Marcus Oyelaran recorded a second time, misspelt "Oyelaren" and without his PNC ID, with a case
    opened at intake; a supervisor merged that record into his, keeping his name and the newer phone
    number. His page lists the merged record (with "Undo", which works until either record changes),
    and the merged record's page says where it went. (Daniel Whitmore's second record, from
    ``reporting.demo``, is left as a suspected duplicate to merge.) Once only."""
    force = Organisation.objects.get(name="Fenshire Constabulary")
    original = Person.objects.filter(force=force, pnc_id="21/0034567C").first()
    if original is None or PersonMerge.objects.filter(kept=original).exists():
        return False
    case_worker = User.objects.get(email="caseworker2@fenshire-police.example")
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    second = services.person_create(
        actor=case_worker,
        data={
            "given_names": original.given_names,
            "family_name": "Oyelaren",
            "date_of_birth": original.date_of_birth,
            "sex": original.sex,
            "address": original.address,
            "postcode": original.postcode,
            "phone": "07700 900789",
        },
    )
    offence_date = timezone.localdate() - timedelta(days=5)
    services.case_create(
        actor=case_worker,
        person=second,
        scheme=Scheme.objects.get(code="OH"),
        area=case_worker.area,
        owner=case_worker,
        arrest_date=offence_date,
        offences=[services.OffenceEntry(Offence.objects.get(name="Common assault"), offence_date)],
        victim_type="none",
        circumstances="Demo case: a second arrest, recorded under a misspelt surname.",
    )
    services.person_merge(
        actor=supervisor,
        kept_id=original.pk,
        merged_id=second.pk,
        choices={"name": "kept", "phone": "merged"},
        reason="The same person: the custody record misspelt his surname and the PNC check at intake was "
        "missed. He confirmed the new phone number at the second arrest.",
    )
    return True


def seed_cases(out):
    force = Organisation.objects.get(name="Fenshire Constabulary")
    for spec in SCHEMES:
        spec = dict(spec)
        disposal = DisposalType.objects.get(code=spec.pop("disposal"))
        Scheme.objects.get_or_create(
            code=spec["code"], defaults={**spec, "force": force, "disposal_type": disposal}
        )
    for spec in PEOPLE:
        demo_case(*spec)
    demo_corrections()
    demo_case_correction()
    if demo_merge():
        out("a person's two records merged (Marcus Oyelaran)")
    counts = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
    out(f"schemes: {Scheme.objects.count()}, cases by status: {counts}")

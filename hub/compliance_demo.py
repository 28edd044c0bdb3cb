"""Demo data for assessments, conditions, the caution, compliance, breach and prosecution (called by
``seed_demo``, ``hub/demo.py``). Its stories run through assessments, conditions and referrals
together, so they sit at the top of the stack, above all three. Every case is taken through the real
services; where the story needs time to have passed, the caution is recorded as given weeks ago; one
condition's due date is moved into the past afterwards, the one shortcut, to show an overdue
condition. Idempotent: keyed on each person's PNC ID."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentKind, Pathway
from cases.demo import demo_case
from cases.models import Case
from conditions import services
from conditions.models import BreachOutcome, Condition, ConditionTemplate, ProsecutionMethod
from offenderhub.accounts.models import Organisation, User
from referrals import demo as referral_demo
from referrals import services as referral_services
from referrals.demo import seed_services
from referrals.models import Service


def _people():
    return {
        "case_worker": User.objects.get(email="caseworker@fenshire-police.example"),
        "decider": User.objects.get(email="decisions@fenshire-police.example"),
        "supervisor": User.objects.get(email="supervisor@fenshire-police.example"),
        "force": Organisation.objects.get(name="Fenshire Constabulary"),
        "compass": Organisation.objects.get(name="Compass Drug and Alcohol Service"),
        "open_door": Organisation.objects.get(name="Open Door Housing Support"),
        "debt": Organisation.objects.get(name="Fenland Debt and Money Advice"),
    }


def _assess(case, p, needs, *, kind=AssessmentKind.INITIAL, complete=True):
    assessment = assessment_services.assessment_start(case_id=case.pk, actor=p["case_worker"], kind=kind)
    assessment_services.assessment_update(
        assessment_id=assessment.pk,
        actor=p["case_worker"],
        goals="Stay out of trouble, keep my tenancy and get back into work.",
        risk_flags=["self_harm"] if needs.get(Pathway.HEALTH) else [],
        risk_notes="Discussed with the person; no current risk to others identified.",
        needs={pathway: (level, "Discussed at the joint assessment.") for pathway, level in needs.items()},
    )
    assessment_services.assessment_contribute(
        assessment_id=assessment.pk,
        actor=p["case_worker"],
        organisation=p["compass"],
        contributor_name="Sam Patel, recovery worker",
        pathway=Pathway.DRUGS_ALCOHOL,
        text="Drinking most days since losing work; open to a brief intervention.",
    )
    if complete:
        assessment_services.assessment_complete(assessment_id=assessment.pk, actor=p["case_worker"])
    return assessment


def _template(name):
    return ConditionTemplate.objects.get(name=name, force=None)


def _add(case, p, name, organisation, days, **extra):
    template = _template(name)
    return services.condition_add(
        case_id=case.pk,
        actor=p["case_worker"],
        template=template,
        needs_referral=template.needs_referral,
        kind=template.kind,
        wording=extra.pop("wording", template.wording),
        due_date=timezone.localdate() + timedelta(days=days),
        responsible_organisation=organisation,
        owner=p["case_worker"] if organisation == p["force"] else None,
        hours=extra.pop("hours", template.default_hours),
        amount_kind=template.amount_kind,
        amount=extra.pop("amount", None),
    )


def _standard_conditions(case, p):
    return [
        _add(case, p, "Attend an alcohol or drug intervention", p["compass"], 40),
        _add(case, p, "Write a letter of apology", p["force"], 14),
        _add(case, p, "Pay compensation to the victim", p["force"], 30, amount=Decimal("45.00")),
    ]


def _caution(case, p, *, weeks_ago):
    """Agree the conditions and record the caution as given ``weeks_ago`` (recorded after the event)."""
    services.conditions_agree(case_id=case.pk, actor=p["case_worker"])
    return services.caution_administer(
        case_id=case.pk,
        actor=p["decider"],
        administered_on=timezone.localdate() - timedelta(weeks=weeks_ago),
        place="Fenchester police station",
        admission_words="I took the things and I'm sorry.",
        effect_explained=True,
        warning_given=True,
        consented=True,
        signed=True,
    )


def _progress(condition, p, to, notes="", actor=None):
    return services.condition_progress(
        condition_id=condition.pk, actor=actor or p["case_worker"], to=to, notes=notes
    )


# PNC ID, given, family, age, sex, offence, days since offence, scheme, story
STORIES = [
    (
        "20/0089012H",
        "Jordan",
        "Pike",
        27,
        "male",
        "Shop theft (goods worth £200 or less)",
        25,
        "OH",
        "assessing",
    ),
    ("18/0090123J", "Sophie", "Langley", 33, "female", "Criminal damage (under £5,000)", 30, "OH", "agreed"),
    (
        "14/0101234K",
        "Tom",
        "Hargreaves",
        41,
        "male",
        "Shop theft (goods worth over £200)",
        70,
        "OH",
        "active",
    ),
    (
        "13/0112345L",
        "Priya",
        "Nair",
        29,
        "female",
        "Shop theft (goods worth over £200)",
        120,
        "OH",
        "diverted",
    ),
    ("11/0123456M", "Ryan", "Cole", 38, "male", "Criminal damage (under £5,000)", 80, "OH", "breach"),
    (
        "10/0134567N",
        "Shane",
        "Mercer",
        44,
        "male",
        "Shop theft (goods worth £200 or less)",
        90,
        "OH",
        "resumed",
    ),
    ("09/0145678P", "Dean", "Foster", 35, "male", "Shop theft (goods worth over £200)", 150, "OH", "closed"),
]


def _story(story, case, p):
    """Take a case through its story: each story goes one step further than the one before it."""
    in_need = {Pathway.DRUGS_ALCOHOL: 3, Pathway.ACCOMMODATION: 2, Pathway.FINANCE_DEBT: 2, Pathway.HEALTH: 1}
    partners = referral_demo.users()
    if story == "assessing":
        _story_assessing(case, p, partners, in_need)
        return
    _assess(case, p, in_need)
    if story == "agreed":
        _story_agreed(case, p, partners)
        return
    if story == "active":
        _story_active(case, p, partners)
        return
    conditions = _standard_conditions(case, p)
    if story == "diverted":
        _story_diverted(case, p, partners, conditions)
        return
    _caution(case, p, weeks_ago=6)
    _progress(conditions[1], p, "complete", "Letter received and read.")
    if story == "breach":
        _story_breach(case, p, partners, conditions)
        return
    _story_prosecution(story, case, p, conditions)


def _story_assessing(case, p, partners, in_need):
    _assess(case, p, in_need, complete=False)
    declined = referral_demo.refer(case, p["case_worker"], "Tenancy and housing support")
    referral_services.referral_decline(
        referral_id=declined.pk,
        actor=partners["opendoor_manager"],
        reason="no_capacity",
        notes="No tenancy support places until the new year; try the council's housing options team.",
    )
    referral_demo.refer(case, p["case_worker"], "Alcohol and drug brief intervention")


def _story_agreed(case, p, partners):
    housing = _add(case, p, "Engage with housing support", p["open_door"], 60)
    _add(case, p, "Write a letter of apology", p["force"], 14)
    _add(case, p, "Unpaid reparation hours", p["force"], 50, hours=Decimal("8"))
    services.conditions_agree(case_id=case.pk, actor=p["case_worker"])
    referral = referral_demo.refer(case, p["case_worker"], "Tenancy and housing support", condition=housing)
    referral_demo.accept(referral, partners["opendoor_manager"], partners["opendoor_practitioner"])
    referral_demo.session(referral, partners["opendoor_practitioner"], days_ago=-6, attendance=None)


def _story_active(case, p, partners):
    treatment = _add(case, p, "Attend an alcohol or drug intervention", p["compass"], 60)
    reparation = _add(case, p, "Unpaid reparation hours", p["force"], 4, hours=Decimal("10"))
    debt = _add(case, p, "Attend a debt advice appointment", p["debt"], 30)
    _add(case, p, "Not to reoffend during the period", p["force"], 75)
    _caution(case, p, weeks_ago=5)
    _progress(treatment, p, "in_progress", "First session attended at Compass.")
    compass = partners["compass_practitioner"]
    referral = referral_demo.refer(
        case,
        p["case_worker"],
        "Alcohol and drug brief intervention",
        condition=treatment,
        sent_days_ago=30,
    )
    referral_demo.accept(referral, partners["compass_manager"], compass)
    referral_demo.session(referral, compass, days_ago=20)
    referral_demo.certificate(referral, compass)
    referral_demo.session(referral, compass, days_ago=10, attendance="did_not_attend")
    referral_demo.session(referral, compass, days_ago=3, attendance=None)
    referral_demo.session(referral, compass, days_ago=-5, attendance=None)
    referral_demo.note(
        referral, compass, "Rearranged sessions to mornings; he says afternoons clash with job search."
    )
    services.condition_record_add(
        condition_id=treatment.pk,
        actor=p["case_worker"],
        kind="attendance",
        text="Compass confirmed attendance at the assessment and the first group session.",
        reference="CMP-2211",
    )
    _progress(reparation, p, "in_progress", "6 of 10 hours done at the community garden.")
    # The reparation falls due within the reminder lead time. The demo's one shortcut: the debt
    # appointment's due date moved into the past, so it shows as overdue, with a new date proposed.
    Condition.objects.filter(pk=debt.pk).update(due_date=timezone.localdate() - timedelta(days=5))
    services.variation_propose(
        case_id=case.pk,
        actor=p["case_worker"],
        variation_kind="new_due_date",
        condition_id=debt.pk,
        new_due_date=timezone.localdate() + timedelta(days=14),
        reason="The debt advice service had no appointments before the due date.",
        person_consented=True,
        consented_on=timezone.localdate(),
    )


def _story_diverted(case, p, partners, conditions):
    compass = partners["compass_practitioner"]
    _caution(case, p, weeks_ago=8)
    referral = referral_demo.refer(
        case,
        p["case_worker"],
        "Alcohol and drug brief intervention",
        condition=conditions[0],
        sent_days_ago=40,
    )
    referral_demo.accept(referral, partners["compass_manager"], compass)
    referral_demo.session(referral, compass, days_ago=30)
    referral_demo.session(referral, compass, days_ago=16, attendance="late", late_reason="Bus was late")
    referral_demo.certificate(referral, compass)
    referral_demo.report(referral, compass, completed=True)
    for condition in conditions[1:]:
        _progress(condition, p, "complete", "Completed and evidence seen.")
    _assess(
        case,
        p,
        {Pathway.DRUGS_ALCOHOL: 1, Pathway.ACCOMMODATION: 0, Pathway.FINANCE_DEBT: 1},
        kind=AssessmentKind.FINAL,
    )


def _story_breach(case, p, partners, conditions):
    compass = partners["compass_practitioner"]
    referral = referral_demo.refer(
        case,
        p["case_worker"],
        "Alcohol and drug brief intervention",
        condition=conditions[0],
        sent_days_ago=30,
    )
    referral_demo.accept(referral, partners["compass_manager"], compass)
    referral_demo.session(referral, compass, days_ago=21, attendance="did_not_attend")
    referral_demo.session(referral, compass, days_ago=14, attendance="did_not_attend")
    referral_demo.report(referral, compass, completed=False)


def _story_prosecution(story, case, p, conditions):
    """A breach confirmed, the prosecution resumed; "closed" also records the conviction."""
    _progress(conditions[0], p, "failed", "Did not attend three sessions and did not reply to letters.")
    review = case.breach_reviews.get()
    services.breach_review_decide(
        review_id=review.pk,
        actor=p["decider"],
        outcome=BreachOutcome.BREACH_CONFIRMED,
        breached_condition_ids=[conditions[0].pk],
        person_account="Said he forgot the appointments; gave no other reason.",
        alternatives_tried="Two reminder calls, a letter, and a rearranged session offered.",
        reasonable_excuse=False,
        rationale="No reasonable excuse after repeated chances to re-engage.",
        time_limit_acknowledged=False,
    )
    if story == "closed":
        today = timezone.localdate()
        services.prosecution_update(
            case_id=case.pk,
            actor=p["case_worker"],
            method=ProsecutionMethod.REQUISITION,
            proceedings_started_on=today,
            court="Fenchester Magistrates' Court",
            first_hearing_on=today,
            outcome="convicted",
            outcome_on=today,
            outcome_notes="Fined £120 and costs.",
        )


def seed_compliance(out):
    seed_services()
    p = _people()
    for pnc, given, family, age, sex, offence, days_ago, scheme, story in STORIES:
        case = demo_case(
            pnc,
            given,
            family,
            age,
            sex,
            offence,
            days_ago,
            scheme,
            "eligible",
            decided_days_ago=days_ago - 10,
        )
        if case is None:
            continue
        case.refresh_from_db()
        _story(story, Case.objects.get(pk=case.pk), p)
    counts = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
    out(f"services: {Service.objects.count()}, cases by status: {counts}")

"""The caseload import's rules, row by row (imports/checking.py), its matching of people
(imports/matching.py), and what an import leaves behind: derived columns, summaries, the audit chain."""

import json
from datetime import date

import pytest
from factories import PersonFactory, UserFactory
from import_support import csv_bytes, example_bytes

from cases.models import Case, CaseOffence, Person, SuspectedDuplicate
from cases.selectors import person_match_list_for
from cases.services import case_offence_columns_refresh
from conditions.models import Condition, ConditionStatus, PeriodExtension
from imports import matching
from imports.checking import problem_text, report_forget_values
from imports.services import caseload_check, caseload_import_file
from offenderhub.accounts.models import Role
from offenderhub.audit.chain import chain_verify
from referrals.models import Referral, ReferralStatus

HEADER = [
    "case_reference",
    "pnc_id",
    "person_reference",
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "aliases",
    "scheme",
    "area",
    "case_worker",
    "status",
    "arrest_date",
    "victim_type",
    "flags",
    "offence_1",
    "offence_1_date",
    "offence_2",
    "offence_2_date",
    "decision_date",
    "decision_maker",
    "caution_date",
    "breach_date",
    "prosecution_date",
    "completed_on",
    "withdrawn_on",
    "withdrawn_reason",
    "closed_on",
    "condition_1_kind",
    "condition_1_wording",
    "condition_1_due_date",
    "condition_1_status",
    "condition_1_hours",
    "condition_1_amount_kind",
    "condition_1_amount",
    "condition_1_partner",
    "condition_1_service",
    "condition_1_referral_status",
    "condition_2_kind",
    "condition_2_wording",
    "condition_2_due_date",
    "condition_2_status",
    "condition_2_hours",
]
SHOP_THEFT = "Shop theft (goods worth £200 or less)"


def row(reference="R-1", **values) -> dict:
    """A valid case at intake, with ``values`` changed."""
    base = {
        "case_reference": reference,
        "given_names": "Leon",
        "family_name": "Marsh",
        "date_of_birth": "1998-04-12",
        "sex": "male",
        "scheme": "OH",
        "area": "north",
        "case_worker": "caseworker@fenshire-police.example",
        "status": "intake",
        "arrest_date": "2027-05-02",
        "victim_type": "business",
        "offence_1": SHOP_THEFT,
        "offence_1_date": "2027-05-01",
    }
    return {**base, **values}


def active(reference="R-1", **values) -> dict:
    """A case cautioned on 10 May 2027 (the suite's clock is 16 June 2027) with one condition."""
    cautioned = {
        "status": "active",
        "decision_date": "2027-05-05",
        "decision_maker": "decisions@fenshire-police.example",
        "caution_date": "2027-05-10",
        "condition_1_kind": "rehabilitative",
        "condition_1_wording": "Attend the course.",
        "condition_1_due_date": "2027-07-10",
    }
    return row(reference, **{**cautioned, **values})


def check(admin, *rows, header=HEADER):
    return caseload_check(force=admin.organisation, actor=admin, content=csv_bytes(header, rows))


def problems(plan) -> list[str]:
    return [problem_text(plan.line_word, item) for item in plan.errors]


def imported(admin, *rows):
    result = caseload_import_file(
        force=admin.organisation, actor=admin, content=csv_bytes(HEADER, rows), filename="t.csv"
    )
    assert result.plan.ok, problems(result.plan)
    return result


# --- Values, named by line and column ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"date_of_birth": "31/02/1990"}, "Line 2, column 'date_of_birth': '31/02/1990' is not a real date"),
        (
            {"date_of_birth": "12 April 1998"},
            "Line 2, column 'date_of_birth': '12 April 1998' is not a date: write it as 2026-03-31 or "
            "31/03/2026",
        ),
        ({"family_name": ""}, "Line 2, column 'family_name': is blank, and every row needs it"),
        ({"sex": "m"}, "Line 2, column 'sex': 'm' is not a sex: use one of female, male, not_stated"),
        (
            {"pnc_id": "12345"},
            "Line 2, column 'pnc_id': '12345' is not a PNC ID: write it as YY/NNNNNNNA, for example "
            "19/0012345A",
        ),
        (
            {"offence_1": "Theft of a bicycle"},
            "Line 2, column 'offence_1': 'Theft of a bicycle' is not in the offence list: use the offence's "
            "name as the list has it",
        ),
        (
            {"case_worker": "supervisor@fenshire-police.example"},
            "Line 2, column 'case_worker': 'supervisor@fenshire-police.example' is not the email address of "
            "a case worker of Fenshire Constabulary",
        ),
        ({"arrest_date": "2027-07-01"}, "Line 2, column 'arrest_date': 1 July 2027 is in the future"),
        (
            {"offence_1_date": "2027-05-03"},
            "Line 2, column 'offence_1_date': 3 May 2027 is after the arrest date (2 May 2027)",
        ),
        (
            {"offence_1": "Robbery"},
            "Line 2, column 'offence_1': Fenshire Deferred Prosecution does not take offences in the group "
            "'Robbery' (Robbery): only an ineligible case can hold one",
        ),
        (
            {"status": "done"},
            "Line 2, column 'status': 'done' is not a case status: use one of intake, awaiting_decision, "
            "ineligible, declined, assessment, conditions_agreed, active, breach_review, completed, "
            "prosecution_resumed, withdrawn, closed",
        ),
    ],
)
def test_a_wrong_value_is_named_by_its_line_and_column(admin, values, expected):
    plan = check(admin, row(**values))
    assert not plan.ok
    assert problems(plan) == [expected]


@pytest.mark.parametrize(
    ("values", "value", "forgotten"),
    [
        ({"date_of_birth": "31/02/1990"}, "31/02/1990", "Line 2, column 'date_of_birth': is not a real date"),
        (
            {"pnc_id": "19/12345"},
            "19/12345",
            "Line 2, column 'pnc_id': is not a PNC ID: write it as YY/NNNNNNNA, for example 19/0012345A",
        ),
        (
            {"aliases": "Quillfeather, Zeb; , Zebbie"},
            ", Zebbie",
            "Line 2, column 'aliases': has no family name: write aliases as Family name, given names",
        ),
        (
            {"sex": "bloke"},
            "bloke",
            "Line 2, column 'sex': is not a sex: use one of female, male, not_stated",
        ),
    ],
)
def test_a_report_can_forget_the_files_values_and_still_say_what_was_wrong_where(
    admin, values, value, forgotten
):
    """The report saved on a refused import quoted the row's values (names in an alias, a PNC ID) for
    as long as the import was kept, even after the person they belong to was erased: the value is now
    kept apart, and forgotten once nobody can correct the file (``report_forget_values``)."""
    report = check(admin, row(**values)).report()
    assert report["values_kept"] is True
    assert [(e["column"], e["value"]) for e in report["errors"]] == [(next(iter(values)), value)]

    kept = report_forget_values(report)

    assert [problem_text(kept["line_word"], e) for e in kept["errors"]] == [forgotten]
    assert kept["values_kept"] is False and value not in json.dumps(kept["errors"])


def test_a_person_reference_given_two_pnc_ids_quotes_only_the_one_on_its_line(admin):
    plan = check(
        admin,
        row("A", pnc_id="20/0104567K", person_reference="P-77"),
        row("B", pnc_id="21/0204567M", person_reference="P-77"),
    )
    assert problems(plan) == [
        "Line 3, column 'pnc_id': '21/0204567M' is not the PNC ID line 2 gives for the same "
        "person_reference: correct one of them"
    ]
    assert "P-77" not in json.dumps(plan.report()) and "20/0104567K" not in json.dumps(plan.report())


def test_every_problem_of_every_row_is_listed_and_nothing_is_planned(admin):
    plan = check(admin, row("A", sex="x"), row("B"), row("C", scheme="XX", arrest_date="soon"))
    assert [(e["line"], e["column"]) for e in plan.errors] == [(2, "sex"), (4, "scheme"), (4, "arrest_date")]
    assert plan.cases == []


def test_an_unknown_or_missing_column_refuses_the_header(admin):
    plan = check(admin, row(), header=[*HEADER, "date_of_brith"])
    assert problems(plan) == [
        "Line 1, column 'date_of_brith': is not a column the import understands (see the list of columns)"
    ]
    header = [h for h in HEADER if h != "victim_type"]
    assert problems(check(admin, row(), header=header)) == [
        "Line 1, column 'victim_type': is missing from the header: the import needs it"
    ]


def test_a_case_reference_twice_in_the_file_is_refused(admin):
    plan = check(admin, row("A"), row("A", pnc_id="20/0104567K"))
    assert problems(plan) == ["Line 3, column 'case_reference': 'A' is also on line 2: each case once"]


# --- The status machine's dates ----------------------------------------------------------------------


def test_a_status_needs_its_dates_and_no_others(admin):
    plan = check(
        admin,
        row("A", status="active", decision_date="2027-05-05"),
        row("B", caution_date="2027-05-10"),
        row("C", status="withdrawn", withdrawn_on="2027-05-20"),
    )
    assert problems(plan) == [
        "Line 2, column 'caution_date': is blank, but a case that is 'Active' needs the date of a caution",
        "Line 3, column 'caution_date': a case that is 'Intake' has had no caution: leave it blank",
        "Line 4, column 'withdrawn_reason': is blank: say why the case was withdrawn",
    ]


def test_the_journey_dates_must_be_in_order(admin):
    plan = check(admin, active(decision_date="2027-05-12"))
    assert problems(plan) == [
        "Line 2, column 'caution_date': 10 May 2027 is before the decision date (12 May 2027)"
    ]


def test_a_closed_case_says_how_it_ended(admin):
    plan = check(admin, active(status="closed", closed_on="2027-06-01"))
    assert "Line 2, column 'closed_on': a closed case was closed after it was completed" in problems(plan)[0]


def test_no_caution_once_the_six_month_limit_has_passed(admin):
    plan = check(
        admin,
        active(
            offence_1="Common assault",
            offence_1_date="2026-10-01",
            arrest_date="2026-10-02",
            decision_date="2027-04-01",
            caution_date="2027-04-02",
            condition_1_due_date="2027-06-01",
        ),
    )
    assert problems(plan) == [
        "Line 2, column 'caution_date': proceedings for common assault had to start by 1 April 2027: a "
        "caution cannot be given on 2 April 2027, when a breach could no longer be prosecuted"
    ]


def test_a_conditional_caution_is_for_adults(admin):
    plan = check(admin, active(date_of_birth="2010-01-01"))
    assert problems(plan) == [
        "Line 2, column 'decision_date': the person was 17 on 5 May 2027: Fenshire Deferred Prosecution "
        "takes people aged 18 or over, and a conditional caution is for adults"
    ]


# --- Conditions and referrals --------------------------------------------------------------------------


def test_the_legal_caps_on_conditions_hold(admin):
    plan = check(
        admin,
        active(
            "A",
            condition_1_kind="reparative",
            condition_1_hours="12",
            condition_2_kind="punitive",
            condition_2_wording="Unpaid work.",
            condition_2_due_date="2027-06-30",
            condition_2_hours="9",
        ),
        active("B", condition_1_kind="punitive", condition_1_amount_kind="penalty", condition_1_amount="75"),
        active("C", condition_1_due_date="2027-10-10"),
    )
    assert problems(plan) == [
        "Line 2, column 'condition_1_hours': reparative and punitive attendance is limited to 20 hours in "
        "total: the case's conditions make 21",
        "Line 3, column 'condition_1_amount': a financial penalty for this case's offences can be at most "
        "£50: its conditions make £75",
        "Line 4, column 'condition_1_due_date': 10 October 2027 is more than Fenshire Deferred "
        "Prosecution's maximum completion period (140 days) after the caution (10 May 2027)",
    ]


def test_a_condition_due_past_the_usual_period_records_a_longer_one(admin):
    imported(admin, active(condition_1_due_date="2027-09-10"))  # 123 days after the caution
    extension = PeriodExtension.objects.get()
    assert extension.days == 123 and "before Offender Hub" in extension.reason


def test_a_referral_goes_to_a_service_of_the_partner_and_stays_open_only_while_the_case_is(admin):
    partner = {"condition_1_partner": "Compass Drug and Alcohol Service"}
    plan = check(
        admin,
        active("A", **partner, condition_1_service="Tenancy and housing support"),
        active("B", condition_1_service="Victim awareness course"),
        active(
            "C",
            **partner,
            condition_1_service="Victim awareness course",
            status="completed",
            completed_on="2027-06-01",
            condition_1_status="complete",
        ),
    )
    assert problems(plan) == [
        "Line 2, column 'condition_1_service': 'Tenancy and housing support' is not a service of Compass "
        "Drug and Alcohol Service",
        "Line 3, column 'condition_1_service': needs condition_1_partner: the partner agency whose service "
        "it is",
        "Line 4, column 'condition_1_referral_status': a referral still 'sent' needs an open case and a "
        "condition still to be met: give how it ended (completed, not_completed, declined or withdrawn)",
    ]


def test_a_resumed_prosecution_ends_the_conditions_still_to_be_met_as_the_app_does(admin):
    resumed = active(
        status="prosecution_resumed",
        breach_date="2027-06-01",
        prosecution_date="2027-06-08",
        condition_1_status="failed",
        condition_2_kind="rehabilitative",
        condition_2_wording="See the debt adviser.",
        condition_2_due_date="2027-07-01",
        condition_2_status="in_progress",
        condition_1_partner="Compass Drug and Alcohol Service",
        condition_1_service="Victim awareness course",
        condition_1_referral_status="not_completed",
    )
    result = imported(admin, resumed)
    assert [w["message"][:45] for w in result.plan.warnings] == [
        "the prosecution resumed, so this condition is"
    ]
    statuses = dict(Condition.objects.values_list("wording", "status"))
    assert statuses == {
        "Attend the course.": ConditionStatus.FAILED,
        "See the debt adviser.": ConditionStatus.WITHDRAWN,
    }
    assert Referral.objects.get().status == ReferralStatus.NOT_COMPLETED


# --- People ---------------------------------------------------------------------------------------------


def test_the_same_pnc_id_is_the_same_person_and_their_record_is_kept(admin, world):
    held = PersonFactory(
        force=world,
        pnc_id="20/0104567K",
        given_names="Leon",
        family_name="Marsh-Hill",
        date_of_birth=date(1998, 4, 12),
    )
    result = imported(admin, row("A", pnc_id="2020/104567k"), row("B", pnc_id="20/0104567K"))
    assert set(Case.objects.values_list("person_id", flat=True)) == {held.pk}
    held.refresh_from_db()
    assert held.family_name == "Marsh-Hill"
    assert [w["message"] for w in result.plan.warnings] == [
        f"person #{held.pk} already recorded has another name or date of birth: the record held is kept as "
        "it is"
    ]


def test_a_likely_match_is_reported_and_imported_as_a_new_person_never_merged(admin, world):
    """A person already recorded with the same names and date of birth, and no PNC ID to tell: the
    row is not refused (twins and common names are different people often enough, and the force
    cannot always add a PNC ID to its old records), nor merged (only a supervisor decides that two
    records are one person). It is imported as a new person and listed, for a supervisor to merge."""
    held = PersonFactory(
        force=world, given_names="Leon", family_name="MARSH", date_of_birth=date(1998, 4, 12)
    )
    alias_held = PersonFactory(
        force=world, given_names="Kay", family_name="Brooks", date_of_birth=date(1999, 5, 3)
    )
    alias_held.aliases.create(given_names="", family_name="Turner")
    result = imported(
        admin,
        row("A"),
        row("B", given_names="Sophie", family_name="Turner", date_of_birth="1999-05-03"),
        row("C", person_reference="P-9"),  # the same names and date of birth as line 2, in the file
    )
    likely = [(m["line"], m["person"], m["other_line"], m["why"]) for m in result.plan.likely]
    assert likely == [
        (2, held.pk, None, "same names and date of birth"),
        (3, alias_held.pk, None, "matches alias Turner; no given name to compare; same date of birth"),
        (4, held.pk, None, "same names and date of birth"),
        (4, None, 2, "same names and date of birth"),
    ]
    assert Person.objects.filter(family_name__iexact="Marsh").count() == 3  # two new people, none merged


def test_the_likely_matches_are_kept_as_suspected_duplicates_written_however_they_are(admin, world):
    held = PersonFactory(
        force=world, given_names="Kayleigh", family_name="Brooks", date_of_birth=date(1995, 4, 2)
    )
    imported(
        admin,
        row("A", given_names="Kaylee", family_name="Brookes", date_of_birth="1995-02-04"),
        row("B", given_names="Leon", family_name="Marsh", date_of_birth="1998-04-12"),
        row("C", given_names="Marsh", family_name="Leon", date_of_birth="1998-04-12"),  # names swapped
        row("D", given_names="Jade", family_name="Brooks", date_of_birth="1995-04-02"),  # a twin: no pair
    )
    new = {p.family_name: p for p in Person.objects.exclude(pk=held.pk)}

    pairs = {(p.person_id, p.other_id): p.reasons for p in SuspectedDuplicate.objects.all()}

    assert pairs == {
        (held.pk, new["Brookes"].pk): [
            "family name sounds alike (Brooks/Brookes)",
            "given names are variants of one name (Kayleigh/Kaylee)",
            "date of birth with day and month swapped (02/04/1995, 04/02/1995)",
        ],
        tuple(sorted([new["Marsh"].pk, new["Leon"].pk])): [
            "given and family names swapped",
            "same date of birth",
        ],
    }
    assert new["Brookes"].family_name_key == held.family_name_key == "BRKS"


def test_rows_of_one_person_must_agree_on_who_they_are(admin):
    plan = check(
        admin, row("A", pnc_id="20/0104567K"), row("B", pnc_id="20/0104567K", date_of_birth="1998-04-13")
    )
    assert problems(plan) == [
        "Line 3, column 'pnc_id': the same person is on line 2 with another name or date of birth: correct "
        "one of them"
    ]


def test_the_batched_matching_finds_whom_intake_s_matching_finds(admin, world):
    """imports.matching applies person_match_list_for's rules for a whole file in a few queries."""
    PersonFactory(force=world, given_names="Leon", family_name="Marsh", date_of_birth=date(1998, 4, 12))
    PersonFactory(force=world, given_names="Lee", family_name="marsh", date_of_birth=date(1998, 4, 12))
    PersonFactory(
        force=world,
        pnc_id="20/0104567K",
        given_names="Jo",
        family_name="Bell",
        date_of_birth=date(1980, 1, 1),
    )
    aliased = PersonFactory(
        force=world, given_names="Kay", family_name="Brooks", date_of_birth=date(1999, 5, 3)
    )
    aliased.aliases.create(given_names="", family_name="Turner")
    PersonFactory(given_names="Leon", family_name="Marsh", date_of_birth=date(1998, 4, 12))  # another force
    supervisor = UserFactory(organisation=world, roles=[Role.SUPERVISOR])
    wanted = [
        ("Leon", "Marsh", date(1998, 4, 12), ""),
        ("", "MARSH", date(1998, 4, 12), ""),
        ("Sophie", "Turner", date(1999, 5, 3), ""),
        ("Jo", "Bell", date(1980, 1, 1), "20/0104567K"),
        ("Nobody", "Known", date(1970, 1, 1), ""),
    ]
    answers = matching.people_match(
        force_id=world.pk, people=[matching.Details(i, g, f, d, p) for i, (g, f, d, p) in enumerate(wanted)]
    )
    for i, (given, family, dob, pnc) in enumerate(wanted):
        intake = {
            p.pk
            for p in person_match_list_for(
                supervisor, given_names=given, family_name=family, date_of_birth=dob, pnc_id=pnc
            )
        }
        found = {pk for pk, _ in answers[i].likely} | ({answers[i].same} if answers[i].same else set())
        assert found == intake, wanted[i]


def test_matching_a_file_takes_a_few_queries_whatever_its_size(admin, django_assert_max_num_queries):
    people = [
        matching.Details(n, "Leon", f"Marsh{n}", date(1990, 1, 1 + n % 28), f"20/{n:07d}K")
        for n in range(500)
    ]
    with django_assert_max_num_queries(6):
        matching.people_match(force_id=admin.organisation_id, people=people)


# --- What the import leaves behind ---------------------------------------------------------------------


def test_an_import_keeps_the_cases_derived_columns_as_the_services_do(admin):
    imported(admin, row("A", offence_2="Common assault", offence_2_date="2027-04-20"), active("B"))
    expected = {
        c.pk: (c.first_summary_offence_date, c.holds_summary_only, c.holds_either_way)
        for c in Case.objects.all()
    }
    case_offence_columns_refresh(cases=Case.objects.all())
    assert {
        c.pk: (c.first_summary_offence_date, c.holds_summary_only, c.holds_either_way)
        for c in Case.objects.all()
    } == expected
    assert Case.objects.get(external_reference="A").first_summary_offence_date == date(2027, 4, 20)
    assert CaseOffence.objects.count() == 3


def test_the_dashboard_summarises_the_imported_cases(admin):
    from reporting.models import CaseFact, StaleCase
    from reporting.summaries import refresh_all_stale

    caseload_import_file(
        force=admin.organisation, actor=admin, content=example_bytes(), filename="caseload.csv"
    )
    cases = set(Case.objects.values_list("pk", flat=True))
    assert cases <= set(StaleCase.objects.values_list("case_id", flat=True))  # marked by the triggers
    refresh_all_stale(seconds=30)
    assert set(CaseFact.objects.values_list("case_id", flat=True)) == cases


def test_the_audit_log_s_chain_holds_after_an_import(admin):
    caseload_import_file(
        force=admin.organisation, actor=admin, content=example_bytes(), filename="caseload.csv"
    )
    assert chain_verify().intact


def test_a_file_imported_again_after_a_row_went_wrong_adds_nothing_and_refuses_nothing(admin):
    """The rows of cases already held are skipped unchecked: a case worker who has left since does not
    stop the same file being imported again."""
    imported(admin, row("A"))
    from offenderhub.accounts.models import User

    User.objects.filter(email="caseworker@fenshire-police.example").update(is_active=False)
    result = caseload_import_file(
        force=admin.organisation, actor=admin, content=csv_bytes(HEADER, [row("A")]), filename="t.csv"
    )
    assert result.plan.ok and result.batch is None and result.plan.counts["cases_held"] == 1


def test_a_referral_of_an_imported_case_is_seen_by_its_partner(admin):
    from referrals.selectors import referral_list_for

    imported(
        admin,
        active(
            condition_1_partner="Compass Drug and Alcohol Service",
            condition_1_service="Victim awareness course",
            condition_1_referral_status="accepted",
        ),
    )
    from offenderhub.accounts.models import User

    manager = User.objects.get(email="manager@compass.example")
    assert [r.status for r in referral_list_for(manager)] == [ReferralStatus.ACCEPTED]


def test_a_condition_overdue_on_an_active_case_is_imported_with_a_warning(admin):
    plan = check(admin, active(condition_1_due_date="2027-06-01"))
    assert plan.ok
    assert [problem_text(plan.line_word, w) for w in plan.warnings] == [
        "Line 2, column 'condition_1_due_date': due on 1 June 2027 and still to be met: the overdue "
        "conditions job opens a breach review for it the next morning, as it does for any case"
    ]

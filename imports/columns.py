"""The columns a caseload file may have, declared once: the reader checks the header against them, the
page lists them, and the README and ``docs/examples/caseload.csv`` document every one (a test keeps
the three in step).

One row is one case, with its person. A case's offences, conditions (each with its referral to a
partner) come in numbered groups of columns, ``offence_1``, ``offence_1_date``, ``offence_2``... and
``condition_1_kind``, ``condition_1_wording``...: a file has as many groups as its longest case needs,
and a case leaves the groups it does not need blank.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str  # for a numbered group, with N in place of the number: "offence_N_date"
    meaning: str
    format: str = "Text."
    required: str = ""  # "" optional; else when it is required ("Always", "For ...")


DATE = "A date: 2026-03-31 or 31/03/2026."
YES_NO = "yes or no."

COLUMNS = [
    # --- The case's key ----------------------------------------------------------------------------
    Column(
        "case_reference",
        "The force's own reference for the case. Importing a file again skips every case whose reference "
        "is already held, so a file can be imported twice without adding anything.",
        "Text, up to 40 characters, unique in the file.",
        "Always",
    ),
    # --- The person --------------------------------------------------------------------------------
    Column(
        "pnc_id",
        "The person's Police National Computer ID. A person already recorded with this PNC ID is the "
        "same person: the case is added to them and their details are left as they are.",
        "YY/NNNNNNNA, for example 19/0012345A (a four-digit year and fewer digits are accepted).",
    ),
    Column(
        "person_reference",
        "The force's own reference for the person, when there is no PNC ID: rows with the same value are "
        "one person. Used within the file only.",
    ),
    Column("given_names", "The person's given names.", "Text, up to 100 characters.", "Always"),
    Column("family_name", "The person's family name.", "Text, up to 100 characters.", "Always"),
    Column("date_of_birth", "The person's date of birth.", DATE, "Always"),
    Column(
        "sex",
        "The person's sex.",
        "female, male or not_stated (or Female, Male, Prefer not to say).",
        "Always",
    ),
    Column(
        "ethnicity",
        "The person's ethnic group (2021 census).",
        "The census code, for example W1, or the group's name, for example White: English, Welsh, "
        "Scottish, Northern Irish or British.",
    ),
    Column(
        "aliases",
        "Other names the person uses or used.",
        "Family name, given names; another family name, given names (for example: Brookes, Kayleigh; "
        "Brooks, Kay).",
    ),
    Column("address", "The person's address.", "Text (one line, or lines separated by commas)."),
    Column("postcode", "The person's postcode.", "Text, up to 10 characters."),
    Column("phone", "The person's phone number.", "Text, up to 30 characters."),
    Column("email", "The person's email address.", "An email address."),
    Column("vulnerable", "Whether the person is vulnerable.", f"{YES_NO} Blank: no."),
    Column("vulnerability_notes", "What makes the person vulnerable, and what helps."),
    Column(
        "interpreter_language",
        "The language the person needs an interpreter for.",
        "Text. Blank: no interpreter needed.",
    ),
    # --- The case ----------------------------------------------------------------------------------
    Column(
        "scheme", "The scheme the case is on.", "The scheme's code (for example OH) or its name.", "Always"
    ),
    Column("area", "The area of the force the case belongs to.", "The area's code or its name.", "Always"),
    Column(
        "case_worker",
        "The case worker who owns the case.",
        "The email address of a case worker of the force (active, unless the case is finished).",
        "Always",
    ),
    Column(
        "status",
        "Where the case is now. The dates below must be those the status needs, and no others.",
        "intake, awaiting_decision, ineligible, declined, assessment, conditions_agreed, active, "
        "breach_review, completed, prosecution_resumed, withdrawn or closed (or the status's name as the "
        "caseload shows it, for example Awaiting decision).",
        "Always",
    ),
    Column(
        "opened_on",
        "When the case was opened in the force's records: the caseload and the reports count it from then.",
        f"{DATE} Blank: the arrest or report date.",
    ),
    Column("arrest_date", "The arrest or report date.", DATE, "Always"),
    Column(
        "victim_type",
        "Who the victim is.",
        "none, person or business (or No identifiable victim, A person, A business or organisation).",
        "Always",
    ),
    Column("victim_views", "The victim's views on the out-of-court disposal."),
    Column("victim_views_obtained_on", "When the victim's views were obtained.", DATE),
    Column(
        "victim_rj_consent",
        "The victim's consent to restorative justice.",
        "not_asked, consents, declines or not_applicable. Blank: not_applicable where there is no victim, "
        "else not_asked.",
    ),
    Column(
        "flags",
        "Circumstances of the case that schemes commonly exclude.",
        "Any of hate_crime, domestic_abuse, weapon, sexual, co_accused, court_order, separated by "
        "semicolons.",
    ),
    Column("previous_convictions", "Previous convictions.", "A whole number. Blank: 0."),
    Column("previous_cautions", "Previous cautions.", "A whole number. Blank: 0."),
    Column("lives_in_force_area", "Whether the person lives in the force area.", f"{YES_NO} Blank: yes."),
    Column("circumstances", "Brief circumstances of the offence."),
    # --- The offences (numbered groups) ------------------------------------------------------------
    Column(
        "offence_N",
        "An offence, from the offence list (the reference data).",
        "The offence's name as the offence list has it, for example Common assault.",
        "offence_1 always",
    ),
    Column(
        "offence_N_date",
        "When the offence was committed: on or before the arrest date.",
        DATE,
        "With its offence",
    ),
    Column("offence_N_details", "Details of the offence.", "Text, up to 300 characters."),
    # --- The journey's dates -----------------------------------------------------------------------
    Column(
        "decision_date",
        "The eligibility decision's date.",
        DATE,
        "For ineligible, declined, assessment, conditions_agreed, active, breach_review, completed, "
        "prosecution_resumed and closed; may be given for withdrawn",
    ),
    Column(
        "decision_maker",
        "Who made the eligibility decision, administered the caution and decided a breach.",
        "The email address of a decision-maker of the force. Blank: recorded as made before Offender Hub, "
        "by the administrator importing the file.",
    ),
    Column("caution_date", "When the caution was administered.", DATE, "From active on"),
    Column("caution_place", "Where the caution was administered.", "Text, up to 150 characters."),
    Column(
        "breach_date",
        "When the breach review was opened.",
        DATE,
        "For breach_review and prosecution_resumed, and closed after a resumed prosecution",
    ),
    Column(
        "prosecution_date",
        "When the breach was confirmed and the prosecution resumed.",
        DATE,
        "For prosecution_resumed, and closed after a resumed prosecution",
    ),
    Column(
        "completed_on",
        "When the last condition was met: the case was completed, diverted from prosecution.",
        DATE,
        "For completed, and closed after completion",
    ),
    Column("withdrawn_on", "When the case was withdrawn.", DATE, "For withdrawn"),
    Column("withdrawn_reason", "Why the case was withdrawn.", "Text.", "For withdrawn"),
    Column("closed_on", "When the case was closed.", DATE, "For closed"),
    # --- The conditions and their referrals (numbered groups) --------------------------------------
    Column(
        "condition_N_kind",
        "The kind of condition.",
        "rehabilitative, reparative, punitive or restrictive.",
        "With its condition; from conditions_agreed on, at least one condition",
    ),
    Column(
        "condition_N_wording",
        "What the person must do, specific and measurable.",
        "Text.",
        "With its condition",
    ),
    Column(
        "condition_N_due_date",
        "When the condition must be met by: within the scheme's completion period from the caution (before "
        "the caution, from the eligibility decision).",
        DATE,
        "With its condition",
    ),
    Column(
        "condition_N_status",
        "Where the condition is now.",
        "pending, in_progress, complete, failed or withdrawn. Blank: pending.",
    ),
    Column(
        "condition_N_outcome_on",
        "When the condition was completed, failed or withdrawn.",
        f"{DATE} Blank: the date the case entered its status.",
    ),
    Column(
        "condition_N_hours",
        "Hours of attendance (reparative and punitive attendance count toward the 20-hour cap).",
        "A number of hours, for example 6 or 7.5.",
    ),
    Column(
        "condition_N_amount_kind",
        "A payment the condition asks for.",
        "penalty (a financial penalty, capped by the offence's classification) or compensation. Blank: none.",
    ),
    Column("condition_N_amount", "The amount to be paid, in pounds.", "A number, for example 50 or 75.50."),
    Column(
        "condition_N_partner",
        "The partner agency responsible for the condition.",
        "The agency's name as Offender Hub has it. Blank: the force itself.",
    ),
    Column(
        "condition_N_owner",
        "Who at the force or the partner agency looks after the condition.",
        "The email address of a user of that organisation.",
    ),
    Column(
        "condition_N_service",
        "The partner's service the person was referred to, to deliver the condition: a referral is recorded.",
        "The service's name as the partner directory has it. Needs condition_N_partner.",
    ),
    Column(
        "condition_N_referral_status",
        "Where the referral is now.",
        "sent, accepted, declined, in_progress, completed, not_completed or withdrawn. Blank: sent.",
    ),
    Column(
        "condition_N_referral_sent_on",
        "When the referral was sent.",
        f"{DATE} Blank: the caution date, else the decision date.",
    ),
]

COLUMNS_BY_NAME = {column.name: column for column in COLUMNS}
GROUP_PREFIXES = ("offence", "condition")
REQUIRED = [c.name for c in COLUMNS if c.required == "Always"] + ["offence_1", "offence_1_date"]
_NUMBERED = re.compile(r"^(offence|condition)_(\d{1,2})(?:_([a-z_]+))?$")


def normalise_header(name) -> str:
    """``Date of birth `` and ``date-of-birth`` are ``date_of_birth``."""
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def column_spec(name: str) -> Column | None:
    """The declaration a header names (``offence_2_date`` is ``offence_N_date``), or None."""
    if name in COLUMNS_BY_NAME and "_N" not in name:
        return COLUMNS_BY_NAME[name]
    match = _NUMBERED.match(name)
    if match is None or int(match[2]) < 1:
        return None
    prefix, _, rest = match.groups()
    return COLUMNS_BY_NAME.get(f"{prefix}_N" + (f"_{rest}" if rest else ""))


def group_numbers(header, prefix: str) -> list[int]:
    """The numbers of the ``prefix`` groups the header has, in order: [1, 2, 3]."""
    numbers = set()
    for name in header:
        match = _NUMBERED.match(name)
        if match and match[1] == prefix:
            numbers.add(int(match[2]))
    return sorted(numbers)

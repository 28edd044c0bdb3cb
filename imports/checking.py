"""Checking a caseload file: every row read and held against the rules the app keeps, before anything
is saved. The answer is a ``Plan``: the cases and people the import would add, or the rows to correct.

Each refusal names its line (or a spreadsheet's row) and column, in words: ``Line 14, column
'date_of_birth': '31/02/1990' is not a real date``. Every row is checked, so one pass lists every
problem (the first ``MAX_LISTED`` of them are kept).

The rules are the app's own where they apply to a case brought in at a later stage of its journey:
intake's (the scheme, area and case worker of the force, offences from the reference data and not in
a group the scheme excludes, dates in order and not in the future, the person's details as a person
form takes them), the status machine's (a case has the records its status implies, and the dates of
its journey in order: opened, decided, cautioned, breach review, prosecution resumed, closed), the
law's (a conditional caution for adults only, never after the six-month limit has passed; conditions
within the completion period, the 20-hour cap and the financial penalty maxima), and the referrals'
(to an active service of the partner responsible for the condition, open only while the case and the
condition are). What a case's scheme would decide today is worked out for its decision and reported
as a warning where it differs from the status recorded: a decision, once made, stands.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from time import monotonic as time_monotonic

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from cases.models import (
    CaseFlag,
    CaseStatus,
    Classification,
    DecisionOutcome,
    Ethnicity,
    Offence,
    OffenceGroup,
    RestorativeJusticeConsent,
    Scheme,
    Sex,
    VictimType,
    normalise_pnc_id,
)
from cases.rules import latest_proceedings_date
from cases.services import first_summary_offence_date_of
from cases.workflow import OPEN_STATUSES
from conditions.models import (
    BINDING_CONDITION_STATUSES,
    CAPPED_KINDS,
    LIVE_CONDITION_STATUSES,
    AmountKind,
    ConditionKind,
    ConditionStatus,
)
from offenderhub.accounts.models import Area, Organisation, OrganisationKind, Role, RoleAssignment, User
from referrals.models import OPEN_REFERRAL_STATUSES, ReferralStatus, Service
from referrals.services import REFERRABLE_CASE_STATUSES

from . import matching
from .columns import COLUMNS_BY_NAME, REQUIRED, column_spec, group_numbers
from .reading import FileRefused, Sheet

MAX_LISTED = 1000  # errors, warnings and likely matches kept in a report (all are counted)
MAX_ROWS = 100_000
LONDON_NOON = time(12, 0)

S = CaseStatus
# The dates each status needs (beside the arrest date), and those it may have besides.
NEEDS = {
    S.INTAKE: (),
    S.AWAITING_DECISION: (),
    S.INELIGIBLE: ("decision_date",),
    S.DECLINED: ("decision_date",),
    S.ASSESSMENT: ("decision_date",),
    S.CONDITIONS_AGREED: ("decision_date",),
    S.ACTIVE: ("decision_date", "caution_date"),
    S.BREACH_REVIEW: ("decision_date", "caution_date", "breach_date"),
    S.COMPLETED: ("decision_date", "caution_date", "completed_on"),
    S.PROSECUTION_RESUMED: ("decision_date", "caution_date", "breach_date", "prosecution_date"),
    S.WITHDRAWN: ("withdrawn_on",),
    S.CLOSED: ("decision_date", "caution_date", "closed_on"),
}
MAY_HAVE = {
    S.WITHDRAWN: ("decision_date",),
    S.CLOSED: ("completed_on", "breach_date", "prosecution_date"),
}
JOURNEY_DATES = {
    "decision_date": "an eligibility decision",
    "caution_date": "a caution",
    "breach_date": "a breach review",
    "prosecution_date": "a resumed prosecution",
    "completed_on": "a completion",
    "withdrawn_on": "a withdrawal",
    "closed_on": "a closure",
}
# The date each status was entered on (the first of these the row has).
STATUS_DATE = {
    S.INTAKE: "opened_on",
    S.AWAITING_DECISION: "opened_on",
    S.INELIGIBLE: "decision_date",
    S.DECLINED: "decision_date",
    S.ASSESSMENT: "decision_date",
    S.CONDITIONS_AGREED: "decision_date",
    S.ACTIVE: "caution_date",
    S.BREACH_REVIEW: "breach_date",
    S.COMPLETED: "completed_on",
    S.PROSECUTION_RESUMED: "prosecution_date",
    S.WITHDRAWN: "withdrawn_on",
    S.CLOSED: "closed_on",
}
DECIDED_OUTCOME = {S.INELIGIBLE: DecisionOutcome.INELIGIBLE, S.DECLINED: DecisionOutcome.DECLINED}
# A case in these statuses holds conditions the person agreed to (at least one).
WITH_CONDITIONS = frozenset(
    {S.CONDITIONS_AGREED, S.ACTIVE, S.BREACH_REVIEW, S.COMPLETED, S.PROSECUTION_RESUMED, S.CLOSED}
)
UNDER_CAUTION = frozenset({S.ACTIVE, S.BREACH_REVIEW})
C = ConditionStatus
CONDITION_STATUSES_FOR = {
    S.ASSESSMENT: {C.PENDING},
    S.CONDITIONS_AGREED: {C.PENDING},
    S.ACTIVE: {C.PENDING, C.IN_PROGRESS, C.COMPLETE, C.FAILED, C.WITHDRAWN},
    S.BREACH_REVIEW: {C.PENDING, C.IN_PROGRESS, C.COMPLETE, C.FAILED, C.WITHDRAWN},
    S.COMPLETED: {C.COMPLETE, C.WITHDRAWN},
    # The prosecution resumed: conditions still to be met were withdrawn when it did (as the app does).
    S.PROSECUTION_RESUMED: {C.PENDING, C.IN_PROGRESS, C.COMPLETE, C.FAILED, C.WITHDRAWN},
    S.WITHDRAWN: {C.PENDING, C.WITHDRAWN},
}
CLOSED_REFERRAL_STATUSES = frozenset(ReferralStatus.values) - OPEN_REFERRAL_STATUSES
# Most serious first: the penalty cap follows the most serious offence (conditions.rules).
SERIOUSNESS = ("indictable_only", "either_way", "summary_only")
STATUS_LABELS = dict(CaseStatus.choices)

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class Bad(Exception):
    """One value refused; the message says why, in words. ``value`` is the value as the file wrote it,
    when the message is about it: kept apart from the words, so that a report can forget it
    (``report_forget_values``) and still say what was wrong."""

    def __init__(self, message, value=None):
        super().__init__(message)
        self.value = value

    @classmethod
    def about(cls, value, message):
        return cls(message, value)


@lru_cache(maxsize=4096)
def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@lru_cache(maxsize=4096)
def noon(value: date) -> datetime:
    """A moment for a record only a date is known for: midday in the service's time zone (London)."""
    return timezone.make_aware(datetime.combine(value, LONDON_NOON), timezone.get_default_timezone())


# --- What a row becomes ---------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class PersonRow:
    key: tuple
    line: int
    given_names: str
    family_name: str
    date_of_birth: date
    sex: str
    ethnicity_id: int | None
    pnc_id: str
    address: str
    postcode: str
    phone: str
    email: str
    vulnerable: bool
    vulnerability_notes: str
    interpreter_language: str
    aliases: list
    person_id: int | None = None  # an existing person (same PNC ID, or the person of a case held)
    new: bool = True

    def age_on(self, when: date) -> int:
        dob = self.date_of_birth
        return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


@dataclass(slots=True)
class OffenceRow:
    offence: Offence
    offence_date: date
    details: str
    number: int = 1  # its group in the file: offence_1, offence_2...


@dataclass(slots=True)
class ConditionRow:
    number: int
    kind: str
    wording: str
    due_date: date
    status: str
    outcome_on: date | None
    hours: Decimal | None
    amount_kind: str
    amount: Decimal | None
    organisation: Organisation
    owner: User | None
    service: Service | None
    referral_status: str
    referral_sent_on: date | None
    in_breach: bool = False  # what led to the breach review
    pk: int | None = None  # given when written


@dataclass(slots=True, eq=False)
class CaseRow:
    line: int
    reference: str
    person: PersonRow
    scheme: Scheme
    area: Area
    owner: User
    status: str
    opened_on: date
    arrest_date: date
    victim_type: str
    victim_views: str
    victim_views_obtained_on: date | None
    victim_rj_consent: str
    flags: list
    previous_convictions: int
    previous_cautions: int
    lives_in_force_area: bool
    circumstances: str
    offences: list
    dates: dict  # the journey's dates the row gives: decision_date, caution_date...
    decision_maker: User | None
    caution_place: str
    withdrawn_reason: str
    conditions: list
    status_date: date
    extension_days: int | None = None
    failures: list = field(default_factory=list)  # the scheme's rules it fails on the decision date
    case_id: int | None = None  # given when written
    case_reference: str = ""  # Offender Hub's own, given when written

    @property
    def decision_outcome(self):
        if "decision_date" not in self.dates:
            return None
        return DECIDED_OUTCOME.get(self.status, DecisionOutcome.ELIGIBLE)

    @property
    def resumed(self) -> bool:
        return "prosecution_date" in self.dates


@dataclass
class Plan:
    """What importing the file would do (or the rows to correct). ``report`` is what the page and the
    command show, and what the import's record keeps."""

    cases: list = field(default_factory=list)
    people: list = field(default_factory=list)  # new people (PersonRow), in the order first met
    errors: list = field(default_factory=list)
    errors_total: int = 0
    warnings: list = field(default_factory=list)
    warnings_total: int = 0
    likely: list = field(default_factory=list)
    likely_total: int = 0
    # Every likely match, listed or not, for the suspected duplicates once imported: (the new person,
    # the recorded person's ``Details``, or the file's other new person).
    suspected: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    line_word: str = "Line"
    timings: dict = field(default_factory=dict)  # seconds by step, for the benchmark

    @property
    def ok(self) -> bool:
        return not self.errors_total

    def report(self) -> dict:
        return {
            "values_kept": report_holds_values({"errors": self.errors}),
            "line_word": self.line_word,
            "counts": self.counts,
            "errors": self.errors,
            "errors_total": self.errors_total,
            "warnings": self.warnings,
            "warnings_total": self.warnings_total,
            "likely_matches": self.likely,
            "likely_matches_total": self.likely_total,
        }


def problem_text(line_word, item) -> str:
    """``Line 14, column 'date_of_birth': '31/02/1990' is not a real date``; once the report has
    forgotten the file's values (``report_forget_values``), ``Line 14, column 'date_of_birth': is not
    a real date``."""
    where = []
    if item.get("line"):
        where.append(f"{line_word} {item['line']}")
    if item.get("column"):
        where.append(f"column '{item['column']}'")
    message = f"'{item['value']}' {item['message']}" if "value" in item else item["message"]
    return f"{', '.join(where)}: {message}" if where else message


def report_holds_values(report: dict) -> bool:
    return any("value" in item for item in report.get("errors", ()))


def report_forget_values(report: dict) -> dict:
    """The report without the values the file wrote (each problem keeps its line, column and what was
    wrong): what an import's record keeps once nobody needs them to correct the file."""
    return {
        **report,
        "errors": [{k: v for k, v in item.items() if k != "value"} for item in report.get("errors", ())],
        "values_kept": False,
    }


# --- The reference data, read once ---------------------------------------------------------------------


class References:
    """The force's schemes, areas and staff, the partner agencies and their services, the offences and
    ethnic groups: read in a few queries, looked up by code, name or email without regard to case."""

    def __init__(self, force):
        self.force = force
        self.schemes = {}
        for scheme in Scheme.objects.filter(force=force).select_related("disposal_type"):
            self.schemes[scheme.code.casefold()] = scheme
            self.schemes.setdefault(scheme.name.casefold(), scheme)
        self.areas = {}
        for area in Area.objects.filter(force=force):
            self.areas[area.code.casefold()] = area
            self.areas.setdefault(area.name.casefold(), area)
        self.offences = {o.name.casefold(): o for o in Offence.objects.all()}
        self.ethnicities = {}
        for ethnicity in Ethnicity.objects.all():
            self.ethnicities[ethnicity.code.casefold()] = ethnicity.pk
            self.ethnicities[f"{ethnicity.group}: {ethnicity.name}".casefold()] = ethnicity.pk
            self.ethnicities.setdefault(ethnicity.name.casefold(), ethnicity.pk)
        self.partners = {
            o.name.casefold(): o for o in Organisation.objects.filter(kind=OrganisationKind.PARTNER_AGENCY)
        }
        self.services = {
            (s.organisation_id, s.name.casefold()): s
            for s in Service.objects.filter(organisation__kind=OrganisationKind.PARTNER_AGENCY)
        }
        organisations = [force.pk, *(o.pk for o in self.partners.values())]
        self.users = {u.email.casefold(): u for u in User.objects.filter(organisation_id__in=organisations)}
        self.roles = {}
        for user_id, role in RoleAssignment.objects.filter(user__organisation_id=force.pk).values_list(
            "user_id", "role"
        ):
            self.roles.setdefault(user_id, set()).add(role)

    def staff(self, email, role):
        user = self.users.get(email.casefold())
        if user is None or user.organisation_id != self.force.pk or role not in self.roles.get(user.pk, ()):
            return None
        return user


# --- Values ---------------------------------------------------------------------------------------------


def parse_date(value: str) -> date:
    if len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    match = _ISO.match(value) or _UK.match(value)
    if match is None:
        raise Bad.about(value, "is not a date: write it as 2026-03-31 or 31/03/2026")
    if match.re is _ISO:
        year, month, dom = (int(g) for g in match.groups())
    else:
        dom, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, dom)
    except ValueError:
        raise Bad.about(value, "is not a real date") from None


_CHOICES = {}


def parse_choice(value: str, choices, what: str) -> str:
    """A code of ``choices`` (a TextChoices), given as the code or the label, without regard to case."""
    known = _CHOICES.get(choices)
    if known is None:
        known = _CHOICES[choices] = {}
        for code, label in choices.choices:
            known[str(label).casefold()] = code
            known[code] = code
    folded = value.casefold()
    code = known.get(folded.replace(" ", "_").replace("-", "_")) or known.get(folded)
    if code is None:
        raise Bad.about(value, f"is not {what}: use one of {', '.join(choices.values)}")
    return code


def parse_yes_no(value: str) -> bool:
    if value.casefold() in _YES:
        return True
    if value.casefold() in _NO:
        return False
    raise Bad.about(value, "is not yes or no")


def parse_count(value: str) -> int:
    if not value.isdigit() or int(value) > 500:
        raise Bad.about(value, "is not a whole number from 0 to 500")
    return int(value)


def parse_decimal(value: str, *, places: int, highest: Decimal, what: str) -> Decimal:
    try:
        number = Decimal(value.lstrip("£").replace(",", ""))
    except InvalidOperation:
        raise Bad.about(value, f"is not {what}") from None
    if not number.is_finite() or number < 0 or number > highest or -number.as_tuple().exponent > places:
        raise Bad.about(value, f"is not {what} (from 0 to {highest}, with at most {places} decimal places)")
    return number


# --- The check ------------------------------------------------------------------------------------------


class Row:
    """One row's values by column, and the problems found in it."""

    def __init__(self, checker, number, values):
        self.checker = checker
        self.number = number
        self.values = values  # stripped; blank values left out
        self.failed = set()
        self.raw = lambda column: values.get(column, "")
        self._get = values.get

    def problem(self, column, message, value=None):
        self.failed.add(column)
        self.checker.error(self.number, column, message, value)

    def get(self, column, parse=None, *, required=False, max_length=None, default=None, **kwargs):
        """The column's value parsed, ``default`` when blank, None when refused (the problem noted)."""
        value = self._get(column)
        if value is None:
            if required:
                self.problem(
                    column,
                    f"is blank, and it is needed when {required}"
                    if isinstance(required, str)
                    else "is blank, and every row needs it",
                )
                return None
            return default
        if max_length and len(value) > max_length:
            self.problem(column, f"is longer than {max_length} characters")
            return None
        if parse is None:
            return value
        try:
            return parse(value, **kwargs)
        except Bad as exc:
            self.problem(column, str(exc), exc.value)
            return None


class Checker:
    """Checks a sheet for the force and says what importing it would do (``check``). Nothing is saved."""

    def __init__(self, *, force, actor, today=None, progress=None):
        self.force = force
        self.actor = actor
        self.today = today or timezone.localdate()
        self.progress = progress or (lambda phase, done, total: None)
        self.refs = References(force)
        self.plan = Plan()
        self.people = {}  # identity key -> PersonRow
        self.references = {}  # case reference -> line
        self.person_reference_pnc = {}  # person_reference -> (pnc, line)
        self.errors_by_line = {}
        self.rows = []  # CaseRow, in file order

    # --- Recording problems --------------------------------------------------------------------------

    def error(self, line, column, message, value=None):
        self.plan.errors_total += 1
        self.errors_by_line[line] = self.errors_by_line.get(line, 0) + 1
        if len(self.plan.errors) < MAX_LISTED:
            item = {"line": line, "column": column, "message": message}
            if value is not None:
                item["value"] = value
            self.plan.errors.append(item)

    def warn(self, line, column, message):
        self.plan.warnings_total += 1
        if len(self.plan.warnings) < MAX_LISTED:
            self.plan.warnings.append({"line": line, "column": column, "message": message})

    # --- The whole file ------------------------------------------------------------------------------

    def check(self, sheet: Sheet) -> Plan:
        self.plan.line_word = sheet.line_word
        if not self._header(sheet.header):
            return self.plan
        total, header = sheet.total, sheet.header
        self.progress("Checking the rows", 0, total)
        count = 0
        try:
            for number, values in sheet.rows:
                if not any(v.strip() for v in values):
                    continue
                count += 1
                if count > MAX_ROWS:
                    self.error(number, None, f"the file has more than {MAX_ROWS:,} rows: split it")
                    break
                if len(values) > len(sheet.header) and any(v.strip() for v in values[len(sheet.header) :]):
                    self.error(
                        number,
                        None,
                        "the row has more values than the header has columns: put quotes around "
                        "any value with a comma in it",
                    )
                    continue
                self._row(
                    number,
                    {
                        name: text
                        for name, v in zip(header, values, strict=False)
                        if v and (text := v.strip())
                    },  # noqa: E501
                )
                if count % 1000 == 0:
                    self.progress("Checking the rows", count, max(total, count))
        except FileRefused as exc:
            self.error(None, None, str(exc))
            return self.plan
        self.progress("Checking the rows", count, count)
        if not count:
            self.error(None, None, "The file has no rows to import.")
            return self.plan
        self.progress("Matching people", count, count)
        began = time_monotonic()
        self._resolve(count)
        self.plan.timings["matching people and cases held"] = time_monotonic() - began
        return self.plan

    def _header(self, header) -> bool:
        seen = set()
        for index, name in enumerate(header, start=1):
            if not name:
                self.error(1, None, f"column {index} of the header has no name")
            elif name in seen:
                self.error(1, name, "is in the header twice")
            elif column_spec(name) is None:
                self.error(1, name, "is not a column the import understands (see the list of columns)")
            seen.add(name)
        for name in REQUIRED:
            if name not in seen:
                self.error(1, name, "is missing from the header: the import needs it")
        for prefix, needed in (("offence", ("", "_date")), ("condition", ("_kind", "_wording", "_due_date"))):
            for number in group_numbers(seen, prefix):
                for suffix in needed:
                    name = f"{prefix}_{number}{suffix}"
                    if name not in seen:
                        self.error(1, name, f"is missing from the header: {prefix} group {number} needs it")
        self.offence_numbers = group_numbers(seen, "offence")
        self.condition_numbers = group_numbers(seen, "condition")
        self.condition_columns = {
            n: frozenset(name for name in header if name.startswith(f"condition_{n}_"))
            for n in self.condition_numbers
        }
        return not self.plan.errors_total

    # --- One row -------------------------------------------------------------------------------------

    def _row(self, number, values):  # noqa: C901 (the row's columns, in the file's order)
        r = Row(self, number, values)
        refs = self.refs
        reference = r.get("case_reference", required=True, max_length=40)
        if reference:
            if reference in self.references:
                r.problem(
                    "case_reference",
                    f"is also on {self.plan.line_word.lower()} {self.references[reference]}: each case once",
                    reference,
                )
                reference = None
            else:
                self.references[reference] = number
        person = self._person(r)
        scheme = r.get(
            "scheme",
            lambda v: (
                refs.schemes.get(v.casefold())
                or _bad_about(v, f"is not a scheme of {self.force}: use its code or name")
            ),
            required=True,
        )
        area = r.get(
            "area",
            lambda v: (
                refs.areas.get(v.casefold())
                or _bad_about(v, f"is not an area of {self.force}: use its code or name")
            ),
            required=True,
        )
        owner = r.get(
            "case_worker",
            lambda v: (
                refs.staff(v, Role.CASE_WORKER)
                or _bad_about(v, f"is not the email address of a case worker of {self.force}")
            ),
            required=True,
        )
        status = r.get("status", parse_choice, required=True, choices=CaseStatus, what="a case status")
        arrest_date = r.get("arrest_date", parse_date, required=True)
        opened_on = r.get("opened_on", parse_date, default=arrest_date)
        victim_type = r.get(
            "victim_type", parse_choice, required=True, choices=VictimType, what="a victim type"
        )
        victim_views = r.get("victim_views", default="")
        views_on = r.get("victim_views_obtained_on", parse_date)
        consent = r.get(
            "victim_rj_consent",
            parse_choice,
            choices=RestorativeJusticeConsent,
            what="an answer about restorative justice",
        )
        if consent is None and "victim_rj_consent" not in r.failed:
            consent = (
                RestorativeJusticeConsent.NOT_APPLICABLE
                if victim_type == VictimType.NONE
                else RestorativeJusticeConsent.NOT_ASKED
            )
        if victim_type == VictimType.NONE and consent in (
            RestorativeJusticeConsent.CONSENTS,
            RestorativeJusticeConsent.DECLINES,
        ):
            r.problem("victim_rj_consent", "there is no identifiable victim to consent: use not_applicable")
        flags = r.get("flags", self._flags, default=[])
        convictions = r.get("previous_convictions", parse_count, default=0)
        cautions = r.get("previous_cautions", parse_count, default=0)
        lives_here = r.get("lives_in_force_area", parse_yes_no, default=True)
        circumstances = r.get("circumstances", default="")
        offences = self._offences(r, person, arrest_date)
        dates = {name: r.get(name, parse_date) for name in JOURNEY_DATES}
        decision_maker = r.get(
            "decision_maker",
            lambda v: (
                refs.staff(v, Role.DECISION_MAKER)
                or _bad_about(v, f"is not the email address of a decision-maker of {self.force}")
            ),
        )
        caution_place = r.get("caution_place", max_length=150, default="")
        withdrawn_reason = r.get("withdrawn_reason", default="")
        given = {"victim_views_obtained_on": views_on, "arrest_date": arrest_date, **dates}
        if r.raw("opened_on"):
            given["opened_on"] = opened_on
        for name, value in given.items():
            if value and value > self.today:
                r.problem(name, f"{day(value)} is in the future")
        if status:
            self._status_dates(r, status, dates, decision_maker, caution_place, withdrawn_reason)
        dates = {name: value for name, value in dates.items() if value}
        if arrest_date and opened_on and opened_on < arrest_date:
            r.problem("opened_on", f"{day(opened_on)} is before the arrest date ({day(arrest_date)})")
        if opened_on:
            self._dates_in_order(r, opened_on, dates)
        if scheme and status and not scheme.is_active and status in OPEN_STATUSES:
            r.problem("scheme", f"{scheme.name} is no longer active: an open case needs an active scheme")
        if owner and status and not owner.is_active and status in OPEN_STATUSES:
            r.problem(
                "case_worker", f"{owner.email} is no longer active: an open case needs an active case worker"
            )
        conditions = self._conditions(r, status, dates, owner)
        if r.failed or None in (
            reference,
            person,
            scheme,
            area,
            owner,
            status,
            arrest_date,
            opened_on,
            victim_type,
        ):
            return
        row = CaseRow(
            line=number,
            reference=reference,
            person=person,
            scheme=scheme,
            area=area,
            owner=owner,
            status=status,
            opened_on=opened_on,
            arrest_date=arrest_date,
            victim_type=victim_type,
            victim_views=victim_views,
            victim_views_obtained_on=views_on,
            victim_rj_consent=consent,
            flags=flags,
            previous_convictions=convictions,
            previous_cautions=cautions,
            lives_in_force_area=lives_here,
            circumstances=circumstances,
            offences=offences,
            dates=dates,
            decision_maker=decision_maker,
            caution_place=caution_place,
            withdrawn_reason=withdrawn_reason,
            conditions=conditions,
            status_date=dates.get(STATUS_DATE[status], opened_on),
        )
        self._case_rules(r, row)
        if not r.failed:
            self.rows.append(row)

    def _flags(self, value):
        flags = []
        for part in (p.strip() for p in value.split(";")):
            if part:
                flags.append(parse_choice(part, CaseFlag, "a flag"))
        return [flag for flag in CaseFlag.values if flag in flags]

    # --- The person ----------------------------------------------------------------------------------

    def _person(self, r) -> PersonRow | None:
        refs = self.refs
        given = r.get("given_names", required=True, max_length=100)
        family = r.get("family_name", required=True, max_length=100)
        dob = r.get("date_of_birth", parse_date, required=True)
        if dob and dob > self.today:
            r.problem("date_of_birth", f"{day(dob)} is in the future")
        elif dob and dob.year < 1900:
            r.problem("date_of_birth", f"{day(dob)} is before 1900")
        sex = r.get("sex", parse_choice, required=True, choices=Sex, what="a sex")
        ethnicity = r.get(
            "ethnicity",
            lambda v: (
                refs.ethnicities.get(v.casefold())
                or _bad_about(v, "is not an ethnic group of the 2021 census: use its code, for example W1")
            ),
        )
        pnc = r.get("pnc_id", self._pnc, default="")
        person_reference = r.get("person_reference", max_length=100, default="")
        aliases = r.get("aliases", self._aliases, default=[])
        address = r.get("address", default="")
        postcode = r.get("postcode", max_length=10, default="")
        phone = r.get("phone", max_length=30, default="")
        email = r.get("email", self._email, default="")
        vulnerable = r.get("vulnerable", parse_yes_no, default=False)
        notes = r.get("vulnerability_notes", default="")
        language = r.get("interpreter_language", max_length=60, default="")
        if person_reference:
            known = self.person_reference_pnc.get(person_reference.casefold())
            if known is None or (not known[0] and pnc):
                self.person_reference_pnc[person_reference.casefold()] = (pnc, r.number)
            elif pnc and known[0] and known[0] != pnc:
                r.problem(
                    "pnc_id",
                    f"is not the PNC ID {self.plan.line_word.lower()} {known[1]} gives for the same "
                    "person_reference: correct one of them",
                    pnc,
                )
                return None
            if not pnc and known and known[0]:
                pnc = known[0]
        if None in (given, family, dob, sex) or {"pnc_id", "date_of_birth"} & r.failed:
            return None
        if pnc:
            key = ("pnc", pnc)
        elif person_reference:
            key = ("ref", person_reference.casefold())
        else:
            key = ("line", r.number)
        person = self.people.get(key)
        if person is None and key[0] == "pnc" and person_reference:
            person = self.people.get(("ref", person_reference.casefold()))
            if person is not None:
                self.people[key] = person
        if person is not None:
            if (given.casefold(), family.casefold(), dob) != (
                person.given_names.casefold(),
                person.family_name.casefold(),
                person.date_of_birth,
            ):
                column = "pnc_id" if key[0] == "pnc" else "person_reference"
                r.problem(
                    column,
                    f"the same person is on {self.plan.line_word.lower()} {person.line} with "
                    "another name or date of birth: correct one of them",
                )
                return None
            return person
        person = PersonRow(
            key=key,
            line=r.number,
            given_names=given,
            family_name=family,
            date_of_birth=dob,
            sex=sex,
            ethnicity_id=ethnicity,
            pnc_id=pnc,
            address=address,
            postcode=postcode,
            phone=phone,
            email=email,
            vulnerable=vulnerable,
            vulnerability_notes=notes,
            interpreter_language=language,
            aliases=aliases,
        )
        self.people[key] = person
        return person

    @staticmethod
    def _pnc(value):
        try:
            return normalise_pnc_id(value)
        except ValidationError:
            raise Bad.about(
                value, "is not a PNC ID: write it as YY/NNNNNNNA, for example 19/0012345A"
            ) from None

    @staticmethod
    def _email(value):
        try:
            validate_email(value)
        except ValidationError:
            raise Bad.about(value, "is not an email address") from None
        if len(value) > 254:
            raise Bad("is longer than 254 characters")
        return value

    @staticmethod
    def _aliases(value):
        aliases = []
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            family, _, given = (s.strip() for s in part.partition(","))
            if not family:
                raise Bad.about(part, "has no family name: write aliases as Family name, given names")
            if len(family) > 100 or len(given) > 100:
                raise Bad.about(part, "is longer than 100 characters a name")
            aliases.append((given, family))
        return aliases

    # --- The offences --------------------------------------------------------------------------------

    def _offences(self, r, person, arrest_date):
        offences = []
        for n in self.offence_numbers:
            name_column, date_column = f"offence_{n}", f"offence_{n}_date"
            offence = r.get(
                name_column,
                lambda v: (
                    self.refs.offences.get(v.casefold())
                    or _bad_about(v, "is not in the offence list: use the offence's name as the list has it")
                ),
            )
            when = r.get(date_column, parse_date)
            details = r.get(f"offence_{n}_details", max_length=300, default="")
            if not r.raw(name_column):
                if r.raw(date_column) or details:
                    r.problem(name_column, "is blank, but the offence's other columns are not")
                continue
            if offence is None:
                continue
            if when is None:
                if date_column not in r.failed:
                    r.problem(date_column, "is blank, but each offence needs its date")
                continue
            if when > self.today:
                r.problem(date_column, f"{day(when)} is in the future")
            elif arrest_date and when > arrest_date:
                r.problem(date_column, f"{day(when)} is after the arrest date ({day(arrest_date)})")
            elif person and when < person.date_of_birth:
                r.problem(date_column, f"{day(when)} is before the person's date of birth")
            offences.append(OffenceRow(offence, when, details, n))
        if not offences and not r.raw("offence_1") and "offence_1" not in r.failed:
            r.problem("offence_1", "is blank, but a case needs at least one offence")
        return offences

    # --- The journey ---------------------------------------------------------------------------------

    def _status_dates(self, r, status, dates, decision_maker, caution_place, withdrawn_reason):
        label = STATUS_LABELS[status]
        needed, allowed = NEEDS[status], NEEDS[status] + MAY_HAVE.get(status, ())
        for name, what in JOURNEY_DATES.items():
            given = bool(r.raw(name))
            if name in needed and not given and name not in r.failed:
                r.problem(name, f"is blank, but a case that is '{label}' needs the date of {what}")
            elif given and name not in allowed:
                r.problem(
                    name, f"a case that is '{label}' has had no {what.split(' ', 1)[1]}: leave it blank"
                )
        if status == S.CLOSED and not {"completed_on", "prosecution_date"} & r.failed:
            completed, resumed = bool(r.raw("completed_on")), bool(r.raw("prosecution_date"))
            if completed == resumed:
                r.problem(
                    "closed_on",
                    "a closed case was closed after it was completed (give completed_on) or "
                    "after its prosecution resumed (give breach_date and prosecution_date), one or the other",
                )
            elif resumed and not r.raw("breach_date"):
                r.problem(
                    "breach_date",
                    "is blank, but a case closed after its prosecution resumed needs the date of "
                    "its breach review",
                )
            elif completed and r.raw("breach_date"):
                r.problem(
                    "breach_date",
                    "a case closed after it was completed has had no breach review: leave it blank",
                )
        if r.raw("decision_maker") and not r.raw("decision_date"):
            r.problem("decision_maker", "is given, but there is no decision_date")
        if caution_place and not r.raw("caution_date"):
            r.problem("caution_place", "is given, but there is no caution_date")
        if status == S.WITHDRAWN and not withdrawn_reason:
            r.problem("withdrawn_reason", "is blank: say why the case was withdrawn")
        elif withdrawn_reason and status != S.WITHDRAWN:
            r.problem("withdrawn_reason", f"a case that is '{label}' was not withdrawn: leave it blank")

    def _dates_in_order(self, r, opened_on, dates):
        order = [
            ("decision_date", "opened_on"),
            ("caution_date", "decision_date"),
            ("breach_date", "caution_date"),
            ("prosecution_date", "breach_date"),
            ("completed_on", "caution_date"),
            ("withdrawn_on", "decision_date"),
            ("withdrawn_on", "opened_on"),
            ("closed_on", "completed_on"),
            ("closed_on", "prosecution_date"),
        ]
        known = {"opened_on": opened_on, **dates}
        for later, earlier in order:
            if later in known and earlier in known and known[later] < known[earlier]:
                r.problem(
                    later,
                    f"{day(known[later])} is before the {earlier.replace('_', ' ')} ({day(known[earlier])})",
                )

    # --- The conditions and their referrals ----------------------------------------------------------

    def _conditions(self, r, status, dates, owner):  # noqa: C901
        conditions = []
        refs = self.refs
        for n in self.condition_numbers:
            prefix = f"condition_{n}"
            if self.condition_columns[n].isdisjoint(r.values):
                continue
            kind = r.get(
                f"{prefix}_kind",
                parse_choice,
                required="the condition's other columns are given",
                choices=ConditionKind,
                what="a kind of condition",
            )
            wording = r.get(f"{prefix}_wording", required="the condition's other columns are given")
            due = r.get(f"{prefix}_due_date", parse_date, required="the condition's other columns are given")
            state = r.get(
                f"{prefix}_status",
                parse_choice,
                default=C.PENDING,
                choices=_ConditionStatuses,
                what="a condition status",
            )
            outcome_on = r.get(f"{prefix}_outcome_on", parse_date)
            hours = r.get(
                f"{prefix}_hours", parse_decimal, places=1, highest=Decimal("99.9"), what="a number of hours"
            )
            amount_kind = r.get(
                f"{prefix}_amount_kind",
                parse_choice,
                default="",
                choices=_AmountKinds,
                what="a kind of payment",
            )
            amount = r.get(
                f"{prefix}_amount",
                parse_decimal,
                places=2,
                highest=Decimal("999999.99"),
                what="an amount of money",
            )
            partner = r.get(
                f"{prefix}_partner",
                lambda v: (
                    refs.partners.get(v.casefold())
                    or _bad_about(
                        v,
                        "is not a partner agency in Offender Hub: use its name as the partner "
                        "directory has it",
                    )
                ),
            )
            organisation = partner or (None if f"{prefix}_partner" in r.failed else self.force)
            condition_owner = r.get(
                f"{prefix}_owner",
                lambda v: (
                    refs.users.get(v.casefold())
                    or _bad_about(v, "is not the email address of anyone in Offender Hub")
                ),
            )
            service_name = r.get(f"{prefix}_service", default="")
            referral_status = r.get(
                f"{prefix}_referral_status",
                parse_choice,
                default=None,
                choices=ReferralStatus,
                what="a referral status",
            )
            sent_on = r.get(f"{prefix}_referral_sent_on", parse_date)
            if status is None or None in (kind, wording, due, state) or organisation is None:
                continue
            label = STATUS_LABELS[status]
            allowed = CONDITION_STATUSES_FOR.get(status)
            if status == S.CLOSED:
                allowed = CONDITION_STATUSES_FOR[
                    S.PROSECUTION_RESUMED if "prosecution_date" in dates else S.COMPLETED
                ]
            if allowed is None or (status == S.WITHDRAWN and "decision_date" not in dates):
                r.problem(
                    f"{prefix}_kind",
                    f"a case that is '{label}' has no conditions: leave the condition's columns blank",
                )
                continue
            if state not in allowed:
                r.problem(
                    f"{prefix}_status",
                    f"a condition of a case that is '{label}' cannot be "
                    f"'{ConditionStatus(state).label.lower()}': it can be {_listed(allowed)}",
                )
                continue
            start = dates.get("caution_date") or dates.get("decision_date")
            if start and due < start:
                what = "caution" if "caution_date" in dates else "eligibility decision"
                r.problem(f"{prefix}_due_date", f"{day(due)} is before the {what} ({day(start)})")
            if (
                state in LIVE_CONDITION_STATUSES
                and status in (S.PROSECUTION_RESUMED, S.CLOSED)
                and "prosecution_date" in dates
            ):
                self.warn(
                    r.number,
                    f"{prefix}_status",
                    "the prosecution resumed, so this condition is recorded as withdrawn on "
                    f"{day(dates['prosecution_date'])}, as Offender Hub does when a prosecution resumes",
                )
                state, outcome_on = C.WITHDRAWN, dates["prosecution_date"]
            if state in LIVE_CONDITION_STATUSES:
                if outcome_on:
                    r.problem(
                        f"{prefix}_outcome_on",
                        f"a condition that is '{ConditionStatus(state).label.lower()}' has no outcome yet: "
                        "leave it blank",
                    )
                elif status == S.ACTIVE and due < self.today:
                    self.warn(
                        r.number,
                        f"{prefix}_due_date",
                        f"due on {day(due)} and still to be met: the overdue conditions job opens a breach "
                        "review for it the next morning, as it does for any case",
                    )
            else:
                status_date = dates.get(STATUS_DATE[status]) or self.today
                outcome_on = outcome_on or min(due, status_date)
                if outcome_on > self.today:
                    r.problem(f"{prefix}_outcome_on", f"{day(outcome_on)} is in the future")
                elif start and outcome_on < start:
                    r.problem(
                        f"{prefix}_outcome_on",
                        f"{day(outcome_on)} is before the "
                        f"{'caution' if 'caution_date' in dates else 'eligibility decision'} ({day(start)})",
                    )
            if amount_kind and amount is None and f"{prefix}_amount" not in r.failed:
                r.problem(f"{prefix}_amount", "is blank: give the amount to be paid")
            elif amount is not None and not amount_kind:
                r.problem(
                    f"{prefix}_amount_kind", "is blank: say whether the amount is a penalty or compensation"
                )
            if partner and state in LIVE_CONDITION_STATUSES and not partner.is_active:
                r.problem(
                    f"{prefix}_partner",
                    f"{partner} is no longer active: a condition still to be met needs an active partner",
                )
            if condition_owner and condition_owner.organisation_id != organisation.pk:
                r.problem(f"{prefix}_owner", f"{condition_owner.email} does not work for {organisation}")
            service = None
            if service_name:
                if not partner:
                    r.problem(
                        f"{prefix}_service",
                        "needs condition_{n}_partner: the partner agency whose service it is".replace(
                            "{n}", str(n)
                        ),
                    )
                else:
                    service = refs.services.get((partner.pk, service_name.casefold()))
                    if service is None:
                        r.problem(f"{prefix}_service", f"is not a service of {partner}", service_name)
            elif referral_status or sent_on:
                r.problem(
                    f"{prefix}_service",
                    "is blank, but the referral's other columns are not: name the service",
                )
            if service is not None:
                referral_status = referral_status or ReferralStatus.SENT
                if (
                    state == C.WITHDRAWN
                    and referral_status in OPEN_REFERRAL_STATUSES
                    and "prosecution_date" in dates
                ):
                    referral_status = ReferralStatus.WITHDRAWN
                if referral_status in OPEN_REFERRAL_STATUSES:
                    if status not in REFERRABLE_CASE_STATUSES or state not in LIVE_CONDITION_STATUSES:
                        r.problem(
                            f"{prefix}_referral_status",
                            f"a referral still '{ReferralStatus(referral_status).label.lower()}' "
                            "needs an open case and a condition still to be met: give how it ended "
                            "(completed, "
                            "not_completed, declined or withdrawn)",
                        )
                    elif not service.is_active:
                        r.problem(
                            f"{prefix}_service",
                            f"'{service.name}' is no longer active: an open referral needs an active service",
                        )
                sent_on = sent_on or dates.get("caution_date") or dates.get("decision_date")
                if sent_on is None:
                    r.problem(
                        f"{prefix}_referral_sent_on",
                        "is blank, and the case has no decision to date the referral from",
                    )
                elif sent_on > self.today:
                    r.problem(f"{prefix}_referral_sent_on", f"{day(sent_on)} is in the future")
                elif "decision_date" in dates and sent_on < dates["decision_date"]:
                    r.problem(
                        f"{prefix}_referral_sent_on",
                        f"{day(sent_on)} is before the eligibility decision ({day(dates['decision_date'])})",
                    )
            conditions.append(
                ConditionRow(
                    number=n,
                    kind=kind,
                    wording=wording,
                    due_date=due,
                    status=state,
                    outcome_on=outcome_on,
                    hours=hours,
                    amount_kind=amount_kind,
                    amount=amount,
                    organisation=organisation,
                    owner=condition_owner,
                    service=service,
                    referral_status=referral_status or "",
                    referral_sent_on=sent_on,
                )
            )
        return conditions

    # --- The rules of the case as a whole ------------------------------------------------------------

    def _case_rules(self, r, row):  # noqa: C901
        scheme, label = row.scheme, STATUS_LABELS[row.status]
        first = "offence_1"
        if row.status != S.INELIGIBLE:
            for entry in row.offences:
                if entry.offence.group in scheme.excluded_offence_groups:
                    group = OffenceGroup(entry.offence.group).label
                    r.problem(
                        f"offence_{entry.number}",
                        f"{scheme.name} does not take offences in the group '{group}' "
                        f"({entry.offence.name}): only an ineligible case can hold one",
                    )
        decided = row.dates.get("decision_date")
        if decided and row.offences:
            row.failures = scheme_failures(row, on=decided)
            if row.decision_outcome == DecisionOutcome.ELIGIBLE:
                age = row.person.age_on(decided)
                if age < scheme.minimum_age:
                    r.problem(
                        "decision_date",
                        f"the person was {age} on {day(decided)}: {scheme.name} takes "
                        f"people aged {scheme.minimum_age} or over, and a conditional caution is for adults",
                    )
                failed = [code for code in row.failures if code not in ("minimum_age", "offence_group")]
                if failed:
                    self.warn(
                        row.line,
                        "status",
                        f"{scheme.name}'s rules today would not find the case eligible on {day(decided)} "
                        f"({'; '.join(RULE_LABELS[code] for code in failed)}): it is imported as '{label}', "
                        "as decided",
                    )
        caution = row.dates.get("caution_date")
        limited = [o for o in row.offences if o.offence.time_limit_applies]
        if caution and limited:
            first_limited = min(limited, key=lambda o: o.offence_date)
            limit = latest_proceedings_date(first_limited.offence_date)
            if caution >= limit:
                r.problem(
                    "caution_date",
                    f"proceedings for {first_limited.offence.name.lower()} had to start by {day(limit)}: a "
                    f"caution cannot be given on {day(caution)}, when a breach could no longer be prosecuted",
                )
        # The conditions together.
        binding = [c for c in row.conditions if c.status in BINDING_CONDITION_STATUSES]
        if (
            row.status in WITH_CONDITIONS
            and not binding
            and not {c for c in r.failed if c.startswith("condition_")}
        ):
            column = f"condition_{self.condition_numbers[0]}_kind" if self.condition_numbers else first
            r.problem(
                column, f"a case that is '{label}' has conditions the person agreed to: give at least one"
            )
            return
        completed_route = row.status == S.COMPLETED or (row.status == S.CLOSED and not row.resumed)
        if completed_route and binding and not any(c.status == C.COMPLETE for c in binding):
            r.problem(
                f"condition_{binding[0].number}_status",
                f"a case that is '{label}' was completed: at least one of its conditions was met (complete)",
            )
        if row.status == S.BREACH_REVIEW or row.resumed:
            opened = row.dates.get("breach_date")
            led = [
                c
                for c in binding
                if c.status == C.FAILED
                or (
                    opened
                    and c.due_date < opened
                    and (c.status in LIVE_CONDITION_STATUSES or (c.status == C.WITHDRAWN and row.resumed))
                )
            ]
            if not led:
                r.problem(
                    f"condition_{binding[0].number}_status" if binding else first,
                    "a breach review follows a "
                    "condition failed, or not met by its due date: none of the case's conditions was",
                )
            for c in led:
                c.in_breach = True
        caps_source = scheme.disposal_type
        capped = sum((c.hours or 0 for c in binding if c.kind in CAPPED_KINDS), Decimal(0))
        if capped > caps_source.max_attendance_hours:
            n = next(c.number for c in binding if c.kind in CAPPED_KINDS and c.hours)
            r.problem(
                f"condition_{n}_hours",
                f"reparative and punitive attendance is limited to "
                f"{caps_source.max_attendance_hours} hours in total: the case's conditions make {capped}",
            )
        penalties = [c for c in binding if c.amount_kind == AmountKind.PENALTY]
        if penalties and row.offences:
            held = {o.offence.classification for o in row.offences}
            classification = next(c for c in SERIOUSNESS if c in held)
            cap = caps_source.max_penalty_for(classification)
            total = sum((c.amount or 0 for c in penalties), Decimal(0))
            if total > cap:
                r.problem(
                    f"condition_{penalties[0].number}_amount",
                    f"a financial penalty for this case's offences "
                    f"can be at most £{cap}: its conditions make £{total}",
                )
        # The completion period: from the caution, else from the eligibility decision.
        start = row.dates.get("caution_date") or row.dates.get("decision_date")
        if start and binding:
            latest = max(binding, key=lambda c: c.due_date)
            days = (latest.due_date - start).days
            if days > scheme.compliance_period_max_days:
                r.problem(
                    f"condition_{latest.number}_due_date",
                    f"{day(latest.due_date)} is more than {scheme.name}'s maximum completion period "
                    f"({scheme.compliance_period_max_days} days) after the "
                    f"{'caution' if 'caution_date' in row.dates else 'eligibility decision'} ({day(start)})",
                )
            elif days > scheme.compliance_period_default_days and "caution_date" in row.dates:
                row.extension_days = days
                self.warn(
                    row.line,
                    f"condition_{latest.number}_due_date",
                    f"due more than {scheme.name}'s usual "
                    f"{scheme.compliance_period_default_days} days after the caution: a longer completion "
                    f"period of {days} days is recorded as approved before Offender Hub",
                )

    # --- After every row: what is held already, and who the people are ------------------------------

    def _resolve(self, count):
        plan = self.plan
        references = list(self.references)
        held = matching.cases_held(self.force.pk, references)
        # The rows of cases held already are skipped, problems and all: importing a file again adds nothing.
        held_lines = {self.references[ref] for ref in held}
        if held_lines:
            plan.errors_total -= sum(self.errors_by_line.get(line, 0) for line in held_lines)
            plan.errors = [e for e in plan.errors if e["line"] not in held_lines]
            plan.warnings_total -= sum(1 for w in plan.warnings if w["line"] in held_lines)
            plan.warnings = [w for w in plan.warnings if w["line"] not in held_lines]
        rows = [row for row in self.rows if row.reference not in held]
        for row in self.rows:
            if row.reference in held:
                row.person.person_id = held[row.reference]
                row.person.new = False
        plan.counts["rows"] = count
        plan.counts["cases_held"] = len(held)
        if not plan.ok:
            return
        people = {}
        for row in rows:
            people.setdefault(id(row.person), row.person)
        undecided = [p for p in people.values() if p.person_id is None]
        details = {
            id(p): matching.Details(
                id(p), p.given_names, p.family_name, p.date_of_birth, p.pnc_id, tuple(p.aliases)
            )
            for p in undecided
        }
        matches = matching.people_match(force_id=self.force.pk, people=list(details.values()))
        first_line = {}
        for row in rows:
            first_line.setdefault(id(row.person), row)
        new_people = []
        for person in undecided:
            match = matches[id(person)]
            if match.same is not None:
                person.person_id, person.new = match.same, False
                continue
            for (pk, why), known in zip(match.likely, match.known, strict=True):
                self._likely(first_line[id(person)], why, person_id=pk)
                plan.suspected.append((person, known, None))
            new_people.append(person)
        # The file's new people alike one another (the same rules, among the file's rows).
        by_key = {id(p): p for p in new_people}
        for key, earlier in matching.rows_match([details[id(p)] for p in new_people]).items():
            for other_key, why in earlier:
                self._likely(first_line[key], why, line=by_key[other_key].line)
                plan.suspected.append((by_key[key], None, by_key[other_key]))
        plan.people = [p for p in people.values() if p.new]
        plan.cases = rows
        counts = plan.counts
        counts["cases"] = len(rows)
        counts["people_new"] = len(plan.people)
        counts["people_existing"] = len(people) - len(plan.people)
        counts["offences"] = sum(len(r.offences) for r in rows)
        counts["conditions"] = sum(len(r.conditions) for r in rows)
        counts["referrals"] = sum(1 for r in rows for c in r.conditions if c.service)
        counts["by_status"] = {}
        for row in rows:
            counts["by_status"][row.status] = counts["by_status"].get(row.status, 0) + 1
        self._people_held_differ(people.values())

    def _likely(self, row, why, *, person_id=None, line=None):
        self.plan.likely_total += 1
        if len(self.plan.likely) < MAX_LISTED:
            self.plan.likely.append(
                {
                    "line": row.line,
                    "case_reference": row.reference,
                    "person": person_id,
                    "other_line": line,
                    "why": why,
                }
            )

    def _people_held_differ(self, people):
        """A warning for each existing person the file names differently: their record is kept as it is."""

        existing = {p.person_id: p for p in people if not p.new}
        for pk, given, family, dob in matching.people_details(existing):
            p = existing[pk]
            if (given.casefold(), family.casefold(), dob) != (
                p.given_names.casefold(),
                p.family_name.casefold(),
                p.date_of_birth,
            ):
                self.warn(
                    p.line,
                    "pnc_id" if p.pnc_id else "case_reference",
                    f"person #{pk} already recorded has another name or date of birth: the record held "
                    "is kept as it is",
                )


# The scheme's rules (cases.rules.assess_eligibility), by the codes it gives them: checked here without
# its explanations, which would cost more than the rest of a row's checks.
RULE_LABELS = {
    "minimum_age": "the minimum age",
    "offence_group": "an offence in a group the scheme excludes",
    "flags": "a circumstance the scheme excludes",
    "gravity": "the highest gravity score",
    "crime_age": "the crime's age",
    "previous_convictions": "previous convictions",
    "previous_cautions": "previous cautions",
    "residence": "living in the force area",
    "time_limit": "the six-month limit",
}


def scheme_failures(row, *, on: date) -> list[str]:
    """The codes of the scheme's rules the case fails on ``on``, as ``assess_eligibility`` finds them
    (without an admission or a gravity adjustment)."""
    scheme, offences = row.scheme, row.offences
    failed = []
    if row.person.age_on(on) < scheme.minimum_age:
        failed.append("minimum_age")
    if any(o.offence.group in scheme.excluded_offence_groups for o in offences):
        failed.append("offence_group")
    if any(f in scheme.excluded_flags for f in row.flags):
        failed.append("flags")
    if gravity_of(row) > scheme.maximum_gravity:
        failed.append("gravity")
    first = min(o.offence_date for o in offences)
    if scheme.maximum_crime_age_days is not None and (on - first).days > scheme.maximum_crime_age_days:
        failed.append("crime_age")
    most = scheme.maximum_previous_convictions
    if most is not None and row.previous_convictions > most:
        failed.append("previous_convictions")
    most = scheme.maximum_previous_cautions
    if most is not None and row.previous_cautions > most:
        failed.append("previous_cautions")
    if scheme.must_live_in_force_area and not row.lives_in_force_area:
        failed.append("residence")
    limited = [o.offence_date for o in offences if o.offence.time_limit_applies]
    if limited and on > latest_proceedings_date(min(limited)):
        failed.append("time_limit")
    return failed


def gravity_of(row) -> int:
    return max((o.offence.default_gravity for o in row.offences), default=1)


def needs_prosecutor(row) -> bool:
    """Indictable-only offences always need the prosecutor's authority; schemes may add others."""
    classes = set(row.scheme.prosecutor_authority_for) | {Classification.INDICTABLE_ONLY}
    return any(o.offence.classification in classes for o in row.offences)


def _bad(message):
    raise Bad(message)


def _bad_about(value, message):
    raise Bad.about(value, message)


def _listed(statuses) -> str:
    labels = [ConditionStatus(s).value for s in ConditionStatus.values if s in statuses]
    return ", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else labels[0]


class _ConditionStatuses:
    """The condition statuses a file may give (not 'superseded', which only a variation makes)."""

    choices = [
        (s, ConditionStatus(s).label) for s in (C.PENDING, C.IN_PROGRESS, C.COMPLETE, C.FAILED, C.WITHDRAWN)
    ]
    values = [s for s, _ in choices]


class _AmountKinds:
    choices = [(AmountKind.PENALTY, "Financial penalty"), (AmountKind.COMPENSATION, "Compensation")]
    values = [AmountKind.PENALTY.value, AmountKind.COMPENSATION.value]


CLASSIFICATIONS = tuple(Classification.values)


def case_derived(row: CaseRow) -> dict:
    """What the case keeps from its offences: the columns ``case_create`` and
    ``case_offence_columns_refresh`` keep (``first_summary_offence_date_of``, ``offence_classes_of``)."""
    held = {o.offence.classification for o in row.offences}
    return {
        "first_summary_offence_date": first_summary_offence_date_of(row.offences),
        **{f"holds_{classification}": classification in held for classification in CLASSIFICATIONS},
    }


__all__ = [
    "Checker",
    "Plan",
    "CaseRow",
    "PersonRow",
    "problem_text",
    "noon",
    "day",
    "case_derived",
    "COLUMNS_BY_NAME",
]

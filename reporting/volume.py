"""A large force's volume of records, generated set-based for the benchmark (``manage.py seed_volume``).

Issue 12 measures every page at 100,000 cases. This module writes that many cases for the demo
force, with what a scheme that has run for six years would hold: people, cases in every status in
realistic proportions (most finished, a working set open), offences, eligibility decisions, needs
assessments (eleven pathways each), about ten conditions per case with statuses that follow the
case's, cautions carrying a signed PDF the size of a real one, breach reviews, prosecutions,
referrals with appointments ("sessions"), timelines, audit rows, notifications and offences from
police records for the reoffending figures.

It is written the way a migration of a scheme's earlier records would be, not through the services
(which only take today's decisions, one at a time): rows are built in memory a chunk of cases at a
time and written with ``COPY`` on PostgreSQL (``executemany`` on SQLite), with primary keys taken
from the tables' own maximum under a lock, inside one transaction, so a failed run leaves nothing.
The invariants the app relies on hold: unique references (issued after the scheme's reference
counter, which is moved past them), one assessment of each kind and one need per pathway, at most
one open breach review per case and one open referral per condition, one caution and at most one
prosecution per case, the legal caps on hours and penalties, notifications with exactly one
recipient. The same ``seed`` on the same database writes the same records; each run adds ``cases``
more (people get new PNC IDs, cases new references).
"""

import hashlib
import json
import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from assessments.models import Assessment, Contribution, Pathway, PathwayNeed
from cases.events import EventCode
from cases.matching import family_name_key, given_name_key
from cases.models import (
    Case,
    CaseEvent,
    CaseOffence,
    CaseStatus,
    EligibilityDecision,
    Ethnicity,
    Offence,
    Person,
    PersonAlias,
    ReferenceCounter,
    Scheme,
)
from cases.services import case_offence_columns_refresh
from conditions.document_store import caution_document_read
from conditions.models import (
    BreachReview,
    Caution,
    Condition,
    ConditionTemplate,
    Prosecution,
    Variation,
    caution_document_name,
    private_storage,
)
from offenderhub.accounts.models import Area, Organisation, OrganisationKind, Role, RoleAssignment, User
from offenderhub.audit.models import AuditEvent
from offenderhub.notifications.models import Notification
from referrals.models import (
    Appointment,
    Assignment,
    DesiredOutcome,
    EndReport,
    Referral,
    Service,
)

from .models import ReoffendingImport, SubsequentOffence

# --- The shape of the force's records ----------------------------------------------------------------

# Share of cases in each status: most cases finished years ago, a working set is open.
STATUS_SHARES = {
    CaseStatus.INTAKE: 0.015,
    CaseStatus.AWAITING_DECISION: 0.015,
    CaseStatus.INELIGIBLE: 0.05,
    CaseStatus.DECLINED: 0.02,
    CaseStatus.ASSESSMENT: 0.025,
    CaseStatus.CONDITIONS_AGREED: 0.015,
    CaseStatus.ACTIVE: 0.08,
    CaseStatus.BREACH_REVIEW: 0.015,
    CaseStatus.COMPLETED: 0.42,
    CaseStatus.PROSECUTION_RESUMED: 0.02,
    CaseStatus.WITHDRAWN: 0.045,
    CaseStatus.CLOSED: 0.28,
}
CLOSED_AFTER_PROSECUTION = 0.2  # of closed cases; the rest were closed after completing
CASES_PER_CASE_WORKER = 2500
CASES_PER_DECISION_MAKER = 10000
CASES_PER_PRACTITIONER = 10000  # in each agency
HISTORY_DAYS = 6 * 365
CHUNK = 2000  # cases built in memory before they are written


def _words(text: str) -> list[str]:
    return text.split()


GIVEN_MALE = _words(
    "Aaron Adam Adrian Aidan Alan Alex Ali Andrew Anthony Ashley Ben Bradley Callum Carl Charlie Chris "
    "Connor Craig Daniel Darren David Dean Declan Dominic Dylan Ethan Gary George Harry Hassan Ibrahim "
    "Jack Jacob Jake Jamal James Jason Joe Jordan Joseph Josh Kai Karl Kieran Kyle Lee Lewis Liam Luke "
    "Marcus Mark Matthew Michael Mohammed Nathan Neil Oliver Omar Paul Peter Reece Richard Robert Ryan "
    "Sam Scott Sean Shane Simon Stephen Steven Stuart Terry Thomas Tom Tony Tyler Wayne William Zak"
)
GIVEN_FEMALE = _words(
    "Abigail Aisha Amber Amy Chantelle Charlotte Chloe Claire Danielle Demi Ellie Emily Emma Fatima "
    "Gemma Georgia Hannah Holly Jade Jasmine Jessica Jodie Kayleigh Kelly Laura Lauren Leah Lisa Lucy "
    "Megan Melissa Michelle Molly Natalie Nicola Olivia Paige Rachel Rebecca Samantha Sarah Shannon "
    "Sophie Stacey Tanya Toni Victoria Zara Zoe"
)
FAMILY = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
    "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin "
    "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson "
    "Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell "
    "Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson "
    "Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes "
    "Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham "
    "Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox "
    "Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien "
    "Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett "
    "Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins "
    "Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke "
    "Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren "
    "Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman "
    "Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon "
    "Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miah "
    "Stephenson Lamb Hancock Iqbal Mohamed Okafor Mensah Nowak Kowalski Popescu Oyelaran Rahman Nguyen"
)
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road", "London Road"]
PNC_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXY"
TOWNS = ["Fenchester", "Marshby", "Northwold", "Southfen", "Eastmere", "Wisby"]
# (code, weight): the census groups as a force's caseload shows them.
ETHNICITY_WEIGHTS = {
    "W1": 70,
    "W2": 1,
    "W3": 1,
    "W5": 5,
    "A3": 2,
    "A4": 3,
    "A1": 1,
    "A5": 1,
    "B1": 3,
    "B2": 2,
    "B3": 1,
    "M3": 2,
    "M1": 1,
    "M4": 1,
    "O2": 1,
}
OFFENCE_WEIGHTS = {  # by offence name; the schemes' usual business
    "Shop theft (goods worth £200 or less)": 18,
    "Shop theft (goods worth over £200)": 10,
    "Other theft": 5,
    "Theft from a vehicle": 3,
    "Making off without payment": 3,
    "Handling stolen goods": 2,
    "Criminal damage (under £5,000)": 12,
    "Common assault": 10,
    "Assault on an emergency worker": 3,
    "Assault occasioning actual bodily harm": 3,
    "Harassment (without violence)": 2,
    "Threatening behaviour": 3,
    "Intentional harassment, alarm or distress": 2,
    "Disorderly behaviour (harassment, alarm or distress)": 3,
    "Drunk and disorderly": 6,
    "Possession of a controlled drug (Class B or C)": 10,
    "Possession of a controlled drug (Class A)": 3,
    "Fraud by false representation": 2,
}
EXCLUDED_OFFENCES = (
    "Possession of a bladed article in a public place",
    "Robbery",
    "Driving without insurance",
)
CUSTOM_CONDITIONS = [
    ("rehabilitative", "Attend fortnightly meetings with the Offender Hub navigator"),
    ("rehabilitative", "Complete the thinking skills workbook with the navigator"),
    ("rehabilitative", "Register with a GP and attend the first appointment"),
    ("rehabilitative", "Attend the job centre work coach appointment and share the action plan"),
    ("rehabilitative", "Attend a mental health wellbeing session"),
    ("reparative", "Repair the damage to the fence at the victim's property"),
]
NAVIGATOR_NOTES = "Discussed at the joint assessment."
HTML_BODY = (
    '<!doctype html><html lang="en"><body style="font-family: Arial, sans-serif">'
    '<p style="font-size: 19px">{subject}.</p><p>Case reference: <strong>{reference}</strong></p>'
    '<p><a href="https://offenderhub.example.org{url}">Open it in Offender Hub</a></p>'
    '<p style="color: #505a5f">This message names no one: sign in to see the details.</p></body></html>'
)
VIEW_REASONS = ["Case record opened", "Caseload list viewed", "Case record opened to record a contact"]


class PreDumped(str):
    """A JSON value already dumped (constant texts are dumped once, not once per row)."""


def _json(value) -> PreDumped:
    return PreDumped(json.dumps(value))


EMPTY_LIST = _json([])
EMPTY_DICT = _json({})


# --- Writing rows ---------------------------------------------------------------------------------------


class Table:
    """The rows of one table for the current chunk, with primary keys handed out from its maximum.

    ``columns`` are the model's column names, space-separated, in the order rows give them; every
    other concrete column gets ``constants[name]`` where given (for columns a model may or may not
    have), else the field's default (called once: the defaults here are constants)."""

    def __init__(self, model, columns, constants=None):
        opts = model._meta
        constants = constants or {}
        self.model = model
        given = [opts.get_field(name) for name in columns.split()]
        rest = [f for f in opts.concrete_fields if f not in given]
        self.fields = given + rest
        self.width = len(given)
        self.json = {i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"}
        self.tail = tuple(
            constants[f.name]
            if f.name in constants
            else (_json(f.get_default()) if i + len(given) in self.json else f.get_default())
            for i, f in enumerate(rest)
        )
        self.rows = []
        self.written = 0
        self.first_id = self.last_id = 0

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def add(self, *values):
        self.rows.append(values)

    def flush(self, cursor):
        if not self.rows:
            return
        if len(self.rows[0]) != self.width:
            raise ValueError(
                f"{self.model.__name__}: rows of {len(self.rows[0])} values for {self.width} columns"
            )
        table = connection.ops.quote_name(self.model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        tail = self.tail
        if connection.vendor == "postgresql":
            # A table with bytes in it would be copied in binary, so the bytes go as they are (the
            # cautions' documents are files now: conditions/document_store.py).
            binary = any(f.get_internal_type() == "BinaryField" for f in self.fields)
            sql = f"COPY {table} ({names}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
            with cursor.copy(sql) as copy:
                if binary:
                    copy.set_types([f.db_type(connection).split("(")[0] for f in self.fields])
                for row in self.rows:
                    copy.write_row(row + tail)
        else:
            marks = ", ".join(["%s"] * len(self.fields))
            prepped = [self._prep(row + tail) for row in self.rows]
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepped)  # noqa: S608
        self.written += len(self.rows)
        self.rows = []

    def _prep(self, row):
        """Values as Django would save them (SQLite stores dates, decimals and JSON as text)."""
        values = []
        for i, (f, value) in enumerate(zip(self.fields, row, strict=True)):
            if i in self.json and isinstance(value, str):
                value = json.loads(value)
            values.append(f.get_db_prep_save(value, connection))
        return values


def _defer_key_checks(cursor) -> bool:
    """Foreign keys are checked row by row by triggers, which costs more than writing the rows. As a
    superuser the triggers can be set aside for this transaction (``session_replication_role``) and
    every new row's keys checked at the end instead, one set-based query per key (``_check_keys``).
    Unique and check constraints are enforced as usual. Returns whether the checks were set aside."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def _check_keys(cursor, tables):
    """Every foreign key of every row added points at a row that exists, or nothing is kept."""
    cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    quote = connection.ops.quote_name
    for table in tables:
        if table.last_id == table.first_id:
            continue
        for f in table.fields:
            if not f.is_relation or not f.many_to_one and not f.one_to_one:
                continue
            target, key = f.target_field, quote(f.column)
            cursor.execute(
                f"SELECT count(*) FROM {quote(table.model._meta.db_table)} AS child "  # noqa: S608
                f"WHERE child.{quote(table.model._meta.pk.column)} > %s AND child.{key} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {quote(target.model._meta.db_table)} AS parent "
                f"WHERE parent.{quote(target.column)} = child.{key})",
                [table.first_id],
            )
            missing = cursor.fetchone()[0]
            if missing:
                raise RuntimeError(f"{missing} rows of {table.model.__name__} point at no {f.name}.")


class AuditChain:
    """Seals the generated audit rows onto the audit log's hash chain (``offenderhub/audit/chain.py``),
    where the log has one: in the order written, each with the hash of the one before, with the key
    the app seals its own rows with; the chain's head (locked until the transaction ends) is moved to
    the last row at the end, as ``chain_append`` does for the app's rows."""

    FIELDS = ("sequence", "previous_hash", "chain_key_id", "row_hash")

    @classmethod
    def in_use(cls) -> bool:
        return any(f.name == "row_hash" for f in AuditEvent._meta.concrete_fields)

    def __init__(self, columns: list[str]):
        from offenderhub.audit import chain

        self.chain = chain
        self.columns = columns
        self.key = chain.chain_keys()[0]
        self.key_id = chain.key_id(self.key)
        head = chain._head_locked(connection.alias)
        self.sequence, self.previous = head.sequence, head.row_hash

    def seal(self, rows):
        sealed = []
        for row in rows:
            record = {"changes": {}, "recipient": "", **dict(zip(self.columns, row, strict=True))}
            self.sequence += 1
            record.update(sequence=self.sequence, previous_hash=self.previous, chain_key_id=self.key_id)
            digest = self.chain.row_hash(record, self.key)
            sealed.append((*row, self.sequence, self.previous, self.key_id, digest))
            self.previous = digest
        return sealed

    def finish(self):
        from offenderhub.audit.models import AuditChainHead

        AuditChainHead.objects.filter(pk=self.chain.HEAD_ID).update(
            sequence=self.sequence, row_hash=self.previous
        )


# --- Who and what the records refer to -------------------------------------------------------------------


@dataclass
class Cast:
    """The demo force's people, organisations and reference data, read once."""

    force: Organisation
    areas: list
    schemes: dict  # code -> Scheme
    case_workers: list  # (id, area_id, email)
    decision_makers: list  # (id, email)
    supervisor: tuple  # (id, email)
    agencies: dict  # organisation id -> {"manager": (id, email), "practitioners": [(id, email)]}
    services: dict  # template id -> Service
    templates: dict  # name -> ConditionTemplate
    offences: list  # (Offence, weight)
    excluded_offences: list
    ethnicities: list  # (id, weight)
    content_types: dict
    document: bytes
    document_sha256: str
    emails: dict = field(default_factory=dict)  # user id -> email


def _volume_users(force, areas, agencies, *, cases, out):
    """Enough staff for the volume: a case worker per 2,500 cases, a decision-maker per 10,000 and,
    in every agency, a manager and a practitioner per 10,000, beside the demo users (idempotent,
    by email; they cannot sign in)."""
    unusable = make_password(None)
    wanted = []
    for n in range(1, cases // CASES_PER_CASE_WORKER + 1):
        wanted.append((f"caseworker{n:03d}.volume@fenshire-police.example", force, Role.CASE_WORKER))
    for n in range(1, cases // CASES_PER_DECISION_MAKER + 1):
        wanted.append((f"decisions{n:03d}.volume@fenshire-police.example", force, Role.DECISION_MAKER))
    for agency in agencies:
        domain = agency.email.split("@")[-1] if agency.email else f"agency{agency.pk}.example"
        if not agency.members.filter(role_assignments__role=Role.PARTNER_MANAGER).exists():
            wanted.append((f"manager.volume@{domain}", agency, Role.PARTNER_MANAGER))
        for n in range(1, max(1, cases // CASES_PER_PRACTITIONER) + 1):
            wanted.append((f"practitioner{n:03d}.volume@{domain}", agency, Role.PARTNER_PRACTITIONER))
    existing = set(User.objects.filter(email__in=[w[0] for w in wanted]).values_list("email", flat=True))
    made = 0
    for n, (email, organisation, role) in enumerate(wanted):
        if email in existing:
            continue
        given = GIVEN_FEMALE[n % len(GIVEN_FEMALE)] if n % 2 else GIVEN_MALE[n % len(GIVEN_MALE)]
        user = User.objects.create(
            email=email,
            full_name=f"{given} {FAMILY[(n * 7) % len(FAMILY)]}",
            organisation=organisation,
            area=areas[n % len(areas)] if organisation.kind == OrganisationKind.POLICE_FORCE else None,
            job_title="Generated for the volume benchmark",
            password=unusable,
        )
        RoleAssignment.objects.create(user=user, role=role)
        made += 1
    if made:
        out(f"staff for the volume: {made} users added")


def _cast(*, cases, out) -> Cast:
    from offenderhub.core.demo import AGENCIES, FORCE

    force = Organisation.objects.get(name=FORCE)
    areas = list(Area.objects.filter(force=force).order_by("pk"))
    agencies = list(Organisation.objects.filter(name__in=[name for name, _ in AGENCIES]).order_by("pk"))
    _volume_users(force, areas, agencies, cases=cases, out=out)

    def holders(organisation, role):
        return list(
            User.objects.filter(organisation=organisation, is_active=True, role_assignments__role=role)
            .order_by("pk")
            .values_list("pk", "area_id", "email")
        )

    templates = {t.name: t for t in ConditionTemplate.objects.all()}
    all_services = list(Service.objects.filter(is_active=True).order_by("pk"))
    services = {}
    for template in templates.values():
        if template.needs_referral:
            service = next((s for s in all_services if template.pathway in s.pathways), None)
            if service:
                services[template.pk] = service
    weights = {e.code: e.pk for e in Ethnicity.objects.all()}
    offences = {o.name: o for o in Offence.objects.all()}
    caution = Caution.objects.exclude(document="").order_by("pk").first()
    if caution is None:
        raise RuntimeError("No signed caution to copy: run seed_demo first.")
    document = caution_document_read(caution)
    case_workers = [(pk, area or areas[0].pk, email) for pk, area, email in holders(force, Role.CASE_WORKER)]
    cast = Cast(
        force=force,
        areas=areas,
        schemes={s.code: s for s in Scheme.objects.filter(force=force).select_related("disposal_type")},
        case_workers=case_workers,
        decision_makers=[(pk, email) for pk, _, email in holders(force, Role.DECISION_MAKER)],
        supervisor=next((pk, email) for pk, _, email in holders(force, Role.SUPERVISOR)),
        agencies={
            agency.pk: {
                "manager": next(
                    ((pk, email) for pk, _, email in holders(agency, Role.PARTNER_MANAGER)), None
                ),
                "practitioners": [(pk, email) for pk, _, email in holders(agency, Role.PARTNER_PRACTITIONER)],
            }
            for agency in agencies
        },
        services=services,
        templates=templates,
        offences=[(offences[name], w) for name, w in OFFENCE_WEIGHTS.items() if name in offences],
        excluded_offences=[offences[name] for name in EXCLUDED_OFFENCES if name in offences],
        ethnicities=[(weights[code], w) for code, w in ETHNICITY_WEIGHTS.items() if code in weights],
        content_types={
            model: ContentType.objects.get_for_model(model).pk
            for model in (Case, Person, EligibilityDecision, Assessment, Condition, Caution, Referral)
            + (BreachReview, Prosecution)
        },
        document=document,
        document_sha256=Caution.digest(document),
    )
    for pk, _, email in case_workers:
        cast.emails[pk] = email
    for pk, email in cast.decision_makers + [cast.supervisor]:
        cast.emails[pk] = email
    for agency in cast.agencies.values():
        for pk, email in ([agency["manager"]] if agency["manager"] else []) + agency["practitioners"]:
            cast.emails[pk] = email
    return cast


# --- The generator ------------------------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on ``day`` in working hours (UTC, as the database keeps it)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _statuses(n: int, rng: random.Random) -> list:
    """``n`` statuses in the shares above, every status at least once when ``n`` allows, shuffled."""
    shares = list(STATUS_SHARES.items())
    counts = {status: math.floor(n * share) for status, share in shares}
    if n >= len(shares):
        for status in counts:
            counts[status] = max(counts[status], 1)
    counts[CaseStatus.COMPLETED] += n - sum(counts.values())
    if counts[CaseStatus.COMPLETED] < 0:  # tiny n: trim the largest shares
        for status, _ in sorted(shares, key=lambda s: -s[1]):
            while counts[CaseStatus.COMPLETED] < 0 and counts[status] > 1:
                counts[status] -= 1
                counts[CaseStatus.COMPLETED] += 1
    statuses = [status for status, count in counts.items() for _ in range(count)]
    rng.shuffle(statuses)
    return statuses


class VolumeGenerator:
    """Builds a chunk of cases at a time into ``self.tables`` and writes them."""

    def __init__(self, cast: Cast, *, seed: int, today: date, out):
        self.cast = cast
        self.storage = private_storage()
        self.documents_written = []
        self.today = today
        self.out = out
        self.seed = seed
        c = cast
        self.tables = {
            "person": Table(
                Person,
                (
                    "id force_id given_names family_name date_of_birth sex ethnicity_id pnc_id "
                    "address postcode phone vulnerable created_by_id created_at "
                    "family_name_key given_name_key"
                ),
            ),
            "alias": Table(PersonAlias, "id person_id given_names family_name"),
            "case": Table(
                Case,
                (
                    "id reference force_id scheme_id area_id owner_id person_id status arrest_date "
                    "victim_type victim_views victim_views_obtained_on victim_rj_consent "
                    "previous_convictions previous_cautions circumstances created_by_id created_at "
                    "updated_at"
                ),
            ),
            "offence": Table(CaseOffence, "id case_id offence_id offence_date"),
            "decision": Table(
                EligibilityDecision,
                (
                    "id case_id outcome decided_by_id decided_at decision_date "
                    "evidence_person_committed sufficient_evidence_to_charge authority admission "
                    "gravity_score criteria reasons rationale latest_proceedings_date"
                ),
            ),
            "assessment": Table(
                Assessment,
                (
                    "id case_id kind status goals risk_flags risk_notes created_by_id created_at "
                    "updated_at completed_by_id completed_at"
                ),
            ),
            "need": Table(PathwayNeed, "id assessment_id pathway level notes"),
            "contribution": Table(
                Contribution,
                ("id assessment_id organisation_id contributor_name pathway text recorded_by_id recorded_at"),
            ),
            "condition": Table(
                Condition,
                (
                    "id case_id template_id kind wording due_date responsible_organisation_id "
                    "owner_id hours amount_kind amount needs_referral status supersedes_id outcome_on "
                    "outcome_notes overdue_flagged_at reminder_sent_at created_by_id created_at "
                    "updated_at"
                ),
            ),
            "variation": Table(
                Variation,
                (
                    "id case_id kind status condition_id new_due_date result_id reason "
                    "person_consented consented_on proposed_by_id proposed_at decided_by_id "
                    "decided_at"
                ),
            ),
            "caution": Table(
                Caution,
                (
                    "id case_id administered_on administered_by_id place admission_words "
                    "effect_explained warning_given consented signed period_ends_on document "
                    "document_sha256 ceased_on ceased_reason recorded_at"
                ),
            ),
            "review": Table(
                BreachReview,
                (
                    "id case_id status opened_by_id opened_at opened_reason decision_due_on "
                    "person_account alternatives_tried reasonable_excuse outcome rationale "
                    "decided_by_id decided_at"
                ),
            ),
            "review_condition": Table(BreachReview.conditions.through, "id breachreview_id condition_id"),
            "review_breached": Table(
                BreachReview.breached_conditions.through, "id breachreview_id condition_id"
            ),
            "prosecution": Table(
                Prosecution,
                (
                    "id case_id breach_review_id resumed_at resumed_by_id latest_proceedings_date "
                    "method proceedings_started_on court first_hearing_on outcome outcome_on "
                    "case_file_team_notified_at victim_notification_due_on"
                ),
            ),
            "referral": Table(
                Referral,
                (
                    "id case_id condition_id service_id organisation_id status reason needs "
                    "needs_summary risk_summary due_date availability sent_by_id sent_at "
                    "accepted_by_id accepted_at practitioner_id decline_reason withdraw_reason "
                    "first_contact_at closed_at"
                ),
            ),
            "outcome": Table(DesiredOutcome, "id referral_id text result"),
            "assignment": Table(Assignment, "id referral_id practitioner_id assigned_by_id assigned_at"),
            "appointment": Table(
                Appointment,
                (
                    "id referral_id starts_at format setting location attendance non_attendance "
                    "summary engagement outcome_recorded_by_id outcome_recorded_at created_by_id "
                    "created_at"
                ),
            ),
            "report": Table(EndReport, "id referral_id result summary submitted_by_id submitted_at"),
            "event": Table(
                CaseEvent,
                (
                    "id case_id code occurred_at actor_id actor_organisation_id status_before "
                    "status_after summary"
                ),
            ),
            "audit": Table(
                AuditEvent,
                (
                    "id occurred_at actor_id actor_label actor_organisation_id action content_type_id "
                    "object_id object_label owner_organisation_id reason ip_address user_agent path"
                )
                + (" " + " ".join(AuditChain.FIELDS) if AuditChain.in_use() else ""),
            ),
            "notification": Table(
                Notification,
                (
                    "id recipient_id recipient_organisation_id kind subject body body_html url "
                    "case_reference created_at read_at emailed_at dedupe_key"
                ),
                constants={"email_status": "sent"},  # emailed long ago
            ),
            "police_offence": Table(
                SubsequentOffence, "id person_id offence_id offence_date outcome_type outcome_date source_id"
            ),
        }
        self.force_id = c.force.pk
        self.criteria = {
            outcome: _json(
                [
                    {"code": code, "label": label, "passed": passed, "explanation": explanation}
                    for code, label, passed, explanation in [
                        ("minimum_age", "Aged 18 or over at the decision", True, "Aged 18 or over."),
                        (
                            "offence_group",
                            "Offence not in a group the scheme excludes",
                            outcome != "ineligible",
                            "No offence is in an excluded group."
                            if outcome != "ineligible"
                            else "The offence is in a group the scheme excludes.",
                        ),
                        ("flags", "No circumstance the scheme excludes", True, "None applies."),
                        ("gravity", "Gravity score 3 or lower", True, "Offence gravity 2: score 2."),
                        ("admission", "The person admits the offence", outcome != "declined", "Recorded."),
                    ]
                ]
            )
            for outcome in ("eligible", "ineligible", "declined")
        }
        self.reasons = {
            "eligible": EMPTY_LIST,
            "ineligible": _json(["offence_group"]),
            "declined": EMPTY_LIST,
        }
        self.risk_flags = [EMPTY_LIST, EMPTY_LIST, EMPTY_LIST, _json(["self_harm"]), _json(["risk_to_staff"])]
        self.needs_json = {p: _json([p]) for p in Pathway.values}
        self.checks_deferred = False
        self.audit_chain = None
        self.people = []  # (person id, sex) of this run, for people with a second case
        self.references = {}  # (prefix, year) -> last number issued
        self.import_id = None
        self.person_serial = 0
        self.offence_choices = [o for o, _ in c.offences]
        self.offence_weights = [w for _, w in c.offences]
        self.ethnicity_ids = [e for e, _ in c.ethnicities]
        self.ethnicity_weights = [w for _, w in c.ethnicities]

    # --- Setting up ------------------------------------------------------------------------------------

    def start(self, cursor, *, cases: int):
        """Lock the tables, take each one's highest id, and note the references already issued."""
        # Not the audit table: the app's database role may only insert into it (and LOCK TABLE in this
        # mode needs more); the audit chain's head, locked by AuditChain, serialises its inserts instead.
        models = [t.model for t in self.tables.values() if t.model is not AuditEvent]
        models += [ReferenceCounter, ReoffendingImport]
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608 (model names)
            self.checks_deferred = _defer_key_checks(cursor)
        for table in self.tables.values():
            table.last_id = table.first_id = table.model.objects.aggregate(top=Max("pk"))["top"] or 0
        self.person_serial = 2_000_000 + Person.objects.count()
        self.rng = random.Random(f"{self.seed}:{Case.objects.count()}")
        self.counters = {(r.prefix, r.year): r.last_number for r in ReferenceCounter.objects.all()}
        self.taken = set(Case.objects.values_list("reference", flat=True))
        supervisor_id, _ = self.cast.supervisor
        batch = ReoffendingImport.objects.create(
            force=self.cast.force,
            filename=f"police-records-volume-{self.seed}.csv",
            sha256=hashlib.sha256(f"volume:{self.seed}:{cases}".encode()).hexdigest(),
            rows_total=0,
            rows_added=0,
            rows_already_held=0,
            rows_unmatched=0,
            imported_by_id=supervisor_id,
            imported_at=_at(self.today - timedelta(days=30), 10),
        )
        self.import_id = batch.pk
        if AuditChain.in_use():
            audit = self.tables["audit"]
            self.audit_chain = AuditChain(
                [f.attname for f in audit.fields[: audit.width - len(AuditChain.FIELDS)]]
            )

    def finish(self, cursor):
        """Move the reference counters past the references issued, and the id sequences past the ids."""
        for (prefix, year), last in self.references.items():
            ReferenceCounter.objects.update_or_create(
                prefix=prefix,
                year=year,
                defaults={"last_number": max(last, self.counters.get((prefix, year), 0))},
            )
        added = self.tables["police_offence"].written
        ReoffendingImport.objects.filter(pk=self.import_id).update(rows_total=added, rows_added=added)
        # The offences went in by COPY: each new case's six-month-limit start, set-based.
        case_offence_columns_refresh(cases=Case.objects.filter(pk__gt=self.tables["case"].first_id))
        models = [t.model for t in self.tables.values()]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        if self.audit_chain is not None:
            self.audit_chain.finish()
        if self.checks_deferred:
            _check_keys(cursor, self.tables.values())

    def flush(self, cursor):
        if self.audit_chain is not None:
            audit = self.tables["audit"]
            audit.rows = self.audit_chain.seal(audit.rows)
        for table in self.tables.values():
            table.flush(cursor)

    # --- Small helpers ----------------------------------------------------------------------------------

    def _document_file(self, case_id, caution_day) -> str:
        """A file of its own for each caution's signed document, in the private storage as the app
        writes them: a copy of the demo's document (its size is what matters), about 45 KB each."""
        name = self.storage.save(caution_document_name(case_id, caution_day), ContentFile(self.cast.document))
        self.documents_written.append(name)
        return name

    def remove_documents(self):
        """The files written, removed when the run fails (its rows are rolled back)."""
        for name in self.documents_written:
            self.storage.delete(name)
        self.documents_written = []

    def _reference(self, prefix: str, year: int) -> str:
        number = self.references.get((prefix, year), self.counters.get((prefix, year), 0))
        while True:
            number += 1
            reference = f"{prefix}-{year}-{number:06d}"
            if reference not in self.taken:
                break
        self.references[(prefix, year)] = number
        return reference

    def _event(self, case_id, code, when, actor, summary, before="", after="", organisation=None):
        t = self.tables["event"]
        t.add(
            t.next_id(),
            case_id,
            code,
            when,
            actor,
            organisation if organisation is not None else (self.force_id if actor else None),
            before,
            after,
            summary,
        )

    def _audit(self, when, actor, action, model, object_id, label, reason, owner=None, organisation=None):
        t = self.tables["audit"]
        t.add(
            t.next_id(),
            when,
            actor,
            self.cast.emails.get(actor, "system") if actor else "system",
            (organisation or self.force_id) if actor else None,
            action,
            self.cast.content_types[model] if model else None,
            str(object_id) if object_id else "",
            label,
            owner or self.force_id,
            reason,
            f"10.20.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}" if actor else None,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0" if actor else "",
            f"/cases/{object_id}/" if actor and model is Case else "",
        )

    def _notify(self, when, kind, subject, reference, url, *, user=None, organisation=None, dedupe=""):
        t = self.tables["notification"]
        read = when + timedelta(hours=self.rng.randint(1, 72))
        t.add(
            t.next_id(),
            user,
            organisation,
            kind,
            f"{subject}: case {reference}",
            f"{subject}: case {reference}.\n\nOpen it in Offender Hub: https://offenderhub.example.org{url}\n",
            HTML_BODY.format(subject=subject, reference=reference, url=url),
            url,
            reference,
            when,
            read if read.date() < self.today - timedelta(days=3) else None,
            when + timedelta(minutes=2),
            f"{dedupe}:{'u' if user else 'o'}{user or organisation}" if dedupe else "",
        )

    # --- One case -----------------------------------------------------------------------------------------

    def case(self, status: str):  # noqa: C901 (one story, told in order)
        rng, c, today = self.rng, self.cast, self.today
        scheme = c.schemes["CP"] if rng.random() < 0.3 and "CP" in c.schemes else c.schemes["OH"]
        period = scheme.compliance_period_default_days
        owner, area, _ = rng.choice(c.case_workers)
        decider, _ = rng.choice(c.decision_makers)
        closed_after_prosecution = status == CaseStatus.CLOSED and rng.random() < CLOSED_AFTER_PROSECUTION
        prosecuted = status == CaseStatus.PROSECUTION_RESUMED or closed_after_prosecution
        withdrawn_late = status == CaseStatus.WITHDRAWN and rng.random() < 0.5

        # Milestones, as days after the case was opened.
        submitted = rng.randint(0, 3)
        decided = submitted + rng.randint(1, 10)
        assessed = decided + rng.randint(1, 5)
        assessed_done = assessed + rng.randint(3, 10)
        agreed = assessed_done + rng.randint(1, 7)
        cautioned = agreed + rng.randint(1, 10)
        # When the case was opened, from where its story must have reached by today.
        days = {
            CaseStatus.INTAKE: rng.randint(0, 14),
            CaseStatus.AWAITING_DECISION: submitted + rng.randint(0, 10),
            CaseStatus.INELIGIBLE: decided + rng.randint(0, HISTORY_DAYS),
            CaseStatus.DECLINED: decided + rng.randint(0, HISTORY_DAYS),
            CaseStatus.ASSESSMENT: assessed + rng.randint(0, 20),
            CaseStatus.CONDITIONS_AGREED: agreed + rng.randint(0, 14),
            CaseStatus.ACTIVE: cautioned + rng.randint(0, period + 25),
            CaseStatus.BREACH_REVIEW: cautioned + rng.randint(30, period + 20),
            CaseStatus.COMPLETED: cautioned + rng.randint(period + 10, 3 * 365),
            CaseStatus.PROSECUTION_RESUMED: cautioned + rng.randint(60, 300),
            CaseStatus.CLOSED: cautioned + rng.randint(period + 60, HISTORY_DAYS),
            CaseStatus.WITHDRAWN: (assessed if withdrawn_late else submitted) + rng.randint(2, HISTORY_DAYS),
        }[status]
        opened_on = today - timedelta(days=days)
        opened = _at(opened_on, rng.randint(8, 17), rng.randint(0, 59))

        def on(offset):
            return opened_on + timedelta(days=offset)

        def at(offset, hour=None):
            return _at(on(offset), hour if hour is not None else rng.randint(8, 17), rng.randint(0, 59))

        # The person: mostly new, sometimes someone with an earlier case in this run.
        if self.people and rng.random() < 0.05:
            person_id, sex = rng.choice(self.people)
            new_person = False
        else:
            person_id, sex = self._person(opened, owner)
            new_person = True

        case_id = self.tables["case"].next_id()
        reference = self._reference(scheme.code, opened.year)
        label = f"Case {reference}"
        victim = rng.random() < 0.45
        offences = [rng.choices(self.offence_choices, self.offence_weights)[0]]
        if status == CaseStatus.INELIGIBLE and rng.random() < 0.4 and c.excluded_offences:
            offences = [rng.choice(c.excluded_offences)]
        for _ in range(rng.choices([0, 1, 2], [80, 17, 3])[0]):
            offences.append(rng.choices(self.offence_choices, self.offence_weights)[0])
        offence_day = opened_on - timedelta(days=rng.randint(1, 20))
        summary_only = all(o.classification == "summary_only" for o in offences)
        first_summary = offence_day if any(o.time_limit_applies for o in offences) else None
        latest = (
            (first_summary.replace(day=min(first_summary.day, 28)) + timedelta(days=183))
            if first_summary
            else None
        )
        t = self.tables["offence"]
        for n, offence in enumerate(offences):
            t.add(t.next_id(), case_id, offence.pk, offence_day + timedelta(days=n // 2))

        self._event(case_id, EventCode.CASE_OPENED, opened, owner, "Case opened", "", CaseStatus.INTAKE)
        if new_person:
            self._audit(
                opened - timedelta(minutes=5), owner, "created", Person, person_id, f"Person #{person_id}", ""
            )
        self._audit(opened, owner, "created", Case, case_id, label, "Case opened")
        updated = opened
        current = CaseStatus.INTAKE

        def move(offset_or_when, to, code, summary, actor):
            nonlocal current, updated
            when = offset_or_when if isinstance(offset_or_when, datetime) else at(offset_or_when)
            self._event(case_id, code, when, actor, summary, current, to)
            self._audit(when, actor, "changed", Case, case_id, label, summary)
            current, updated = to, when
            return when

        for _ in range(rng.randint(0, 3)):  # people opening the case record
            viewer = rng.choice([owner, owner, decider, c.supervisor[0]])
            self._audit(
                at(rng.randint(0, max(0, min(days, 200)))),
                viewer,
                "viewed",
                Case,
                case_id,
                label,
                rng.choice(VIEW_REASONS),
            )

        finished = None  # the case's last day of work, for the status's own event
        if status != CaseStatus.INTAKE and not (
            status == CaseStatus.WITHDRAWN and not withdrawn_late and rng.random() < 0.4
        ):
            move(
                submitted,
                CaseStatus.AWAITING_DECISION,
                EventCode.SUBMITTED_FOR_DECISION,
                "Sent for an eligibility decision",
                owner,
            )
        outcome = {CaseStatus.INELIGIBLE: "ineligible", CaseStatus.DECLINED: "declined"}.get(
            status, "eligible"
        )
        reached_decision = status not in (CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION) and not (
            status == CaseStatus.WITHDRAWN and not withdrawn_late
        )
        if reached_decision:
            t = self.tables["decision"]
            decision_id = t.next_id()
            when = at(decided)
            t.add(
                decision_id,
                case_id,
                outcome,
                decider,
                when,
                on(decided),
                True,
                outcome != "declined",
                "authorised_officer",
                "denies" if outcome == "declined" else "admits",
                rng.choice([1, 2, 2, 3]),
                self.criteria[outcome],
                self.reasons[outcome],
                "Meets the scheme's criteria; a conditional caution is appropriate."
                if outcome == "eligible"
                else "Does not meet the scheme's criteria.",
                latest,
            )
            after = CaseStatus.ASSESSMENT if outcome == "eligible" else outcome
            move(when, after, EventCode.DECISION_RECORDED, f"Eligibility decision: {outcome}", decider)
            self._audit(
                when,
                decider,
                "created",
                EligibilityDecision,
                decision_id,
                f"Decision on case {reference}",
                "",
            )

        under_caution = status in (
            CaseStatus.ACTIVE,
            CaseStatus.BREACH_REVIEW,
            CaseStatus.COMPLETED,
            CaseStatus.PROSECUTION_RESUMED,
            CaseStatus.CLOSED,
        )
        has_conditions = (
            under_caution
            or status == CaseStatus.CONDITIONS_AGREED
            or (
                status in (CaseStatus.ASSESSMENT, CaseStatus.WITHDRAWN)
                and reached_decision
                and rng.random() < 0.5
            )
        )
        initial_done = status != CaseStatus.ASSESSMENT or days >= assessed_done
        if (
            reached_decision
            and outcome == "eligible"
            and status != CaseStatus.WITHDRAWN
            or (withdrawn_late and has_conditions)
        ):
            self._assessment(
                case_id,
                reference,
                "initial",
                at(assessed),
                at(assessed_done) if initial_done else None,
                owner,
                prefer_high=True,
            )

        conditions = []
        caution_day = on(cautioned)
        if has_conditions:
            conditions = self._conditions(
                case_id=case_id,
                status=status,
                owner=owner,
                created=at(min(assessed_done, days)),
                caution_day=caution_day if under_caution else None,
                period=period,
                victim=victim,
                summary_only=summary_only,
                prosecuted=prosecuted,
                reference=reference,
            )
        if status not in (CaseStatus.ASSESSMENT,) and has_conditions and status != CaseStatus.WITHDRAWN:
            move(
                agreed, CaseStatus.CONDITIONS_AGREED, EventCode.CONDITIONS_AGREED, "Conditions agreed", owner
            )

        caution_id = None
        if under_caution:
            t = self.tables["caution"]
            caution_id = t.next_id()
            when = _at(caution_day, rng.randint(9, 16))
            ceased = None
            t.add(
                caution_id,
                case_id,
                caution_day,
                decider,
                "Fenchester police station",
                "I did it and I'm sorry.",
                True,
                True,
                True,
                True,
                caution_day + timedelta(days=period),
                self._document_file(case_id, caution_day),
                c.document_sha256,
                ceased,
                "",
                when,
            )
            move(
                when,
                CaseStatus.ACTIVE,
                EventCode.CAUTION_ADMINISTERED,
                "Caution administered and signed",
                decider,
            )
            self._audit(
                when,
                decider,
                "created",
                Caution,
                caution_id,
                f"Caution on case {reference}",
                "Caution administered and signed",
            )

        # Referrals for the conditions a partner delivers, with their sessions.
        for condition in conditions:
            if condition["service"] is not None and condition["status"] != "superseded":
                self._referral(case_id, reference, condition, owner, status)

        # The end of the story.
        if under_caution:
            ends = [cd["outcome_on"] for cd in conditions if cd["outcome_on"]]
            finished = max(ends) if ends else caution_day + timedelta(days=period)
            finished = min(finished, today)
        if status in (CaseStatus.COMPLETED, CaseStatus.CLOSED) and not prosecuted:
            when = _at(finished, rng.randint(9, 17))
            move(
                when,
                CaseStatus.COMPLETED,
                EventCode.CASE_COMPLETED,
                "Completed: diverted from prosecution",
                owner,
            )
            if rng.random() < 0.8:
                self._assessment(
                    case_id,
                    reference,
                    "final",
                    when - timedelta(days=3),
                    when - timedelta(days=2),
                    owner,
                    prefer_high=False,
                )
            if status == CaseStatus.CLOSED:
                move(
                    _at(min(today, finished + timedelta(days=rng.randint(10, 120))), 15),
                    CaseStatus.CLOSED,
                    EventCode.CASE_CLOSED,
                    "Case closed",
                    owner,
                )
        elif status == CaseStatus.BREACH_REVIEW:
            self._breach(
                case_id,
                reference,
                conditions,
                owner,
                decider,
                scheme,
                confirmed=False,
                move=move,
                latest=latest,
            )
        elif prosecuted:
            self._breach(
                case_id,
                reference,
                conditions,
                owner,
                decider,
                scheme,
                confirmed=True,
                move=move,
                latest=latest,
                caution_id=caution_id,
                closed=closed_after_prosecution,
            )
        elif status == CaseStatus.WITHDRAWN:
            when = at(min(days, (assessed_done if withdrawn_late else submitted) + rng.randint(1, 10)))
            move(when, CaseStatus.WITHDRAWN, EventCode.WITHDRAWN, "Case withdrawn: no further action", owner)
        elif status == CaseStatus.ASSESSMENT and current != CaseStatus.ASSESSMENT:
            move(assessed, CaseStatus.ASSESSMENT, EventCode.STATUS_CHANGED, "Status changed", decider)

        if under_caution or status == CaseStatus.CONDITIONS_AGREED:
            victim_views = "The victim supports an out-of-court disposal." if victim else ""
        else:
            victim_views = ""
        self.tables["case"].add(
            case_id,
            reference,
            self.force_id,
            scheme.pk,
            area,
            owner,
            person_id,
            status,
            min(offence_day + timedelta(days=rng.randint(0, 1)), opened_on),
            "person" if victim and rng.random() < 0.5 else ("business" if victim else "none"),
            victim_views,
            on(2) if victim_views else None,
            "consents"
            if victim_views and rng.random() < 0.3
            else ("not_applicable" if not victim else "not_asked"),
            rng.choices([0, 1, 2, 3], [60, 25, 10, 5])[0],
            rng.choices([0, 1], [85, 15])[0],
            "Generated for the volume benchmark.",
            owner,
            opened,
            max(updated, opened),
        )
        if under_caution and rng.random() < 0.2:
            self._police_records(person_id, caution_day, new_person)

    def _person(self, when, owner):
        rng = self.rng
        t = self.tables["person"]
        person_id = t.next_id()
        sex = rng.choices(["male", "female", "not_stated"], [80, 19, 1])[0]
        given = rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
        family = rng.choice(FAMILY)
        age = min(75, 18 + int(rng.expovariate(1 / 12)))
        born = when.date() - timedelta(days=age * 365 + rng.randint(0, 364))
        self.person_serial += 1
        check = PNC_CHECK_LETTERS[self.person_serial % len(PNC_CHECK_LETTERS)]
        pnc = f"{(when.year - rng.randint(0, 10)) % 100:02d}/{self.person_serial:07d}{check}"
        t.add(
            person_id,
            self.force_id,
            given,
            family,
            born,
            sex,
            rng.choices(self.ethnicity_ids, self.ethnicity_weights)[0] if rng.random() < 0.93 else None,
            pnc,
            f"{rng.randint(1, 180)} {rng.choice(STREETS)}\n{rng.choice(TOWNS)}",
            f"FE{rng.randint(1, 19)} {rng.randint(1, 9)}{''.join(rng.choices(POSTCODE_LETTERS, k=2))}",
            f"07700 9{rng.randint(0, 99999):05d}",
            rng.random() < 0.12,
            owner,
            when - timedelta(minutes=5),
            family_name_key(family),
            given_name_key(given),
        )
        if rng.random() < 0.03:
            a = self.tables["alias"]
            a.add(a.next_id(), person_id, given, rng.choice(FAMILY))
        self.people.append((person_id, sex))
        return person_id, sex

    def _assessment(self, case_id, reference, kind, started, completed, owner, *, prefer_high):
        rng = self.rng
        t = self.tables["assessment"]
        assessment_id = t.next_id()
        t.add(
            assessment_id,
            case_id,
            kind,
            "completed" if completed else "draft",
            "Stay out of trouble, keep my tenancy and get back into work.",
            rng.choice(self.risk_flags),
            "Discussed with the person; no current risk to others identified.",
            owner,
            started,
            completed or started,
            owner if completed else None,
            completed,
        )
        needs = self.tables["need"]
        for pathway in Pathway.values:
            level = rng.choices([0, 1, 2, 3], [45, 25, 20, 10] if prefer_high else [65, 25, 8, 2])[0]
            needs.add(needs.next_id(), assessment_id, pathway, level, NAVIGATOR_NOTES if level >= 2 else "")
        self._event(case_id, EventCode.ASSESSMENT_STARTED, started, owner, "Needs assessment started")
        if kind == "initial" and rng.random() < 0.5:
            agency_id = rng.choice(list(self.cast.agencies))
            t = self.tables["contribution"]
            t.add(
                t.next_id(),
                assessment_id,
                agency_id,
                "Recovery worker",
                "drugs_alcohol",
                "Open to a brief intervention.",
                owner,
                started + timedelta(days=1),
            )
        if completed:
            self._event(
                case_id, EventCode.ASSESSMENT_COMPLETED, completed, owner, "Needs assessment completed"
            )
            self._audit(
                completed,
                owner,
                "changed",
                Assessment,
                assessment_id,
                f"Assessment on case {reference}",
                "Completed",
            )

    def _conditions(
        self,
        *,
        case_id,
        status,
        owner,
        created,
        caution_day,
        period,
        victim,
        summary_only,
        prosecuted,
        reference,
    ):
        """About ten conditions a case, within the legal caps, with statuses that follow the case's."""
        rng, c, today = self.rng, self.cast, self.today
        names = []
        referral_templates = [t for t in c.templates.values() if t.needs_referral and t.pk in c.services]
        names += [
            t.name
            for t in rng.sample(
                referral_templates,
                k=min(len(referral_templates), rng.choices([0, 1, 2, 3], [15, 35, 35, 15])[0]),
            )
        ]
        for name, share in [
            ("Write a letter of apology", 0.6),
            ("Pay compensation to the victim", 0.4 if victim else 0),
            ("Pay a financial penalty", 0.3),
            ("Unpaid reparation hours", 0.4),
            ("Not to contact the victim", 0.5 if victim else 0),
            ("Not to enter a named area", 0.4),
            ("Not to reoffend during the period", 0.5),
        ]:
            if name in c.templates and rng.random() < share:
                names.append(name)
        wanted = rng.randint(8, 14)
        entries = [c.templates[name] for name in names] + [None] * max(0, wanted - len(names))
        penalty_cap = 50 if summary_only else 100
        conditions = []
        t = self.tables["condition"]
        # Which live past-due conditions the overdue sweep has not reached yet (its day's work).
        for template in entries:
            condition_id = t.next_id()
            if template is None:
                kind, wording = rng.choice(CUSTOM_CONDITIONS)
            else:
                kind, wording = template.kind, template.wording
            restrictive = kind == "restrictive"
            if caution_day is None:
                due = today + timedelta(days=rng.randint(14, period))
            elif restrictive:
                due = caution_day + timedelta(days=period)
            else:
                due = caution_day + timedelta(days=rng.randint(14, period))
            service = c.services.get(template.pk) if template is not None else None
            responsible = service.organisation_id if service else self.force_id
            state = "pending"
            outcome_on = None
            flagged = None
            if caution_day is not None:
                if status in (CaseStatus.COMPLETED, CaseStatus.CLOSED) and not prosecuted:
                    state = "complete"
                elif prosecuted:
                    state = "complete" if due < today and rng.random() < 0.6 else "withdrawn"
                elif due < today:
                    state = "complete" if rng.random() < 0.85 else rng.choice(["pending", "in_progress"])
                    if restrictive and state != "complete":
                        state = "in_progress"
                else:
                    state = rng.choice(["pending", "in_progress", "in_progress"])
                if state == "complete":
                    outcome_on = min(today, due - timedelta(days=rng.randint(0, 10)))
                    outcome_on = max(outcome_on, caution_day)
                elif state == "withdrawn":
                    outcome_on = min(today, due)
            elif status == CaseStatus.WITHDRAWN:
                state = "withdrawn"
                outcome_on = created.date()
            reminder = None
            if (
                caution_day is not None
                and due - timedelta(days=7) <= today
                and (state != "pending" or due < today)
            ):
                reminder = _at(max(caution_day, due - timedelta(days=7)), 6)
            if status == CaseStatus.BREACH_REVIEW and state in ("pending", "in_progress") and due < today:
                flagged = _at(due + timedelta(days=1), 6)
            hours = None
            amount = None
            amount_kind = ""
            if template is not None:
                hours = template.default_hours
                amount_kind = template.amount_kind
                if template.name == "Unpaid reparation hours":
                    hours = Decimal(rng.randint(4, 10))
                if amount_kind == "penalty":
                    amount = Decimal(rng.choice([25, 40, penalty_cap]))
                elif amount_kind == "compensation":
                    amount = Decimal(rng.randint(20, 250))
            updated = _at(outcome_on, 12) if outcome_on else created
            t.add(
                condition_id,
                case_id,
                template.pk if template is not None else None,
                kind,
                wording,
                due,
                responsible,
                owner if responsible == self.force_id else None,
                hours,
                amount_kind,
                amount,
                service is not None,
                state,
                None,
                outcome_on,
                "Completed and evidence seen." if state == "complete" else "",
                flagged,
                reminder,
                owner,
                created,
                updated,
            )
            self._event(case_id, EventCode.CONDITION_ADDED, created, owner, "Condition added")
            if state == "complete" and service is None and rng.random() < 0.15:
                self._event(
                    case_id, EventCode.CONDITION_COMPLETED, _at(outcome_on, 12), owner, "Condition completed"
                )
            if reminder is not None and rng.random() < 0.1:
                self._notify(
                    reminder,
                    "condition_due",
                    "Condition due soon",
                    reference,
                    f"/cases/{case_id}/",
                    user=owner,
                    dedupe=f"condition-due:{condition_id}",
                )
            conditions.append(
                {
                    "id": condition_id,
                    "status": state,
                    "due": due,
                    "outcome_on": outcome_on,
                    "service": service,
                    "wording": wording,
                    "kind": kind,
                    "created": created,
                }
            )
        # Now and then a due date was varied: the old condition kept, marked as varied.
        if caution_day is not None and not prosecuted and rng.random() < 0.05:
            live = [cd for cd in conditions if cd["kind"] != "restrictive" and cd["service"] is None]
            if live:
                old = rng.choice(live)
                self._vary(case_id, reference, old, owner, caution_day, period)
        return conditions

    def _vary(self, case_id, reference, old, owner, caution_day, period):
        """A new due date: the old condition superseded by a copy with the later date, approved."""
        rng = self.rng
        t = self.tables["condition"]
        # The old row was added last-but-n; rewrite its status in the pending rows.
        for n, row in enumerate(t.rows):
            if row[0] == old["id"]:
                row = list(row)
                row[12], row[14], row[15] = "superseded", None, ""
                t.rows[n] = tuple(row)
                break
        proposed = _at(min(self.today, caution_day + timedelta(days=rng.randint(7, 30))), 11)
        new_id = t.next_id()
        new_due = old["due"] + timedelta(days=14)
        t.add(
            new_id,
            case_id,
            None,
            old["kind"],
            old["wording"],
            new_due,
            self.force_id,
            owner,
            None,
            "",
            None,
            False,
            old["status"],
            old["id"],
            old["outcome_on"] and max(old["outcome_on"], proposed.date()),
            "",
            None,
            None,
            owner,
            proposed,
            proposed,
        )
        old["status"] = "superseded"
        v = self.tables["variation"]
        v.add(
            v.next_id(),
            case_id,
            "new_due_date",
            "approved",
            old["id"],
            new_due,
            new_id,
            "The service had no appointments before the due date.",
            True,
            proposed.date(),
            owner,
            proposed,
            rng.choice(self.cast.decision_makers)[0],
            proposed + timedelta(days=1),
        )
        self._event(
            case_id, EventCode.VARIATION_APPROVED, proposed + timedelta(days=1), owner, "Variation approved"
        )

    def _referral(self, case_id, reference, condition, owner, case_status):
        rng, c, today = self.rng, self.cast, self.today
        service = condition["service"]
        agency = c.agencies.get(service.organisation_id) or {"manager": None, "practitioners": []}
        manager = agency["manager"][0] if agency["manager"] else None
        practitioner = rng.choice(agency["practitioners"])[0] if agency["practitioners"] else manager
        sent = condition["created"] + timedelta(days=rng.randint(0, 3), hours=1)
        state = condition["status"]
        declined = rng.random() < 0.04
        if declined:
            status = "declined"
        elif state == "complete":
            status = "completed"
        elif state == "failed":
            status = "not_completed"
        elif state in ("withdrawn", "superseded"):
            status = "withdrawn"
        elif case_status in (CaseStatus.ASSESSMENT, CaseStatus.CONDITIONS_AGREED):
            status = rng.choice(["sent", "sent", "accepted"])
        else:
            status = rng.choices(["in_progress", "accepted", "sent"], [75, 15, 10])[0]
        if sent.date() > today:
            sent = _at(today, 9)
        accepted = None
        if status not in ("sent", "declined"):
            accepted = min(sent + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6)), _at(today, 8))
        closed = None
        if status in ("completed", "not_completed", "withdrawn"):
            closed = _at(condition["outcome_on"] or today, 15)
            closed = max(closed, accepted or sent)
        if status == "declined":
            closed = sent + timedelta(days=rng.randint(1, 4))
        t = self.tables["referral"]
        referral_id = t.next_id()
        first_contact = (
            accepted + timedelta(days=rng.randint(1, 5)) if accepted and status != "accepted" else None
        )
        if first_contact and first_contact.date() > today:
            first_contact = None
        t.add(
            referral_id,
            case_id,
            condition["id"],
            service.pk,
            service.organisation_id,
            status,
            condition["wording"],
            self.needs_json[service.pathways[0]] if service.pathways else EMPTY_LIST,
            "Need identified at the joint assessment (medium).",
            "No risk to staff identified.",
            condition["due"],
            "Weekday mornings",
            owner,
            sent,
            manager if accepted else None,
            accepted,
            practitioner if accepted else None,
            "no_capacity" if declined else "",
            "case_closed" if status == "withdrawn" else "",
            first_contact,
            closed,
        )
        self._event(case_id, EventCode.REFERRAL_SENT, sent, owner, f"Referral sent to {service.name}")
        self._audit(
            sent,
            owner,
            "disclosed",
            Referral,
            referral_id,
            f"Referral {referral_id} on case {reference}",
            "Referral sent",
            organisation=self.force_id,
        )
        self._notify(
            sent,
            "referral_sent",
            "Referral sent",
            reference,
            f"/referrals/{referral_id}/",
            organisation=service.organisation_id,
        )
        outcomes = self.tables["outcome"]
        result = {"completed": "achieved", "not_completed": "not_achieved"}.get(status, "")
        for text in ("Attends every session arranged", "Understands the triggers for their offending"):
            outcomes.add(outcomes.next_id(), referral_id, text, result)
        if not accepted:
            return
        a = self.tables["assignment"]
        a.add(a.next_id(), referral_id, practitioner, manager or practitioner, accepted)
        self._event(
            case_id,
            EventCode.REFERRAL_ACCEPTED,
            accepted,
            manager,
            "Referral accepted",
            organisation=service.organisation_id,
        )
        if practitioner:
            self._notify(
                accepted,
                "referral_assigned",
                "Referral assigned",
                reference,
                f"/referrals/{referral_id}/",
                user=practitioner,
            )
        # Sessions: weekly from a few days after acceptance until the referral closed (or today, and
        # one or two booked ahead while it is open).
        appointments = self.tables["appointment"]
        start = accepted + timedelta(days=rng.randint(2, 7))
        end = closed or _at(today + timedelta(days=14), 23)
        count = rng.randint(2, 5)
        for n in range(count):
            starts = (start + timedelta(days=7 * n)).replace(hour=rng.choice([10, 11, 14, 15]), minute=0)
            if starts > end:
                break
            past = starts.date() < today
            attendance = ""
            if past and (closed or rng.random() > 0.05):
                attendance = rng.choices(["attended", "late", "did_not_attend", "not_held"], [75, 8, 12, 5])[
                    0
                ]
                if status == "not_completed" and n > 0:
                    attendance = "did_not_attend"
            appointments.add(
                appointments.next_id(),
                referral_id,
                starts,
                rng.choice(["in_person", "in_person", "phone", "video"]),
                "one_to_one" if rng.random() < 0.8 else "group",
                "12 Market Street, Fenchester",
                attendance,
                "unacceptable" if attendance == "did_not_attend" else "",
                "Talked through the week and set a goal." if attendance in ("attended", "late") else "",
                rng.choice(["good", "good", "some"]) if attendance in ("attended", "late") else "",
                practitioner if attendance else None,
                starts + timedelta(hours=2) if attendance else None,
                practitioner or owner,
                min(starts - timedelta(days=3), max(accepted, starts - timedelta(days=7))),
            )
        if status in ("completed", "not_completed"):
            r = self.tables["report"]
            r.add(
                r.next_id(),
                referral_id,
                status,
                "Completed the intervention."
                if status == "completed"
                else "Missed most sessions despite reminders.",
                practitioner or manager,
                closed,
            )
            self._event(
                case_id,
                EventCode.REFERRAL_REPORT,
                closed,
                practitioner,
                "End-of-intervention report",
                organisation=service.organisation_id,
            )

    def _breach(
        self,
        case_id,
        reference,
        conditions,
        owner,
        decider,
        scheme,
        *,
        confirmed,
        move,
        latest,
        caution_id=None,
        closed=False,
    ):
        """One breach review: open (the case in breach review), or confirmed with the prosecution."""
        rng, today = self.rng, self.today
        candidates = [
            cd for cd in conditions if cd["kind"] != "restrictive" and cd["status"] not in ("superseded",)
        ]
        if not candidates:
            candidates = conditions
        failed = min(candidates, key=lambda cd: cd["due"]) if candidates else None
        t = self.tables["condition"]
        if failed is not None:
            fail_day = min(today - timedelta(days=1), failed["due"] + timedelta(days=rng.randint(0, 5)))
            # A confirmed breach marks the condition it found breached (issue 16), as the app does.
            state = "breached" if confirmed else "failed"
            notes = "Did not attend and gave no reason."
            if confirmed:
                notes = f"Breach confirmed: no reasonable excuse; the prosecution resumed.\n{notes}"
            for n, row in enumerate(t.rows):
                if row[0] == failed["id"]:
                    row = list(row)
                    row[12], row[14], row[15] = state, fail_day, notes
                    t.rows[n] = tuple(row)
                    break
            failed["status"], failed["outcome_on"] = state, fail_day
            # Its referral (sent from the condition) ends as not completed.
            for n, row in enumerate(self.tables["referral"].rows):
                if row[2] == failed["id"] and row[5] not in ("declined",):
                    row = list(row)
                    row[5] = "not_completed" if row[15] else "withdrawn"
                    row[20] = _at(fail_day, 15)
                    self.tables["referral"].rows[n] = tuple(row)
        opened_day = failed["outcome_on"] if failed else today - timedelta(days=5)
        opened = _at(opened_day, 16)
        review_id = self.tables["review"].next_id()
        due_on = opened_day + timedelta(days=scheme.breach_decision_days)
        if confirmed:
            decided = opened + timedelta(days=rng.randint(1, max(1, scheme.breach_decision_days)))
            decided = min(decided, _at(today, 8))
            self.tables["review"].add(
                review_id,
                case_id,
                "breach_confirmed",
                owner,
                opened,
                "Condition failed",
                due_on,
                "No reason given.",
                "Reminder calls, a letter and a rearranged session.",
                False,
                "breach_confirmed",
                "No reasonable excuse after repeated chances.",
                decider,
                decided,
            )
        else:
            awaiting = rng.random() < 0.25
            self.tables["review"].add(
                review_id,
                case_id,
                "awaiting_countersignature" if awaiting else "open",
                owner,
                opened,
                "Condition failed",
                due_on,
                "Said they forgot." if awaiting else "",
                "",
                False if awaiting else None,
                "breach_confirmed" if awaiting else "",
                "No reasonable excuse." if awaiting else "",
                decider if awaiting else None,
                opened + timedelta(days=2) if awaiting else None,
            )
        if failed is not None:
            rc = self.tables["review_condition"]
            rc.add(rc.next_id(), review_id, failed["id"])
            if confirmed:
                rb = self.tables["review_breached"]
                rb.add(rb.next_id(), review_id, failed["id"])
        move(opened, CaseStatus.BREACH_REVIEW, EventCode.BREACH_REVIEW_OPENED, "Breach review opened", owner)
        self._audit(
            opened,
            owner,
            "created",
            BreachReview,
            review_id,
            f"Breach review on case {reference}",
            "Condition failed",
        )
        self._notify(
            opened,
            "breach_review_opened",
            "Breach review opened",
            reference,
            f"/conditions/breach-reviews/{review_id}/",
            user=owner,
            dedupe=f"breach-review-opened:{review_id}",
        )
        if not confirmed:
            return
        self._event(case_id, EventCode.BREACH_CONFIRMED, decided, decider, "Breach confirmed")
        move(
            decided,
            CaseStatus.PROSECUTION_RESUMED,
            EventCode.PROSECUTION_RESUMED,
            "Prosecution resumed; the caution ceased",
            decider,
        )
        p = self.tables["prosecution"]
        started = decided.date() + timedelta(days=rng.randint(3, 30))
        finished = started + timedelta(days=rng.randint(20, 90))
        done = closed or (started < today and rng.random() < 0.5)
        p.add(
            p.next_id(),
            case_id,
            review_id,
            decided,
            decider,
            latest,
            "requisition" if done else "",
            started if done else None,
            "Fenchester Magistrates' Court" if done else "",
            started + timedelta(days=14) if done else None,
            rng.choice(["convicted", "convicted", "discontinued"]) if closed else "pending",
            min(finished, today) if closed else None,
            decided + timedelta(hours=1),
            decided.date() + timedelta(days=scheme.victim_notification_days),
        )
        for n, row in enumerate(self.tables["caution"].rows):
            if row[0] == caution_id:
                row = list(row)
                row[13], row[14] = decided.date(), "Breach confirmed: the prosecution resumed"
                self.tables["caution"].rows[n] = tuple(row)
        if closed:
            move(
                _at(min(finished, today), 15), CaseStatus.CLOSED, EventCode.CASE_CLOSED, "Case closed", owner
            )

    def _police_records(self, person_id, caution_day, new_person):
        """Offences from police records: before the caution (the cost of crime), and for some the
        proven reoffending within the follow-up year."""
        if not new_person:
            return
        rng = self.rng
        t = self.tables["police_offence"]
        days = set()
        for _ in range(rng.choice([0, 1, 1, 2])):
            days.add(-rng.randint(40, 350))
        if rng.random() < 0.5:
            days.add(rng.randint(30, 330))
        for offset in sorted(days):
            when = caution_day + timedelta(days=offset)
            if when >= self.today:
                continue
            outcome = min(self.today, when + timedelta(days=rng.randint(20, 90)))
            t.add(
                t.next_id(),
                person_id,
                rng.choices(self.offence_choices, self.offence_weights)[0].pk,
                when,
                rng.choice(["conviction", "caution"]),
                outcome,
                self.import_id,
            )


def counts_of(tables) -> dict:
    return {name: table.written for name, table in tables.items()}


def volume_seed(*, cases: int, seed: int = 1, today: date | None = None, out=print) -> dict:
    """Add ``cases`` cases, with everything they hold, to the demo force. Needs the demo data
    (``seed_demo``). Returns the rows written per table."""
    today = today or timezone.localdate()
    started = time.monotonic()
    cast = _cast(cases=cases, out=out)
    generator = VolumeGenerator(cast, seed=seed, today=today, out=out)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor = cursor.cursor  # psycopg's own cursor, for COPY
            generator.start(cursor, cases=cases)
            statuses = _statuses(cases, generator.rng)
            for begin in range(0, cases, CHUNK):
                for status in statuses[begin : begin + CHUNK]:
                    generator.case(status)
                generator.flush(cursor)
                done = min(cases, begin + CHUNK)
                out(f"{done:,} / {cases:,} cases ({time.monotonic() - started:.1f} s)")
            generator.finish(cursor)
    except BaseException:
        generator.remove_documents()  # the cautions' rows were rolled back: their files go too
        raise
    if connection.vendor == "postgresql":
        # VACUUM as well as ANALYZE where it can run (not inside a transaction, e.g. a test's): it
        # marks the new pages all-visible, as autovacuum would in time, so that counts served from
        # an index alone do not visit every row of a freshly loaded table.
        vacuum = not connection.in_atomic_block
        out("vacuuming and analysing the tables" if vacuum else "analysing the tables")
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        with connection.cursor() as cursor:
            for table in generator.tables.values():
                cursor.execute(f"{command} {connection.ops.quote_name(table.model._meta.db_table)}")  # noqa: S608
    return counts_of(generator.tables)

"""Writing a checked caseload: set-based, a chunk of cases at a time, inside the caller's transaction.

Rows are built in memory and written with ``COPY`` on PostgreSQL (``executemany`` on SQLite), each
table's ids taken from its own sequence (``nextval``, so nothing else writing meanwhile is locked out
or collides; on SQLite the transaction holds the database's write lock, and ids follow the highest).
The derived columns are written as the services keep them: each case's six-month-limit start and
offence classes (``case_offence_columns_refresh``), its reference from the scheme's counter (moved on
past the references issued, rows locked), the case's timeline and the audit rows (sealed onto the
audit log's chain, last, so its head is locked only for the last moments of the transaction). The
dashboard's summaries follow by themselves: the tables' triggers mark each new case stale
(``reporting/triggers.py``) and the summaries job makes them.

What a status implies is written with it, as the app's services would have left it: the eligibility
decision (with what the scheme's rules say on its date), a longer completion period where the
conditions need one, the caution (its signed document is held outside Offender Hub), the conditions
and their referrals (each with one desired outcome: the condition met), the breach review with the
conditions that led to it, and the resumed prosecution (its case file team told before the import,
so the job does not tell them again).
"""

import json
import time
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from cases.events import EventCode
from cases.matching import person_match_keys, score
from cases.models import (
    Admission,
    Authority,
    Case,
    CaseEvent,
    CaseOffence,
    CaseStatus,
    DecisionOutcome,
    EligibilityDecision,
    Person,
    PersonAlias,
    ReferenceCounter,
    SuspectedDuplicate,
)
from cases.rules import latest_proceedings_date
from conditions.models import (
    BreachOutcome,
    BreachReview,
    BreachStatus,
    Caution,
    Condition,
    ConditionStatus,
    PeriodExtension,
    Prosecution,
    ProsecutionOutcome,
)
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record_many
from referrals.models import OPEN_REFERRAL_STATUSES, DesiredOutcome, Referral, ReferralStatus, WithdrawReason

from .checking import case_derived, day, gravity_of, needs_prosecutor, noon
from .matching import details_of

CHUNK = 2000  # cases built in memory before they are written
ID_BLOCK = 5000  # primary keys taken from a table's sequence at once, beyond those reserved
ACCEPTED_STATUSES = frozenset(
    {
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.COMPLETED,
        ReferralStatus.NOT_COMPLETED,
    }
)
CLOSED_REFERRAL_STATUSES = frozenset(ReferralStatus.values) - OPEN_REFERRAL_STATUSES


class Dumped(str):
    """A JSON value already dumped: constants are dumped once, not once a row."""


EMPTY_LIST = Dumped("[]")


def _json_default(field):
    return Dumped(json.dumps(field.get_default()))


class Table:
    """The rows of one table for the current chunk. ``add(**values)`` by attribute name (``case_id``);
    a column not given takes the field's default."""

    def __init__(self, model):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.json = [i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"]
        self.defaults = [
            None if f.primary_key else _json_default(f) if i in self.json else f.get_default()
            for i, f in enumerate(self.fields)
        ]
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.label = f"writing {model._meta.verbose_name_plural}"
        self.rows = []
        self.written = 0
        self.copier = None
        self._ids = []
        self._last_id = None

    def add(self, **values):
        row = list(self.defaults)
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        self.rows.append(row)

    def take_ids(self, n: int) -> list[int]:
        """``n`` new primary keys for this table."""
        return [self.next_id() for _ in range(n)]

    def next_id(self) -> int:
        if not self._ids:
            self._ids = self._block(ID_BLOCK)
        return self._ids.pop()

    def reserve(self, n: int):
        """Take the ``n`` primary keys the table will need now, in one query."""
        if n > len(self._ids):
            self._ids = self._block(n - len(self._ids)) + self._ids

    def _block(self, n: int) -> list[int]:
        """``n`` new primary keys, highest first: taken from the table's sequence (PostgreSQL: those left
        unused are gaps, as a rolled-back insert leaves), or after the highest (SQLite, whose
        transaction holds the database's write lock: transaction_mode IMMEDIATE)."""
        table = self.model._meta.db_table
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n]
                )
                return sorted((r[0] for r in cursor.fetchall()), reverse=True)
        if self._last_id is None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                self._last_id = cursor.fetchone()[0]
        first = self._last_id + 1
        self._last_id += n
        return list(range(first + n - 1, first - 1, -1))

    def flush(self):
        if self.rows:
            self.copier.put(self, self.rows)
            self.written += len(self.rows)
            self.rows = []


class Copier:
    """Writes the tables' rows: copied in on PostgreSQL (``COPY``), inserted elsewhere. (A thread of its
    own, copying while the next chunk was built, was slower on two busy cores: the threads took turns
    at Python's lock more than the database's work overlapped Python's.)"""

    def __init__(self):
        self.timings = {}

    def put(self, table, rows):
        began = time.monotonic()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                json_columns = table.json
                sql = f"COPY {table.table} ({table.columns}) FROM STDIN"  # noqa: S608 (model names)
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        for i in json_columns:
                            if type(row[i]) is not Dumped:
                                row[i] = json.dumps(row[i])
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.fields))
                prepped = [
                    [
                        f.get_db_prep_save(json.loads(v) if type(v) is Dumped else v, connection)
                        for f, v in zip(table.fields, row, strict=True)
                    ]
                    for row in rows
                ]
                cursor.executemany(f"INSERT INTO {table.table} ({table.columns}) VALUES ({marks})", prepped)  # noqa: S608
        self.timings[table.label] = self.timings.get(table.label, 0.0) + time.monotonic() - began


class Writer:
    """Writes a ``checking.Plan`` for ``batch`` (the CaseloadImport), as ``actor``."""

    def __init__(self, plan, *, batch, actor, progress=None):
        self.plan = plan
        self.batch = batch
        self.actor = actor
        self.force_id = batch.force_id
        self.now = timezone.now()
        self.progress = progress or (lambda phase, done, total: None)
        self.t = {
            model: Table(model)
            for model in (
                Person,
                PersonAlias,
                Case,
                CaseOffence,
                EligibilityDecision,
                PeriodExtension,
                Caution,
                Condition,
                Referral,
                DesiredOutcome,
                BreachReview,
                BreachReview.conditions.through,
                BreachReview.breached_conditions.through,
                Prosecution,
                CaseEvent,
            )
        }
        self.audit = []
        self.timings = {}
        self.types = {
            model: ContentType.objects.get_for_model(model) for model in (Person, Case, Referral, type(batch))
        }

    # --- The whole plan ------------------------------------------------------------------------------

    def write(self) -> dict:
        began = time.monotonic()
        counters = self._lock_counters()
        self._reserve()
        copier = Copier()
        for table in self.t.values():
            table.copier = copier
        self._people()
        # In the order they were opened: the references and ids follow it, as if the cases had been
        # opened here, and the indexes by opening date are written a range at a time, not at random.
        cases = sorted(self.plan.cases, key=lambda row: (row.opened_on, row.line))
        for start in range(0, len(cases), CHUNK):
            chunk = cases[start : start + CHUNK]
            ids = self.t[Case].take_ids(len(chunk))
            for row, case_id in zip(chunk, ids, strict=True):
                self._case(row, case_id, counters)
            self._flush()
            self.progress("Saving the cases", start + len(chunk), len(cases))
        for (_prefix, _year), (counter_id, last) in counters.items():
            ReferenceCounter.objects.filter(pk=counter_id).update(last_number=last)
        self.timings.update(copier.timings)
        self.timings["building the rows"] = time.monotonic() - began - sum(copier.timings.values())
        return {model._meta.label: table.written for model, table in self.t.items()}

    def _reserve(self):
        """Reserve the ids every table will need, counted from the plan, in one query a table."""
        cases, t = self.plan.cases, self.t
        conditions = [c for row in cases for c in row.conditions]
        breached = [row for row in cases if "breach_date" in row.dates]
        counts = {
            Person: len(self.plan.people),
            PersonAlias: sum(len(p.aliases) for p in self.plan.people),
            Case: len(cases),
            CaseOffence: sum(len(row.offences) for row in cases),
            EligibilityDecision: sum(1 for row in cases if row.decision_outcome),
            PeriodExtension: sum(1 for row in cases if row.extension_days),
            Caution: sum(1 for row in cases if "caution_date" in row.dates),
            Condition: len(conditions),
            Referral: sum(1 for c in conditions if c.service),
            DesiredOutcome: sum(1 for c in conditions if c.service),
            BreachReview: len(breached),
            BreachReview.conditions.through: sum(
                1 for row in breached for c in row.conditions if c.in_breach
            ),
            BreachReview.breached_conditions.through: sum(
                1 for row in breached if row.resumed for c in row.conditions if c.in_breach
            ),
            Prosecution: sum(1 for row in breached if row.resumed),
            CaseEvent: 2 * len(cases),
        }
        for model, n in counts.items():
            t[model].reserve(n)

    def finish_audit(self, summary: str):
        """The audit rows, last: one for each person and case added and each referral disclosed, and one
        for the import (who, the file's SHA-256, the counts: never the file's name)."""
        self.audit.append(
            {
                "action": AuditAction.CREATED,
                "content_type": self.types[type(self.batch)],
                "object_id": self.batch.pk,
                "object_label": self.batch.audit_label(),
                "owner_organisation_id": self.force_id,
                "reason": summary,
                "changes": {"sha256": ["", self.batch.sha256]},
            }
        )
        audit_record_many(actor=self.actor, records=self.audit, occurred_at=self.now)

    def _flush(self):
        for table in self.t.values():
            table.flush()

    def _lock_counters(self) -> dict:
        """``{(prefix, year): [counter id, last number]}`` for the references the cases need: each case
        takes the next number of its scheme's code in the year it was opened. Locked, in order."""
        wanted = sorted({(row.scheme.code, row.opened_on.year) for row in self.plan.cases})
        for prefix, year in wanted:
            ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
        counters = {}
        for prefix, year in wanted:
            counter = ReferenceCounter.objects.select_for_update().get(prefix=prefix, year=year)
            counters[(prefix, year)] = [counter.pk, counter.last_number]
        return counters

    def _audit(self, model, object_id, label, reason, **extra):
        self.audit.append(
            {
                "action": extra.pop("action", AuditAction.CREATED),
                "content_type": self.types[model],
                "object_id": object_id,
                "object_label": label,
                "owner_organisation_id": self.force_id,
                "reason": reason,
                **extra,
            }
        )

    # --- People --------------------------------------------------------------------------------------

    def _people(self):
        people, persons, aliases = self.plan.people, self.t[Person], self.t[PersonAlias]
        reason = f"Person recorded by caseload import #{self.batch.pk}"
        for start in range(0, len(people), CHUNK * 2):
            chunk = people[start : start + CHUNK * 2]
            for person, pk in zip(chunk, persons.take_ids(len(chunk)), strict=True):
                person.person_id = pk
                persons.add(
                    id=pk,
                    force_id=self.force_id,
                    given_names=person.given_names,
                    family_name=person.family_name,
                    date_of_birth=person.date_of_birth,
                    sex=person.sex,
                    ethnicity_id=person.ethnicity_id,
                    pnc_id=person.pnc_id,
                    address=person.address,
                    postcode=person.postcode,
                    phone=person.phone,
                    email=person.email,
                    vulnerable=person.vulnerable,
                    vulnerability_notes=person.vulnerability_notes,
                    interpreter_needed=bool(person.interpreter_language),
                    interpreter_language=person.interpreter_language,
                    created_by_id=self.actor.pk,
                    created_at=self.now,
                    **person_match_keys(person.given_names, person.family_name),
                )
                self._audit(Person, pk, f"Person #{pk}", reason)
            named = [(p, a) for p in chunk for a in p.aliases]
            for (person, (given, family)), pk in zip(named, aliases.take_ids(len(named)), strict=True):
                aliases.add(
                    id=pk, person_id=person.person_id, given_names=given, family_name=family, end_reason=""
                )
            persons.flush()
            aliases.flush()
            self.progress("Saving the people", start + len(chunk), len(people))
        self._suspected_duplicates()

    def _suspected_duplicates(self):
        """The supervisors' suspected duplicates: the check's likely matches (the new people against
        the force's, and among the file's), every one of them, each read from the lower record to the
        higher as the matching keeps them. The check has just matched them (in this transaction):
        matching the new people again would double the time the import spends matching."""
        pairs = {}
        for person, known, other in self.plan.suspected:
            mine = details_of(person, pk=person.person_id)
            theirs = known if known is not None else details_of(other, pk=other.person_id)
            lower, higher = sorted((mine, theirs), key=lambda d: d.pk)
            if (lower.pk, higher.pk) not in pairs and (found := score(lower, higher)) is not None:
                pairs[lower.pk, higher.pk] = found
        SuspectedDuplicate.objects.bulk_create(
            [
                SuspectedDuplicate(
                    force_id=self.force_id, person_id=a, other_id=b, score=c.score, reasons=c.reasons
                )
                for (a, b), c in sorted(pairs.items())
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )

    # --- One case ------------------------------------------------------------------------------------

    def _case(self, row, case_id, counters):  # noqa: C901 (one case's records, in the order they happened)
        t, actor_id = self.t, self.actor.pk
        prefix = row.scheme.code
        counter = counters[(prefix, row.opened_on.year)]
        counter[1] += 1
        reference = f"{prefix}-{row.opened_on.year}-{counter[1]:06d}"
        row.case_id, row.case_reference = case_id, reference
        decider = row.decision_maker.pk if row.decision_maker else actor_id
        dates = row.dates
        before = "before Offender Hub"
        t[Case].add(
            id=case_id,
            reference=reference,
            force_id=self.force_id,
            scheme_id=row.scheme.pk,
            area_id=row.area.pk,
            owner_id=row.owner.pk,
            person_id=row.person.person_id,
            status=row.status,
            arrest_date=row.arrest_date,
            victim_type=row.victim_type,
            victim_views=row.victim_views,
            victim_views_obtained_on=row.victim_views_obtained_on,
            victim_rj_consent=row.victim_rj_consent,
            flags=row.flags or EMPTY_LIST,
            previous_convictions=row.previous_convictions,
            previous_cautions=row.previous_cautions,
            lives_in_force_area=row.lives_in_force_area,
            circumstances=row.circumstances,
            created_by_id=actor_id,
            created_at=noon(row.opened_on),
            updated_at=self.now,
            external_reference=row.reference,
            **case_derived(row),
        )
        offence_ids = t[CaseOffence].take_ids(len(row.offences))
        for entry, pk in zip(row.offences, offence_ids, strict=True):
            t[CaseOffence].add(
                id=pk,
                case_id=case_id,
                offence_id=entry.offence.pk,
                offence_date=entry.offence_date,
                details=entry.details,
            )
        if row.decision_outcome:
            self._decision(row, case_id, decider)
        caution_on = dates.get("caution_date")
        if row.extension_days:
            (pk,) = t[PeriodExtension].take_ids(1)
            t[PeriodExtension].add(
                id=pk,
                case_id=case_id,
                days=row.extension_days,
                reason=f"Approved {before}; recorded by caseload import #{self.batch.pk}.",
                approved_by_id=actor_id,
                approved_at=noon(caution_on),
            )
        if caution_on:
            (pk,) = t[Caution].take_ids(1)
            period = row.extension_days or row.scheme.compliance_period_default_days
            resumed = dates.get("prosecution_date")
            t[Caution].add(
                id=pk,
                case_id=case_id,
                administered_on=caution_on,
                administered_by_id=decider,
                place=row.caution_place,
                admission_words="",
                effect_explained=True,
                warning_given=True,
                consented=True,
                signed=True,
                period_ends_on=caution_on + timedelta(days=period),
                document="",
                document_sha256="",
                ceased_on=resumed,
                ceased_reason="Breach confirmed: the prosecution resumed" if resumed else "",
                recorded_at=self.now,
            )
        self._conditions(row, case_id)
        if "breach_date" in dates:
            self._breach(row, case_id, decider)
        # The timeline: the status as the force's records left it, on the day the case entered it, then
        # the import that brought it in.
        label = CaseStatus(row.status).label
        summary = (
            f"Case opened on {day(row.opened_on)}, {before}"
            if row.status == CaseStatus.INTAKE
            else f"{label} since {day(row.status_date)}, {before}"
        )
        if row.status == CaseStatus.WITHDRAWN:
            summary += f": {row.withdrawn_reason}"
        events = t[CaseEvent]
        first, second = events.take_ids(2)
        events.add(
            id=first,
            case_id=case_id,
            code=EventCode.STATUS_BEFORE_IMPORT,
            occurred_at=noon(row.status_date),
            status_after=row.status,
            summary=summary[:300],
            details={"import": self.batch.pk},
        )
        events.add(
            id=second,
            case_id=case_id,
            code=EventCode.CASE_IMPORTED,
            occurred_at=self.now,
            actor_id=actor_id,
            actor_organisation_id=self.actor.organisation_id,
            summary=f"Imported from the force's records by caseload import #{self.batch.pk} "
            f"({self.plan.line_word.lower()} {row.line}, the force's reference {row.reference})"[:300],
            details={"import": self.batch.pk, "line": row.line, "external_reference": row.reference},
        )
        self._audit(Case, case_id, f"Case {reference}", f"Case imported by caseload import #{self.batch.pk}")

    def _decision(self, row, case_id, decider):
        outcome = row.decision_outcome
        decided_on = row.dates["decision_date"]
        limited = [o.offence_date for o in row.offences if o.offence.time_limit_applies]
        (pk,) = self.t[EligibilityDecision].take_ids(1)
        self.t[EligibilityDecision].add(
            id=pk,
            case_id=case_id,
            outcome=outcome,
            decided_by_id=decider,
            decided_at=noon(decided_on),
            decision_date=decided_on,
            evidence_person_committed=outcome == DecisionOutcome.ELIGIBLE,
            sufficient_evidence_to_charge=outcome == DecisionOutcome.ELIGIBLE,
            authority=Authority.PROSECUTOR if needs_prosecutor(row) else Authority.AUTHORISED_OFFICER,
            prosecutor_reference="",
            admission=Admission.DENIES if outcome == DecisionOutcome.DECLINED else Admission.ADMITS,
            gravity_adjustment=0,
            gravity_score=gravity_of(row),
            # The criteria were weighed before Offender Hub: none is recorded as if checked here.
            reasons=(
                ["declined"]
                if outcome == DecisionOutcome.DECLINED
                else row.failures or EMPTY_LIST
                if outcome == DecisionOutcome.INELIGIBLE
                else EMPTY_LIST
            ),
            rationale=f"Decided before Offender Hub, on {day(decided_on)}; recorded by caseload import "
            f"#{self.batch.pk}.",
            time_limit_acknowledged=bool(limited),
            latest_proceedings_date=latest_proceedings_date(min(limited)) if limited else None,
        )

    def _conditions(self, row, case_id):
        t = self.t
        if not row.conditions:
            return
        ids = t[Condition].take_ids(len(row.conditions))
        referred = [c for c in row.conditions if c.service]
        referral_ids = iter(t[Referral].take_ids(len(referred)))
        outcome_ids = iter(t[DesiredOutcome].take_ids(len(referred)))
        for condition, pk in zip(row.conditions, ids, strict=True):
            condition.pk = pk
            done = condition.status not in (ConditionStatus.PENDING, ConditionStatus.IN_PROGRESS)
            t[Condition].add(
                id=pk,
                case_id=case_id,
                kind=condition.kind,
                wording=condition.wording,
                due_date=condition.due_date,
                responsible_organisation_id=condition.organisation.pk,
                owner_id=condition.owner.pk if condition.owner else None,
                hours=condition.hours,
                amount_kind=condition.amount_kind,
                amount=condition.amount,
                needs_referral=condition.service is not None,
                status=condition.status,
                outcome_on=condition.outcome_on if done else None,
                outcome_notes="",
                created_by_id=self.actor.pk,
                created_at=self.now,
                updated_at=self.now,
            )
            if condition.service is None:
                continue
            referral_id = next(referral_ids)
            status = condition.referral_status
            closed = status in CLOSED_REFERRAL_STATUSES
            sent_on = condition.referral_sent_on
            closed_on = (
                condition.outcome_on if condition.outcome_on and condition.outcome_on >= sent_on else sent_on
            )
            t[Referral].add(
                id=referral_id,
                case_id=case_id,
                condition_id=pk,
                service_id=condition.service.pk,
                organisation_id=condition.service.organisation_id,
                status=status,
                reason=f"Referred {'before Offender Hub'} to deliver the condition: {condition.wording}",
                due_date=condition.due_date,
                interpreter_language=row.person.interpreter_language,
                sent_by_id=row.owner.pk,
                sent_at=noon(sent_on),
                withdraw_reason=WithdrawReason.CASE_CLOSED if status == ReferralStatus.WITHDRAWN else "",
                closed_at=noon(closed_on) if closed else None,
            )
            t[DesiredOutcome].add(
                id=next(outcome_ids),
                referral_id=referral_id,
                text=condition.wording[:300],
                result="",
                comment="",
            )
            self._audit(
                Referral,
                referral_id,
                f"Referral {referral_id} on case {row.case_reference}",
                f"Referral recorded by caseload import #{self.batch.pk}: the person's details and the "
                "condition",
                action=AuditAction.DISCLOSED,
                recipient=str(condition.service.organisation),
            )

    def _breach(self, row, case_id, decider):
        t = self.t
        opened_on = row.dates["breach_date"]
        resumed_on = row.dates.get("prosecution_date")
        (review_id,) = t[BreachReview].take_ids(1)
        before = f"before Offender Hub; recorded by caseload import #{self.batch.pk}"
        t[BreachReview].add(
            id=review_id,
            case_id=case_id,
            status=BreachStatus.BREACH_CONFIRMED if resumed_on else BreachStatus.OPEN,
            opened_by_id=None,
            opened_at=noon(opened_on),
            opened_reason=f"Opened {before}.",
            decision_due_on=opened_on + timedelta(days=row.scheme.breach_decision_days),
            person_account="",
            alternatives_tried="",
            reasonable_excuse=False if resumed_on else None,
            outcome=BreachOutcome.BREACH_CONFIRMED if resumed_on else "",
            rationale=f"Breach confirmed {before}." if resumed_on else "",
            decided_by_id=decider if resumed_on else None,
            decided_at=noon(resumed_on) if resumed_on else None,
            countersignature_notes="",
        )
        led = [c for c in row.conditions if c.in_breach]
        through = t[BreachReview.conditions.through]
        for condition, pk in zip(led, through.take_ids(len(led)), strict=True):
            through.add(id=pk, breachreview_id=review_id, condition_id=condition.pk)
        if not resumed_on:
            return
        breached = t[BreachReview.breached_conditions.through]
        for condition, pk in zip(led, breached.take_ids(len(led)), strict=True):
            breached.add(id=pk, breachreview_id=review_id, condition_id=condition.pk)
        limited = [o.offence_date for o in row.offences if o.offence.time_limit_applies]
        limit = latest_proceedings_date(min(limited)) if limited else None
        out_of_time = bool(limit and resumed_on > limit)
        (pk,) = t[Prosecution].take_ids(1)
        t[Prosecution].add(
            id=pk,
            case_id=case_id,
            breach_review_id=review_id,
            resumed_at=noon(resumed_on),
            resumed_by_id=decider,
            latest_proceedings_date=limit,
            method="",
            court="",
            outcome=ProsecutionOutcome.OUT_OF_TIME if out_of_time else ProsecutionOutcome.PENDING,
            outcome_on=resumed_on if out_of_time else None,
            outcome_notes="",
            # Told before the import: the prosecution-resumption job must not tell them again.
            case_file_team_notified_at=noon(resumed_on),
        )

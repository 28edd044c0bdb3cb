"""Writes for reporting: the reoffending import, exports (audited), scrutiny samples and findings."""

import csv
import hashlib
import io
import random
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.events import PersonMerged, PersonMergeUndoAsked, PersonMergeUndone
from cases.models import Case, Offence, Person, PersonAlias, normalise_pnc_id
from cases.services import CaseError
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from .disclosure import Count, min_cohort
from .models import (
    CaseExtract,
    ExtractPermission,
    Finding,
    OutcomeType,
    ReoffendingImport,
    ScrutinyItem,
    ScrutinySample,
    SubsequentOffence,
)

COLUMNS = ["pnc_id", "offence_date", "offence", "outcome_type", "outcome_date"]
MAX_ROWS = 50_000


@dataclass
class ImportResult:
    batch: ReoffendingImport | None
    errors: list[tuple[int, str]]


# --- A person's records merged (cases.events): police records follow the person ---------------------------


def recorded_offences_merge(event: PersonMerged) -> dict:
    """Move the merged record's police records to the kept record, but for those the kept record already
    holds (the same offence, dates and outcome: ``subsequent_offence_unique``), which stay behind.
    Returns the ids moved, for the merge's undoing."""
    held = SubsequentOffence.objects.filter(
        person_id=event.kept_id,
        offence_id=OuterRef("offence_id"),
        offence_date=OuterRef("offence_date"),
        outcome_type=OuterRef("outcome_type"),
        outcome_date=OuterRef("outcome_date"),
    )
    ids = list(
        SubsequentOffence.objects.filter(person_id=event.merged_id)
        .exclude(Exists(held))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        SubsequentOffence.objects.filter(pk__in=ids).update(person_id=event.kept_id)
    return {"recorded_offences": ids}


def recorded_offences_merge_undo_refusal(event: PersonMergeUndoAsked) -> str | None:
    """A merge is not undone once police records were imported for the kept record after it: some may
    have matched the merged record's PNC ID (an alias of the kept record meanwhile), and nothing says
    which."""
    imported = SubsequentOffence.objects.filter(
        person_id=event.kept_id, source__imported_at__gt=event.merged_at
    )
    if imported.exists():
        return (
            "Police records have been imported for the kept record since the merge, and some may belong to "
            "the merged record: the merge can no longer be undone."
        )
    return None


def recorded_offences_merge_undo(event: PersonMergeUndone) -> None:
    """Move back the police records the merge moved."""
    ids = event.moved.get("recorded_offences", [])
    if ids:
        moved_back = SubsequentOffence.objects.filter(pk__in=ids, person_id=event.kept_id)
        moved_back.update(person_id=event.merged_id)


def _parse_date(value, column):
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{column} “{value}” is not a date like 2026-03-27") from exc


def reoffending_import(*, actor, upload, today=None) -> ImportResult:
    """Import subsequent offences (CSV with the header pnc_id, offence_date, offence, outcome_type,
    outcome_date), matched to the force's people by PNC ID. Every row is checked first: with any
    error nothing is saved and each bad row is named. Rows already held are skipped, so importing
    the same file again adds nothing."""
    if not actor.has_role(Role.SUPERVISOR):
        raise CaseError("Only supervisors import police records.")
    today = today or timezone.localdate()
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportResult(None, [(0, "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.")])
    if "\x00" in text:
        return ImportResult(None, [(0, "The file contains a NUL character: it is not a CSV text file.")])
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return ImportResult(None, [(1, f"The header cannot be read as CSV: {exc}.")])
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return ImportResult(
            None, [(1, f"The header must include: {', '.join(COLUMNS)}. Missing: {', '.join(missing)}.")]
        )
    offences = {o.name.lower(): o for o in Offence.objects.all()}
    people = _people_by_pnc(actor.organisation_id)
    errors, rows, seen = [], [], set()
    records = []  # (the file's line number, the row): blank lines are skipped but still counted
    try:
        for record in reader:
            records.append((reader.line_num, record))
    except csv.Error as exc:
        return ImportResult(None, [(reader.line_num, f"The row cannot be read as CSV: {exc}.")])
    for count, (line, record) in enumerate(records, start=1):
        if count > MAX_ROWS:
            errors.append((line, f"The file has more than {MAX_ROWS} rows; split it."))
            break
        if None in record:
            errors.append(
                (line, "The row has more values than the header: quote any value containing a comma.")
            )
            continue
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()}
        if not any(record.values()):
            continue
        try:
            try:
                pnc = normalise_pnc_id(record["pnc_id"])
            except ValidationError:
                raise ValueError(f"PNC ID “{record['pnc_id']}” is not like 19/0012345A") from None
            offence_date = _parse_date(record["offence_date"], "offence_date")
            outcome_date = _parse_date(record["outcome_date"], "outcome_date")
            offence = offences.get(record["offence"].lower())
            if offence is None:
                raise ValueError(f"offence “{record['offence']}” is not in the offence list")
            outcome = record["outcome_type"].lower()
            if outcome not in OutcomeType.values:
                raise ValueError(f"outcome_type “{record['outcome_type']}” must be conviction or caution")
            if outcome_date < offence_date:
                raise ValueError("outcome_date is before offence_date")
            if outcome_date > today or offence_date > today:
                raise ValueError("a date is in the future")
        except ValueError as exc:
            errors.append((line, str(exc)[0].upper() + str(exc)[1:] + "."))
            continue
        key = (pnc, offence.pk, offence_date, outcome, outcome_date)
        if key in seen:
            continue  # the same record twice in one file
        seen.add(key)
        rows.append((pnc, offence, offence_date, outcome, outcome_date))
    if errors:
        return ImportResult(None, errors)
    if not rows:
        return ImportResult(None, [(0, "The file has no rows to import.")])
    with transaction.atomic():
        # Who each PNC ID is now, read again with the people locked: a merge, or its undoing, may have
        # committed since the file was checked (``_people_locked``).
        people = _people_locked(actor.organisation_id, {r[0] for r in rows}, read=people)
        rows = [(people.get(r[0]), *r[1:]) for r in rows]
        matched = [r for r in rows if r[0] is not None]
        existing = set(
            SubsequentOffence.objects.filter(person__in={r[0].pk for r in matched}).values_list(
                "person_id", "offence_id", "offence_date", "outcome_type", "outcome_date"
            )
        )
        # Two PNC IDs of one person now (a record merged since) may give the same record twice.
        keys = {(r[0].pk, r[1].pk, r[2], r[3], r[4]): r for r in matched}
        new = [r for key, r in keys.items() if key not in existing]
        batch = ReoffendingImport.objects.create(
            force_id=actor.organisation_id,
            filename=(getattr(upload, "name", "") or "upload.csv")[-200:],
            sha256=hashlib.sha256(raw).hexdigest(),
            rows_total=len(rows),
            rows_added=len(new),
            rows_already_held=len(matched) - len(new),
            rows_unmatched=len(rows) - len(matched),
            imported_by=actor,
        )
        SubsequentOffence.objects.bulk_create(
            [
                SubsequentOffence(
                    person=person,
                    offence=offence,
                    offence_date=od,
                    outcome_type=ot,
                    outcome_date=oc,
                    source=batch,
                )
                for person, offence, od, ot, oc in new
            ],
            ignore_conflicts=True,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=batch,
            object_label=f"Reoffending import #{batch.pk}",  # never the uploaded file's name
            owner_organisation=actor.organisation,
            reason=f"{len(new)} offences added from police records ({len(matched) - len(new)} already held)",
        )
    return ImportResult(batch, [])


def _people_by_pnc(force_id, pncs=None) -> dict:
    """The force's people by PNC ID (only ``pncs``, when given): each person's own, and the PNC ID of a
    record merged into another, which is the other's now, kept as its alias. Records merged into another
    are left out."""
    people = Person.objects.filter(force_id=force_id, merged_into=None).exclude(pnc_id="")
    aliases = PersonAlias.objects.filter(person__force_id=force_id, person__merged_into=None, ended_at=None)
    if pncs is not None:
        people, aliases = people.filter(pnc_id__in=pncs), aliases.filter(pnc_id__in=pncs)
    found = {p.pnc_id: p for p in people.only("pk", "pnc_id")}
    for alias in (
        aliases.exclude(pnc_id="").select_related("person").only("pnc_id", "person__id", "person__pnc_id")
    ):
        found.setdefault(alias.pnc_id, alias.person)
    return found


def _people_locked(force_id, pncs, *, read) -> dict:
    """Who each of ``pncs`` is now, ``{pnc: Person}``, every one of them locked: inside the import's
    transaction, ``read`` being the people as the file was checked against them.

    A merge locks both records (``cases.services.person_merge``) and moves the merged record's police
    records in its own transaction (``recorded_offences_merge``); its undoing locks them too and moves
    them back. Read before either committed, an offence would go to a record merged away (where nothing
    shows it), or stay with the kept record after an undo gave its PNC ID back to the other. So the people
    read are locked, who the PNC IDs are is read again, and anyone new (the record kept, or the one an undo
    brought back) is locked in turn, until every one is: then a merge or an undo of any of them waits
    for the import, and moves the offences or refuses with them in view."""
    locked = set()
    people = {pnc: person for pnc, person in read.items() if pnc in pncs}
    for _ in range(10):  # each round follows a merge or an undo committed during the one before
        wanted = {person.pk for person in people.values()} - locked
        if wanted:
            locked.update(
                Person.objects.select_for_update()
                .filter(pk__in=wanted)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        now = _people_by_pnc(force_id, pncs)
        if all(person.pk in locked for person in now.values()):
            return now
        people = now
    raise RuntimeError("The people of the file kept changing while they were read: import it again.")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A spreadsheet cannot run what a cell starts with: formula characters are quoted away. Numbers
    (including negative ones) stay numbers."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_record(*, actor, what: str, rows: int, force_id, request=None) -> None:
    """An export is a disclosure of the force's data to the person downloading it: logged against
    the force, with the recipient."""
    from offenderhub.accounts.models import Organisation

    audit_record(
        actor=actor,
        action=AuditAction.EXPORTED,
        request=request,
        object_label=what[:200],
        owner_organisation=Organisation.objects.get(pk=force_id),
        recipient=f"{actor.email} ({actor.organisation})",
        reason=f"{rows} rows exported",
    )


# --- The pseudonymised case extract: permission and disclosures (issue 15, part 5) ------------------

# Who may hold the permission: the people who read the reports.
EXTRACT_ROLES = (Role.ANALYST, Role.SUPERVISOR)


def _extract_grantee(*, actor, user_id):
    """The person whose permission ``actor`` changes, locked: someone of the actor's organisation who
    reads the reports, never the actor themselves (another administrator must)."""
    from offenderhub.accounts.models import User

    if not actor.has_role(Role.ADMINISTRATOR):
        raise CaseError(
            "Only an administrator grants or revokes the permission to download the case extract."
        )
    user = (
        User.objects.select_for_update()
        .filter(pk=user_id, organisation_id=actor.organisation_id, is_active=True)
        .first()
    )
    if user is None or not user.has_role(*EXTRACT_ROLES):
        raise CaseError("That person is not an analyst or supervisor of your organisation.")
    if user.pk == actor.pk and not actor.is_superuser:
        raise CaseError("Another administrator must change your own permission.")
    return user


def extract_permission_grant(*, actor, user_id, authority: str, request=None) -> ExtractPermission | None:
    """Let one analyst (or supervisor) download the pseudonymised case extract, on the authority the
    administrator records (kept on the permission; the audit row names it by number). Granting it
    again while it stands changes nothing and returns None."""
    authority = authority.strip()
    if not authority:
        raise ValidationError({"authority": "Enter on whose authority and why the permission is granted"})
    with transaction.atomic():
        user = _extract_grantee(actor=actor, user_id=user_id)
        if ExtractPermission.objects.filter(user=user, revoked_at__isnull=True).exists():
            return None
        permission = ExtractPermission.objects.create(user=user, authority=authority, granted_by=actor)
        audit_record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=user,
            request=request,
            object_label=f"User #{user.pk}",
            owner_organisation=user.organisation,
            changes={"pseudonymised case extract": ["not permitted", "permitted"]},
            reason="Permission to download the pseudonymised case extract granted "
            f"({permission.audit_label()})",
        )
    return permission


def extract_permission_revoke(*, actor, user_id, request=None) -> bool:
    """Withdraw the permission (the row is kept, dated). Revoking a permission no longer held changes
    nothing and returns False."""
    with transaction.atomic():
        user = _extract_grantee(actor=actor, user_id=user_id)
        permission = (
            ExtractPermission.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
        )
        if permission is None:
            return False
        permission.revoked_by, permission.revoked_at = actor, timezone.now()
        permission.save(update_fields=["revoked_by", "revoked_at"])
        audit_record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=user,
            request=request,
            object_label=f"User #{user.pk}",
            owner_organisation=user.organisation,
            changes={"pseudonymised case extract": ["permitted", "not permitted"]},
            reason="Permission to download the pseudonymised case extract revoked "
            f"({permission.audit_label()})",
        )
    return True


def case_extract_record(
    *,
    actor,
    force_id,
    purpose: str,
    recipient: str,
    opened_in,
    cases_considered: int,
    min_cohort: int,
    request=None,
) -> CaseExtract:
    """Record a disclosure of the pseudonymised case extract before its first row leaves: who, for
    what purpose, for whom (kept on the record, as typed) and over which cases; audited as a
    disclosure naming the record by number. Refused without the permission."""
    from offenderhub.accounts.models import Organisation

    purpose, recipient = purpose.strip(), recipient.strip()
    errors = {}
    if not purpose:
        errors["purpose"] = "Enter what the extract is for"
    if not recipient:
        errors["recipient"] = "Enter who will receive the extract"
    if errors:
        raise ValidationError(errors)
    from .selectors import extract_permitted

    if not extract_permitted(actor):
        raise CaseError("You do not have permission to download the pseudonymised case extract.")
    with transaction.atomic():
        extract = CaseExtract.objects.create(
            force=Organisation.objects.get(pk=force_id),
            made_by=actor,
            purpose=purpose,
            recipient=recipient,
            opened_in=opened_in,
            cases_considered=cases_considered,
            min_cohort=min_cohort,
        )
        audit_record(
            actor=actor,
            action=AuditAction.DISCLOSED,
            obj=extract,
            request=request,
            recipient=f"{actor.email} ({actor.organisation}), "
            f"for the recipient recorded on {extract.audit_label()}",
            reason=f"Pseudonymised case extract disclosed for the purpose recorded: {cases_considered} cases "
            f"considered, no row's quasi-identifiers fitting fewer than {min_cohort}",
        )
    return extract


def case_extract_finished(*, extract_id: int, rows_sent: int, rows_withheld: int) -> bool:
    """Note how many rows an extract sent and withheld, once its last row has gone (once)."""
    return bool(
        CaseExtract.objects.filter(pk=extract_id, finished_at__isnull=True).update(
            rows_sent=rows_sent, rows_withheld=rows_withheld, finished_at=timezone.now()
        )
    )


# --- Scrutiny panel -----------------------------------------------------------------------------------

SAMPLE_OUTCOMES = {"completed": "Completed (diverted)", "breached": "Breached (prosecution resumed)"}


def sample_too_few_message() -> str:
    return (
        "Too few cases match to draw a sample of this size: ask for fewer cases, or widen the period or "
        f"the outcomes. A sample is drawn only when at least {min_cohort()} cases match, and never says "
        "how many did."
    )


@transaction.atomic
def _scrutiny_sample_check(*, title, outcomes, size, period_from, period_to) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the sample a title, such as the panel meeting's date."
    if not outcomes or set(outcomes) - set(SAMPLE_OUTCOMES):
        errors["outcomes"] = "Choose completed, breached or both."
    if not 1 <= size <= 100:
        errors["size"] = "Choose between 1 and 100 cases."
    if period_from and period_to and period_from > period_to:
        errors["period_to"] = "The end of the period must be after its start."
    if errors:
        raise ValidationError(errors)


def _scrutiny_pool(force_id, *, outcomes, period_from, period_to) -> list:
    """The ids of the force's cautioned cases with the outcomes asked for, cautioned in the period."""
    from .selectors import BREACHED, DIVERTED

    wanted = Q()
    if "completed" in outcomes:
        wanted |= DIVERTED
    if "breached" in outcomes:
        wanted |= BREACHED
    pool = Case.objects.filter(wanted, force_id=force_id, caution__isnull=False)
    if period_from:
        pool = pool.filter(caution__administered_on__gte=period_from)
    if period_to:
        pool = pool.filter(caution__administered_on__lte=period_to)
    return sorted(pool.values_list("pk", flat=True))


def scrutiny_sample_create(
    *, actor, force_id, title: str, outcomes: list, size: int, period_from=None, period_to=None, seed=None
) -> ScrutinySample:
    """Draw a random sample of completed or breached cases (by caution date in the period), reproducible
    from the recorded seed."""
    if not actor.has_role(Role.ANALYST, Role.SUPERVISOR):
        raise CaseError("Only analysts and supervisors draw scrutiny samples.")
    _scrutiny_sample_check(
        title=title, outcomes=outcomes, size=size, period_from=period_from, period_to=period_to
    )
    ids = _scrutiny_pool(force_id, outcomes=outcomes, period_from=period_from, period_to=period_to)
    # Disclosure control (reporting/disclosure.py): a sample is always as large as asked for, so how many
    # cases it holds never tells how many matched. It is drawn only from at least the minimum cohort,
    # and from a pool that, rounded down to a multiple of 5 as the dashboard shows counts, holds the
    # size asked for: a refusal tells no more than the dashboard's band ("between 10 and 14 matched").
    matched = Count.of(len(ids))
    if len(ids) < min_cohort() or matched.suppressed or matched.shown < size:
        raise ValidationError({"size": sample_too_few_message()})
    seed = seed if seed is not None else secrets.randbits(48)
    chosen = random.Random(seed).sample(ids, size)  # noqa: S311 - a sample, not a secret
    sample = ScrutinySample.objects.create(
        force_id=force_id,
        title=title.strip(),
        outcomes=sorted(outcomes),
        period_from=period_from,
        period_to=period_to,
        size_requested=size,
        seed=seed,
        created_by=actor,
    )
    ScrutinyItem.objects.bulk_create(
        ScrutinyItem(sample=sample, case_id=case_id, position=i) for i, case_id in enumerate(chosen, 1)
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=sample,
        object_label=f"Scrutiny sample #{sample.pk}",
        owner_organisation=sample.force,
        reason=f"{len(chosen)} of {len(ids)} cases drawn (seed {seed})",
    )
    return sample


@transaction.atomic
def scrutiny_finding_record(
    *, actor, item_id, force_id, finding: str, observations: str, sample_id=None
) -> ScrutinyItem:
    if not actor.has_role(Role.ANALYST, Role.SUPERVISOR):
        raise CaseError("Only analysts and supervisors record the panel's findings.")
    items = ScrutinyItem.objects.select_for_update().filter(pk=item_id, sample__force_id=force_id)
    if sample_id is not None:
        items = items.filter(sample_id=sample_id)
    item = items.first()
    if item is None:
        raise CaseError("That item does not exist.")
    errors = {}
    if finding not in Finding.values:
        errors["finding"] = "Choose the panel's finding."
    if finding in {Finding.OBSERVATIONS, Finding.INAPPROPRIATE} and not observations.strip():
        errors["observations"] = "Record the panel's observations."
    if errors:
        raise ValidationError(errors)
    before = [item.finding, item.observations]
    item.finding, item.observations = finding, observations.strip()
    item.recorded_by, item.recorded_at = actor, timezone.now()
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=item,
        object_label=f"Scrutiny finding: sample #{item.sample_id}, case {item.position}",
        owner_organisation=item.sample.force,
        changes={"finding": [before[0], finding]},
        reason="Scrutiny panel finding recorded",
    )
    return item

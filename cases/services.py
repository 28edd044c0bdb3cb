"""Every write to people and cases. Each service runs in one transaction, locks the rows it changes,
writes the timeline event and the audit row with the change, and is safe to call twice."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, Min, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import FREE_TEXT_CHANGED, audit_record, field_changes

from . import matching
from .events import (
    CaseWithdrawn,
    EventCode,
    PersonMerged,
    PersonMergeUndoAsked,
    PersonMergeUndone,
    announce,
)
from .models import (
    Case,
    CaseEvent,
    CaseFlag,
    CaseOffence,
    CaseStatus,
    Classification,
    DecisionOutcome,
    EligibilityDecision,
    Ethnicity,
    OffenceGroup,
    Person,
    PersonAlias,
    PersonChange,
    PersonMerge,
    ReferenceCounter,
    RestorativeJusticeConsent,
    Scheme,
    SchemeChange,
    Sex,
    SuspectedDuplicate,
    VictimType,
    normalise_pnc_id,
)
from .rules import assess_eligibility, case_time_limit, latest_proceedings_date
from .workflow import (
    CASE_CORRECTION_PARTS,
    REASSIGNABLE_STATUSES,
    TransitionNotAllowed,
    case_correction_refusal,
    check_transition,
)


class CaseError(Exception):
    """A request the rules refuse. The message tells the person what to do."""


# --- Timeline ---------------------------------------------------------------------------------------


def case_event_record(
    case, *, code, actor=None, summary="", notes="", details=None, before="", after="", at=None
):
    """A timeline event, at ``at`` (a job run for a chosen day records that day) or now."""
    return CaseEvent.objects.create(
        case=case,
        code=code,
        occurred_at=at or timezone.now(),
        actor=actor,
        actor_organisation_id=getattr(actor, "organisation_id", None),
        summary=(summary or EventCode(code).label)[:300],
        notes=notes,
        details=details or {},
        status_before=before,
        status_after=after,
    )


# --- Offences and the six-month limit's start -------------------------------------------------------


def first_summary_offence_date_of(entries) -> date | None:
    """The earliest date among the offences the six-month limit applies to (``time_limit_applies``):
    ``entries`` have ``offence`` and ``offence_date`` (OffenceEntry or CaseOffence). None when the limit
    applies to none of them."""
    dates = [e.offence_date for e in entries if e.offence.time_limit_applies]
    return min(dates, default=None)


def offence_classes_of(entries) -> dict:
    """``{"holds_summary_only": bool, ...}``: which classifications ``entries`` (as above) hold."""
    held = {e.offence.classification for e in entries}
    return {f"holds_{classification}": classification in held for classification in Classification.values}


def case_offence_columns_refresh(*, cases) -> int:
    """Set what the given cases (a queryset) keep from their offences (``first_summary_offence_date``
    and the ``holds_<classification>`` flags) in one set-based UPDATE. Call it after any change to a
    case's offences, or to an offence's classification or time limit, made other than through
    ``case_create``. Returns the number of cases updated."""
    offences = CaseOffence.objects.filter(case=OuterRef("pk")).order_by()
    first = (
        offences.filter(offence__time_limit_applies=True)
        .values("case")
        .annotate(first=Min("offence_date"))
        .values("first")
    )
    return cases.update(
        first_summary_offence_date=Subquery(first),
        **{
            f"holds_{classification}": Exists(offences.filter(offence__classification=classification))
            for classification in Classification.values
        },
    )


def case_offence_add(*, case, offence, offence_date, details="") -> CaseOffence:
    """Record one more offence on a case (police records, the demo), keeping the case's six-month-limit
    start right."""
    added = CaseOffence.objects.create(case=case, offence=offence, offence_date=offence_date, details=details)
    case_offence_columns_refresh(cases=Case.objects.filter(pk=case.pk))
    return added


def offence_reclassified(*, offence) -> int:
    """Whether an offence's time limit applies changed (reference data, by a superuser): every case
    holding it gets its six-month-limit start again."""
    holding = CaseOffence.objects.filter(offence=offence).values("case_id")
    return case_offence_columns_refresh(cases=Case.objects.filter(pk__in=holding))


# --- People -----------------------------------------------------------------------------------------


PERSON_FIELDS = [
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "pnc_id",
    "address",
    "postcode",
    "phone",
    "email",
    "vulnerable",
    "vulnerability_notes",
    "interpreter_needed",
    "interpreter_language",
]


def _validate_person(
    data: dict,
    *,
    force,
    exclude_pk=None,
    pnc_clash_message="A person with this PNC ID is already recorded. Choose them instead.",
) -> dict:
    errors = {}
    data = dict(data)
    dob = data.get("date_of_birth")
    if dob and dob > timezone.localdate():
        errors["date_of_birth"] = "Date of birth must be in the past."
    elif dob and dob.year < 1900:
        errors["date_of_birth"] = "Date of birth must be after 1900."
    if data.get("pnc_id"):
        try:
            data["pnc_id"] = normalise_pnc_id(data["pnc_id"])
        except ValidationError as exc:
            errors["pnc_id"] = exc.messages[0]
        else:
            if _pnc_id_held(data["pnc_id"], force=force, exclude_pk=exclude_pk):
                errors["pnc_id"] = pnc_clash_message
    if data.get("interpreter_needed") and not data.get("interpreter_language"):
        errors["interpreter_language"] = "Enter the language the interpreter is needed for."
    if errors:
        raise ValidationError(errors)
    return data


def _pnc_id_held(pnc_id: str, *, force, exclude_pk=None) -> bool:
    """Whether another person of the force holds the (normalised) PNC ID: as their own, or as a current
    alias (the PNC ID of a record merged into theirs)."""
    if Person.objects.filter(force=force, pnc_id=pnc_id).exclude(pk=exclude_pk).exists():
        return True
    return (
        PersonAlias.objects.filter(pnc_id=pnc_id, ended_at=None)
        .filter(person__force=force, person__merged_into=None)
        .exclude(person_id=exclude_pk)
        .exists()
    )


@transaction.atomic
def person_create(*, actor, data: dict, aliases: list[tuple[str, str]] = (), submission_token=None) -> Person:
    """Record a person. A repeated submission (same ``submission_token``) returns the person already
    recorded instead of recording them twice."""
    if not actor.has_role(Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR):
        raise CaseError("Only police users can record people.")
    if submission_token and (done := Person.objects.filter(submission_token=submission_token).first()):
        return _already_submitted(done, actor)
    data = _validate_person(data, force=actor.organisation)
    person = Person(
        force=actor.organisation,
        created_by=actor,
        submission_token=submission_token,
        **{k: data.get(k) for k in PERSON_FIELDS if k in data},
    )
    person.full_clean(exclude=["force", "created_by", "submission_token"])
    _set_match_keys(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a simultaneous submission won the race
        if submission_token and (done := Person.objects.filter(submission_token=submission_token).first()):
            return _already_submitted(done, actor)
        raise ValidationError(
            {"pnc_id": "A person with this PNC ID has just been recorded. Choose them instead."}
        ) from exc
    for given, family in aliases:
        if family:
            PersonAlias.objects.create(person=person, given_names=given or "", family_name=family)
    person_duplicates_refresh(person_ids=[person.pk], force_id=person.force_id)
    audit_record(actor=actor, action=AuditAction.CREATED, obj=person, reason="Person recorded for a case")
    return person


# --- Suspected duplicates (issue 14, part 4) ---------------------------------------------------------

# The details the duplicate matching reads: a change to one finds the person's suspected duplicates again.
MATCHED_FIELDS = frozenset({"given_names", "family_name", "date_of_birth", "pnc_id"})


def _set_match_keys(person) -> list[str]:
    """Set the person's stored phonetic codes from their names; returns the fields that changed."""
    changed = []
    for name, value in matching.person_match_keys(person.given_names, person.family_name).items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    return changed


def person_duplicates_refresh(*, person_ids, force_id) -> int:
    """Forget the suspected duplicates of these people and find them again (``cases.matching``), against
    every live person of the force ``force_id``. A person merged into another or erased gets none. Runs
    in the caller's transaction; returns the number of pairs found. Set-based: an import calls it once
    for all the people it recorded."""
    ids = set(person_ids)
    if not ids:
        return 0
    for chunk in matching.chunks(ids):  # an import's tens of thousands: a few thousand a query
        SuspectedDuplicate.objects.filter(Q(person_id__in=chunk) | Q(other_id__in=chunk)).delete()
    people = matching.recorded_people(force_id=force_id, ids=ids)
    pool = matching.Pool(matching.recorded_people(force_id=force_id, people=people))
    found = matching.pairs_among(people, pool)
    SuspectedDuplicate.objects.bulk_create(
        [
            SuspectedDuplicate(force_id=force_id, person_id=a, other_id=b, score=c.score, reasons=c.reasons)
            for (a, b), c in sorted(found.items())
        ],
        batch_size=2000,
        ignore_conflicts=True,  # a pair found meanwhile by another person's refresh
    )
    return len(found)


# --- Correcting a person -----------------------------------------------------------------------------

# What a change to an erased person's record is told (retention/erasure.py).
ERASED_PERSON_REFUSAL = (
    "This person's record was erased after a retention review: it cannot be changed or given a new case. "
    "Record the person again if they are arrested again."
)

# Who corrects a person: the police roles that open cases (the decision-maker reads, and decides).
PERSON_CORRECTION_ROLES = frozenset({Role.CASE_WORKER, Role.SUPERVISOR})


def _display(field, value) -> str:
    """A value as the person's page shows it, for the history (never an id)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field == "date_of_birth":
        return f"{value.day} {value:%B %Y}"
    if field == "sex":
        return Sex(value).label
    if field == "ethnicity":
        return value.name
    return str(value)


def _clean_text(value):
    return value.strip() if isinstance(value, str) else value


def _person_lock(person_id, *, actor) -> Person:
    if not actor.has_role(*PERSON_CORRECTION_ROLES):
        raise CaseError("Only case workers and supervisors correct a person's details.")
    try:
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("ethnicity")
            .get(pk=person_id, force_id=actor.organisation_id)
        )
    except Person.DoesNotExist as exc:
        raise CaseError("That person does not exist.") from exc
    if person.is_erased:
        raise CaseError(ERASED_PERSON_REFUSAL)
    if person.merged_into_id:
        raise CaseError("This record was merged into another person's record: correct that record instead.")
    return person


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the change."})
    return reason


def _validate_correction(person, changes: dict) -> dict:
    """The intake rules (a date of birth in the past, a well-formed PNC ID no one else in the force
    holds, an interpreter's language), and a date of birth no later than an offence on the person's
    cases. ``changes`` holds only the fields that change."""
    checked = dict(changes)
    if "interpreter_needed" in changes or "interpreter_language" in changes:
        checked.setdefault("interpreter_needed", person.interpreter_needed)
        checked.setdefault("interpreter_language", person.interpreter_language)
    checked = _validate_person(
        checked,
        force=person.force_id,
        exclude_pk=person.pk,
        pnc_clash_message="Another person recorded by your force has this PNC ID. Check the number, or ask "
        "a supervisor whether the two records are the same person.",
    )
    dob = checked.get("date_of_birth")
    if dob:
        earliest = CaseOffence.objects.filter(case__person=person).aggregate(first=Min("offence_date"))[
            "first"
        ]
        if earliest and dob > earliest:
            raise ValidationError(
                {
                    "date_of_birth": "The date of birth cannot be after the offence on "
                    f"{earliest.day} {earliest:%B %Y} recorded on the person's case."
                }
            )
    return {field: checked[field] for field in changes}


def _person_changed(person, *, actor, rows: list[PersonChange]):
    """Write the history rows and the audit row of one correction. The audit row names the fields,
    never their values or the reason typed (audit rows cannot be erased; the history is erased with
    the person)."""
    PersonChange.objects.bulk_create(rows)
    fields = sorted({row.field for row in rows})
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=person,
        changes=field_changes(
            {row.field: row.old_value for row in rows},
            {row.field: row.new_value for row in rows},
            free_text=set(fields),
        ),
        reason=f"Person corrected: {', '.join(PersonChange(field=f).field_label.lower() for f in fields)}",
    )


@transaction.atomic
def person_correct(*, person_id, actor, changes: dict, reason: str) -> list[PersonChange]:
    """Correct some of a person's details (``changes``: field name to new value, fields of
    ``PERSON_FIELDS``), with the reason. Writes one history row per field that changed and one audit
    row. Returns the history rows: none when nothing would change (a repeated submission is harmless)."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise CaseError(f"These details cannot be corrected here: {', '.join(sorted(unknown))}.")
    reason = _require_reason(reason)
    person = _person_lock(person_id, actor=actor)
    changes = {field: _clean_text(value) for field, value in changes.items()}
    if changes.get("pnc_id"):
        try:
            changes["pnc_id"] = normalise_pnc_id(changes["pnc_id"])
        except ValidationError as exc:
            raise ValidationError({"pnc_id": exc.messages[0]}) from exc
    if changes.get("ethnicity") == "":
        changes["ethnicity"] = None
    changed = {field: value for field, value in changes.items() if getattr(person, field) != value}
    if not changed:
        return []
    changed = _validate_correction(person, changed)
    before = {field: getattr(person, field) for field in changed}
    for field, value in changed.items():
        setattr(person, field, value)
    person.full_clean(exclude=["force", "created_by", "submission_token"])
    try:
        with transaction.atomic():
            person.save(update_fields=[*changed, *_set_match_keys(person)])
    except IntegrityError as exc:  # another person was given the PNC ID meanwhile
        raise ValidationError({"pnc_id": "A person with this PNC ID has just been recorded."}) from exc
    if MATCHED_FIELDS & set(changed):
        person_duplicates_refresh(person_ids=[person.pk], force_id=person.force_id)
    now = timezone.now()
    rows = [
        PersonChange(
            person=person,
            field=field,
            old_value=_display(field, before[field]),
            new_value=_display(field, value),
            reason=reason,
            changed_by=actor,
            changed_at=now,
        )
        for field, value in changed.items()
    ]
    _person_changed(person, actor=actor, rows=rows)
    return rows


@transaction.atomic
def person_alias_add(*, person_id, actor, given_names: str, family_name: str, reason: str) -> PersonAlias:
    """Add another name the person uses. Adding one already current does nothing and returns it."""
    reason = _require_reason(reason)
    given_names, family_name = (given_names or "").strip(), (family_name or "").strip()
    if not family_name:
        raise ValidationError({"family_name": "Enter the family name of the alias."})
    person = _person_lock(person_id, actor=actor)
    name = f"{given_names} {family_name}".strip()
    if name.casefold() == person.full_name.casefold():
        raise ValidationError({"family_name": "This is the person's own name, not an alias."})
    current = person.aliases.filter(
        given_names__iexact=given_names, family_name__iexact=family_name, ended_at=None
    ).first()
    if current is not None:
        return current
    alias = PersonAlias(person=person, given_names=given_names, family_name=family_name)
    alias.full_clean()
    alias.save()
    person_duplicates_refresh(person_ids=[person.pk], force_id=person.force_id)
    row = PersonChange(
        person=person,
        field="alias_added",
        new_value=name,
        reason=reason,
        changed_by=actor,
        changed_at=timezone.now(),
    )
    _person_changed(person, actor=actor, rows=[row])
    return alias


@transaction.atomic
def person_alias_end(*, person_id, alias_id, actor, reason: str) -> PersonAlias:
    """End an alias: it is kept, with who ended it, when and why. Ending one already ended does nothing."""
    reason = _require_reason(reason)
    person = _person_lock(person_id, actor=actor)
    try:
        alias = PersonAlias.objects.select_for_update().get(pk=alias_id, person=person)
    except PersonAlias.DoesNotExist as exc:
        raise CaseError("That alias does not exist.") from exc
    if not alias.is_current:
        return alias
    now = timezone.now()
    alias.ended_at, alias.ended_by, alias.end_reason = now, actor, reason
    alias.save(update_fields=["ended_at", "ended_by", "end_reason"])
    person_duplicates_refresh(person_ids=[person.pk], force_id=person.force_id)
    row = PersonChange(
        person=person,
        field="alias_ended",
        old_value=str(alias),
        reason=reason,
        changed_by=actor,
        changed_at=now,
    )
    _person_changed(person, actor=actor, rows=[row])
    return alias


# --- Merging two records of one person (issue 14, part 3) --------------------------------------------

# Who merges records, and undoes a merge: supervisors, who oversee the force's records.
PERSON_MERGE_ROLES = frozenset({Role.SUPERVISOR})

# The details compared side by side, each kept whole from one record or the other: a name as written
# (given and family names together), an address with its postcode, a need with its notes.
MERGE_DETAILS = {
    "name": ("given_names", "family_name"),
    "date_of_birth": ("date_of_birth",),
    "sex": ("sex",),
    "ethnicity": ("ethnicity",),
    "pnc_id": ("pnc_id",),
    "address": ("address", "postcode"),
    "phone": ("phone",),
    "email": ("email",),
    "vulnerability": ("vulnerable", "vulnerability_notes"),
    "interpreter": ("interpreter_needed", "interpreter_language"),
}
MERGE_DETAIL_LABELS = {
    "name": "Name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "pnc_id": "PNC ID",
    "address": "Address",
    "phone": "Phone number",
    "email": "Email address",
    "vulnerability": "Vulnerability",
    "interpreter": "Interpreter",
}


def merge_detail_display(person, detail) -> str:
    """A detail of the person as the merge page shows it ('' when not recorded)."""
    fields = MERGE_DETAILS[detail]
    if detail == "name":
        return person.full_name
    if detail == "address":
        return "\n".join(v for v in (person.address, person.postcode) if v)
    if detail in ("vulnerability", "interpreter"):
        flag, words = (getattr(person, f) for f in fields)
        if not flag:
            return "No"
        return f"Yes: {words}" if words else "Yes"
    return _display(fields[0], getattr(person, fields[0]))


def _raw(person, field):
    return getattr(person, Person._meta.get_field(field).attname)


def merge_details_differing(kept, merged) -> list[str]:
    """The details on which two records differ, in the page's order."""
    return [
        detail
        for detail, fields in MERGE_DETAILS.items()
        if any(_raw(kept, f) != _raw(merged, f) for f in fields)
    ]


def merge_detail_choosable(kept, merged, detail) -> bool:
    """Whether the supervisor chooses this detail: it differs, and it is not a PNC ID only one record
    has (a PNC ID is never dropped: the kept record takes the only one)."""
    if detail == "pnc_id" and not (kept.pnc_id and merged.pnc_id):
        return False
    return detail in merge_details_differing(kept, merged)


def _stored(person) -> dict:
    """The person's details as stored, JSON-safe: dates in ISO form, the ethnic group by id."""
    values = {}
    for name in PERSON_FIELDS:
        value = _raw(person, name)
        values[name] = value.isoformat() if isinstance(value, date) else value
    return values


def _people_lock(person_ids, *, actor) -> dict:
    """Lock the people's rows one at a time, the lowest id first, so that two merges of the same two
    records (from either side) or of overlapping pairs wait for each other instead of deadlocking.
    Another force's person does not exist."""
    if not actor.has_role(*PERSON_MERGE_ROLES):
        raise CaseError("Only supervisors merge people's records.")
    locked = {}
    for pk in sorted(set(person_ids)):
        try:
            locked[pk] = (
                Person.objects.select_for_update(of=("self",))
                .select_related("ethnicity")
                .get(pk=pk, force_id=actor.organisation_id)
            )
        except Person.DoesNotExist as exc:
            raise CaseError("That person does not exist.") from exc
    return locked


def _alias_key(given, family, pnc_id):
    return (given.strip().casefold(), family.strip().casefold(), pnc_id)


def _merge_refusal(kept, merged, *, choices, pnc_confirmed) -> None:
    """The rules a merge must pass, as messages on the merge form."""
    if kept.is_erased or merged.is_erased:
        raise CaseError("An erased record cannot be merged: there is nothing left of it to keep.")
    if kept.merged_into_id:
        raise CaseError(
            f"{kept.full_name}'s record was itself merged into another record: merge into that one instead."
        )
    if merged.merged_into_id:
        raise CaseError(f"{merged.full_name}'s record was already merged into another record.")
    if kept.pnc_id and merged.pnc_id and not pnc_confirmed:
        raise ValidationError(
            {
                "pnc_confirmed": f"The records have different PNC IDs ({kept.pnc_id} and {merged.pnc_id}). "
                "Merge them only once the PNC shows they are the same person, and confirm that you have "
                "checked."
            }
        )
    missing = [
        MERGE_DETAIL_LABELS[d].lower()
        for d in MERGE_DETAILS
        if merge_detail_choosable(kept, merged, d) and d not in choices
    ]
    if missing:
        raise CaseError(f"Choose which record's value to keep for: {', '.join(missing)}.")


@transaction.atomic
def person_merge(
    *,
    actor,
    kept_id,
    merged_id,
    choices: dict,
    reason: str,
    pnc_confirmed: bool = False,
    submission_token=None,
) -> PersonMerge:
    """Merge the record ``merged_id`` into ``kept_id``: two records of one person made one.

    ``choices`` says, for each detail of ``MERGE_DETAILS`` on which the records differ, which record's
    value is kept: ``"kept"`` or ``"merged"`` (a PNC ID only one record has is always kept). The kept
    record takes the chosen values and everything that hangs off the other record: its cases, its
    aliases (but for those the kept record already has), and what the apps above hold of it (announced
    as ``PersonMerged``: the police records of reporting). The names and PNC ID no longer the kept
    record's become its aliases. The other record is kept, pointing to it (``merged_into``), without its
    PNC ID (unique in a force), and drops out of every list, search and match.

    Writes the history of both records (a row per detail of the kept record that changed, with the
    reason), a timeline event on every case moved, and an audit row for each record; returns the
    ``PersonMerge``, which holds what undoing it needs. Both rows are locked, lowest id first. A
    repeated submission, or a second supervisor merging the same records, returns the merge already
    made."""
    if not actor.has_role(*PERSON_MERGE_ROLES):
        raise CaseError("Only supervisors merge people's records.")
    if submission_token and (done := PersonMerge.objects.filter(submission_token=submission_token).first()):
        if done.merged_by_id != actor.pk or done.force_id != actor.organisation_id:
            raise CaseError("This form has already been used. Start again.")
        return done
    reason = _require_reason(reason)
    unknown = {d for d, side in choices.items() if d not in MERGE_DETAILS or side not in ("kept", "merged")}
    if unknown:
        raise CaseError(f"These details cannot be chosen here: {', '.join(sorted(unknown))}.")
    try:
        kept_id, merged_id = int(kept_id), int(merged_id)
    except (TypeError, ValueError) as exc:
        raise CaseError("That person does not exist.") from exc
    if kept_id == merged_id:
        raise CaseError("A record cannot be merged into itself: choose another person.")
    people = _people_lock([kept_id, merged_id], actor=actor)
    kept, merged = people[kept_id], people[merged_id]
    if merged.merged_into_id == kept.pk:  # already done: a repeated submission, or two supervisors at once
        return PersonMerge.objects.get(merged=merged, undone_at=None)
    _merge_refusal(kept, merged, choices=choices, pnc_confirmed=pnc_confirmed)
    from_merged = sorted(
        d for d in MERGE_DETAILS if merge_detail_choosable(kept, merged, d) and choices.get(d) == "merged"
    )
    if not kept.pnc_id and merged.pnc_id:
        from_merged = sorted({*from_merged, "pnc_id"})

    # The kept record's details after the merge, checked as a correction would be.
    new_values = {f: getattr(merged, f) for d in from_merged for f in MERGE_DETAILS[d]}
    changed = {f: v for f, v in new_values.items() if getattr(kept, f) != v}
    _merge_date_of_birth_check(kept, merged, changed.get("date_of_birth", kept.date_of_birth))
    before = {"kept": _stored(kept), "merged": _stored(merged)}
    shown_before = {f: _display(f, getattr(kept, f)) for f in changed}
    identities = [
        (kept.given_names, kept.family_name, kept.pnc_id),
        (merged.given_names, merged.family_name, merged.pnc_id),
    ]
    merged_shown = (
        f"{merged.full_name}, born {_display('date_of_birth', merged.date_of_birth)}, "
        f"PNC ID {merged.pnc_id or 'not recorded'}"
    )
    now = timezone.now()

    # The merged record gives up its PNC ID first: the kept record may be taking it.
    merged_fields = ["merged_into"]
    if merged.pnc_id:
        merged.pnc_id = ""
        merged_fields.append("pnc_id")
    merged.merged_into = kept
    merged.save(update_fields=merged_fields)
    for field, value in changed.items():
        setattr(kept, field, value)
    if changed:
        kept.save(update_fields=list(changed))

    case_ids, alias_ids, known = _merge_move(kept, merged, now=now)
    moved = {"cases": case_ids, "aliases": alias_ids}
    for result in announce(PersonMerged(kept_id=kept.pk, merged_id=merged.pk)):
        moved.update(result or {})
    added = _merge_new_aliases(kept, identities, known=known)
    if keys := _set_match_keys(kept):
        kept.save(update_fields=keys)
    # The merged record is no longer matched; the kept one is matched again with its new aliases.
    person_duplicates_refresh(person_ids=[kept.pk, merged.pk], force_id=kept.force_id)

    # The history of both records, with the reason.
    rows = [
        PersonChange(person=kept, field=f, old_value=shown_before[f], new_value=_display(f, v))
        for f, v in changed.items()
    ]
    rows.append(
        PersonChange(
            person=kept,
            field="merged_from",
            new_value=f"{merged_shown}: {_count(len(case_ids), 'case')} and "
            f"{_count(len(alias_ids), 'alias')} moved to this record",
        )
    )
    rows += [PersonChange(person=kept, field="alias_added", new_value=str(alias)) for alias in added]
    rows.append(PersonChange(person=merged, field="merged_into", new_value=kept.full_name))
    if "pnc_id" in merged_fields:
        rows.append(PersonChange(person=merged, field="pnc_id", old_value=identities[1][2], new_value=""))
    for row in rows:
        row.reason, row.changed_by, row.changed_at = reason, actor, now
    PersonChange.objects.bulk_create(rows)
    last_change_id = PersonChange.objects.filter(person__in=[kept, merged]).aggregate(last=Max("pk"))["last"]

    merge = PersonMerge(
        force_id=actor.organisation_id,
        kept=kept,
        merged=merged,
        from_merged=from_merged,
        before=before,
        after={"kept": _stored(kept), "merged": _stored(merged)},
        moved=moved,
        aliases_added=[a.pk for a in added],
        last_change_id=last_change_id,
        reason=reason,
        merged_by=actor,
        merged_at=now,
        submission_token=submission_token,
    )
    try:
        with transaction.atomic():
            merge.save()
    except IntegrityError as exc:  # the token of another merge: a form used twice
        raise CaseError("This form has already been used. Start again.") from exc
    _merge_case_events(
        case_ids,
        actor=actor,
        code=EventCode.PERSON_MERGED,
        summary=f"Person's records merged: {merged.full_name}'s record (#{merged.pk}) into "
        f"{kept.full_name}'s (#{kept.pk})",
        reason=reason,
        details={"merge": merge.pk, "from_person": merged.pk, "to_person": kept.pk},
    )
    _merge_audit(merge, kept=kept, merged=merged, actor=actor, changed=changed, shown_before=shown_before)
    return merge


def _merge_date_of_birth_check(kept, merged, dob) -> None:
    """The date of birth kept may not be after an offence recorded on either record's cases."""
    offences = CaseOffence.objects.filter(case__person__in=[kept, merged])
    earliest = offences.aggregate(first=Min("offence_date"))["first"]
    if earliest and dob > earliest:
        raise ValidationError(
            {
                "date_of_birth": f"The date of birth kept ({_display('date_of_birth', dob)}) is after the "
                f"offence on {_display('date_of_birth', earliest)} recorded on one of the cases: keep the "
                "other one."
            }
        )


def _merge_move(kept, merged, *, now) -> tuple[list, list, set]:
    """Everything that hangs off the merged record moves to the kept one: its cases, and its aliases but
    for those the kept record already has or that are now its own name. Returns the cases' and
    aliases' ids and every identity the kept record is now known by."""
    case_ids = list(
        Case.objects.select_for_update().filter(person=merged).order_by("pk").values_list("pk", flat=True)
    )
    Case.objects.filter(pk__in=case_ids).update(person=kept, updated_at=now)
    held = {
        _alias_key(a.given_names, a.family_name, a.pnc_id)
        for a in PersonAlias.objects.filter(person=kept, ended_at=None)
    }
    held.add(_alias_key(kept.given_names, kept.family_name, ""))
    merged_aliases = list(PersonAlias.objects.filter(person=merged).order_by("pk"))
    alias_ids = [
        a.pk
        for a in merged_aliases
        if not a.is_current or _alias_key(a.given_names, a.family_name, a.pnc_id) not in held
    ]
    PersonAlias.objects.filter(pk__in=alias_ids).update(person=kept)
    known = held | {
        _alias_key(a.given_names, a.family_name, a.pnc_id) for a in merged_aliases if a.is_current
    }
    return case_ids, alias_ids, known


def _merge_new_aliases(kept, identities, *, known: set) -> list:
    """The names and PNC IDs the kept record no longer has become its aliases (saved; returned)."""
    final_name = _alias_key(kept.given_names, kept.family_name, "")[:2]
    added = []
    for given, family, pnc_id in identities:
        other_name = _alias_key(given, family, "")[:2] != final_name
        alias = PersonAlias(
            person=kept,
            given_names=given if other_name else "",
            family_name=family if other_name else "",
            pnc_id=pnc_id if pnc_id and pnc_id != kept.pnc_id else "",
        )
        key = _alias_key(alias.given_names, alias.family_name, alias.pnc_id)
        if (alias.family_name or alias.pnc_id) and key not in known:
            known.add(key)
            added.append(alias)
    for alias in added:
        alias.save()
    return added


def _count(n, noun):
    plural = "aliases" if noun == "alias" else f"{noun}s"
    return f"{n} {noun if n == 1 else plural}"


def _merge_case_events(case_ids, *, actor, code, summary, reason, details):
    """One timeline event on each case moved (one insert however many)."""
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case_id,
            code=code,
            actor=actor,
            actor_organisation_id=actor.organisation_id,
            summary=summary[:300],
            notes=reason,
            details=details,
        )
        for case_id in case_ids
    )


def _merge_audit(merge, *, kept, merged, actor, changed, shown_before, undone=False):
    """An audit row for each record: which fields of the kept one changed (never their values or the
    reason typed: the history holds those, and goes with the person), what moved, by number."""
    moved = merge.moved
    what = ", ".join(f"{name.replace('_', ' ')} {len(ids)}" for name, ids in sorted(moved.items()))
    fields = sorted(changed)
    labels = ", ".join(PersonChange(field=f).field_label.lower() for f in fields)
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=kept,
        changes=field_changes(
            {f: shown_before[f] for f in fields},
            {f: _display(f, getattr(kept, f)) for f in fields},
            free_text=set(fields),
        ),
        reason=(
            f"Merge of person #{merged.pk} into this record undone; moved back: {what}"
            if undone
            else f"Person #{merged.pk} merged into this record; moved: {what}"
        )
        + (f"; changed: {labels}" if fields else ""),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=merged,
        reason=f"Merge into person #{kept.pk} undone" if undone else f"Record merged into person #{kept.pk}",
    )


def person_merge_undo_refusal(merge, *, kept=None, merged=None) -> str | None:
    """Why the merge cannot be undone now, or None. A merge is undone only while neither record has
    changed since: no history row after the merge's own (a correction, an alias, another merge), the
    details of both exactly as the merge left them (whatever wrote them), the cases and aliases it moved
    and added where it left them, and nothing an app above holds in the way (``PersonMergeUndoAsked``)."""
    if not merge.is_live:
        return "This merge has already been undone."
    kept = kept or merge.kept
    merged = merged or merge.merged
    if merged.merged_into_id != kept.pk:
        return f"{merged.full_name}'s record is no longer merged into {kept.full_name}'s."
    if kept.merged_into_id:
        return f"{kept.full_name}'s record has since been merged into another record: undo that merge first."
    changed = (
        PersonChange.objects.filter(person__in=[kept.pk, merged.pk], pk__gt=merge.last_change_id).exists()
        or _stored(kept) != merge.after.get("kept")
        or _stored(merged) != merge.after.get("merged")
    )
    if changed:
        return (
            "One of the records has changed since the merge (see their history of changes). A merge can be "
            "undone only while neither record has changed: correct the kept record instead."
        )
    case_ids = merge.moved.get("cases", [])
    if case_ids and Case.objects.filter(pk__in=case_ids, person=kept).count() != len(case_ids):
        return "A case the merge moved is no longer on the kept record."
    aliases = merge.moved.get("aliases", [])
    added = merge.aliases_added
    if aliases or added:
        in_place = PersonAlias.objects.filter(person=kept).filter(
            Q(pk__in=aliases) | Q(pk__in=added, ended_at=None)
        )
        if in_place.count() != len(aliases) + len(added):
            return "An alias the merge moved or added has changed since: correct the record instead."
    for refusal in announce(
        PersonMergeUndoAsked(
            merge_id=merge.pk, kept_id=kept.pk, merged_id=merged.pk, merged_at=merge.merged_at
        )
    ):
        if refusal:
            return refusal
    return None


@transaction.atomic
def person_merge_undo(*, merge_id, actor, reason: str) -> PersonMerge:
    """Undo a merge while neither record has changed since (``person_merge_undo_refusal``): both records
    get back the details they had, the merged one its PNC ID and its place in lists and searches, and
    the cases, aliases and police records the merge moved go back to it; the aliases it added are
    removed. Writes the history of both (the kept record's details that change back, with the reason),
    a timeline event on each case moved back, and an audit row for each. Undoing a merge already undone
    does nothing and returns it."""
    if not actor.has_role(*PERSON_MERGE_ROLES):
        raise CaseError("Only supervisors undo a merge.")
    reason = _require_reason(reason)
    found = PersonMerge.objects.filter(pk=merge_id, force_id=actor.organisation_id).values_list(
        "kept_id", "merged_id"
    )
    if not found:
        raise CaseError("That merge does not exist.")
    ((kept_id, merged_id),) = found
    people = _people_lock([kept_id, merged_id], actor=actor)
    kept, merged = people[kept_id], people[merged_id]
    merge = PersonMerge.objects.select_for_update().get(pk=merge_id)
    if not merge.is_live:
        return merge
    refusal = person_merge_undo_refusal(merge, kept=kept, merged=merged)
    if refusal:
        raise CaseError(refusal)
    now = timezone.now()
    kept_before = merge.before["kept"]
    changed = [f for f in PERSON_FIELDS if merge.after["kept"][f] != kept_before[f]]
    ethnicities = Ethnicity.objects.in_bulk(
        [v for v in (kept_before["ethnicity"], merge.before["merged"]["ethnicity"]) if v]
    )
    shown_before = {f: _display(f, getattr(kept, f)) for f in changed}
    _restore(kept, kept_before, ethnicities)
    if changed:
        kept.save(update_fields=changed)
    restored_pnc = merge.before["merged"]["pnc_id"]
    _restore(merged, merge.before["merged"], ethnicities)
    merged.merged_into = None
    merged.save(update_fields=["merged_into", *(["pnc_id"] if restored_pnc else [])])

    case_ids = merge.moved.get("cases", [])
    Case.objects.filter(pk__in=case_ids).update(person=merged, updated_at=now)
    PersonAlias.objects.filter(pk__in=merge.moved.get("aliases", [])).update(person=merged)
    added = {a.pk: str(a) for a in PersonAlias.objects.filter(pk__in=merge.aliases_added)}
    PersonAlias.objects.filter(pk__in=merge.aliases_added).delete()
    announce(PersonMergeUndone(merge_id=merge.pk, kept_id=kept.pk, merged_id=merged.pk, moved=merge.moved))
    for person in (kept, merged):
        if keys := _set_match_keys(person):
            person.save(update_fields=keys)
    person_duplicates_refresh(person_ids=[kept.pk, merged.pk], force_id=kept.force_id)

    _merge_undo_history(
        kept,
        merged,
        changed=changed,
        shown_before=shown_before,
        aliases_removed=list(added.values()),
        cases=len(case_ids),
        restored_pnc=restored_pnc,
        reason=reason,
        actor=actor,
        now=now,
    )

    merge.undone_at, merge.undone_by, merge.undo_reason = now, actor, reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    _merge_case_events(
        case_ids,
        actor=actor,
        code=EventCode.PERSON_MERGE_UNDONE,
        summary=f"Merge of the person's records undone: the case is back on {merged.full_name}'s record "
        f"(#{merged.pk})",
        reason=reason,
        details={"merge": merge.pk, "from_person": kept.pk, "to_person": merged.pk},
    )
    _merge_audit(
        merge, kept=kept, merged=merged, actor=actor, changed=changed, shown_before=shown_before, undone=True
    )
    return merge


def _merge_undo_history(
    kept, merged, *, changed, shown_before, aliases_removed, cases, restored_pnc, reason, actor, now
) -> None:
    """Both records' history of an undone merge: the kept record's details changed back, the aliases
    the merge added and removed now, and the merged record's PNC ID given back."""
    rows = [
        PersonChange(person=kept, field=f, old_value=shown_before[f], new_value=_display(f, getattr(kept, f)))
        for f in changed
    ]
    rows += [PersonChange(person=kept, field="alias_removed", old_value=name) for name in aliases_removed]
    rows.append(
        PersonChange(
            person=kept,
            field="merge_undone",
            old_value=f"{merged.full_name}: {_count(cases, 'case')} moved back to their own record",
        )
    )
    rows.append(PersonChange(person=merged, field="merge_undone", old_value=f"Merged into {kept.full_name}"))
    if restored_pnc:
        rows.append(PersonChange(person=merged, field="pnc_id", old_value="", new_value=restored_pnc))
    for row in rows:
        row.reason, row.changed_by, row.changed_at = reason, actor, now
    PersonChange.objects.bulk_create(rows)


def _restore(person, values: dict, ethnicities: dict) -> None:
    """Set the person's details back to ``_stored`` values (the ethnic groups read beforehand)."""
    for name, value in values.items():
        field = Person._meta.get_field(name)
        if name == "ethnicity":
            person.ethnicity = ethnicities.get(value) if value else None
        else:
            setattr(person, name, field.to_python(value))


def _already_submitted(record, actor):
    if record.created_by_id != actor.pk:
        raise CaseError("This form has already been used. Start again.")
    return record


# --- Cases ------------------------------------------------------------------------------------------


def _next_reference(prefix: str, year: int) -> str:
    counter, _ = ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{prefix}-{year}-{counter.last_number:06d}"


@dataclass
class OffenceEntry:
    offence: object
    offence_date: date
    details: str = ""


def _validate_case(*, actor, scheme, area, owner, person, arrest_date, offences):
    errors = {}
    force_id = actor.organisation_id
    today = timezone.localdate()
    if scheme.force_id != force_id or not scheme.is_active:
        errors["scheme"] = "Choose one of your force's active schemes."
    if area.force_id != force_id:
        errors["area"] = "Choose an area of your force."
    if owner.organisation_id != force_id or not owner.has_role(Role.CASE_WORKER):
        errors["owner"] = "Choose a case worker in your force."
    if person.force_id != force_id:
        errors["person"] = "Choose a person recorded by your force."
    elif person.merged_into_id:
        errors["person"] = "This record was merged into another person's record: open the case on that one."
    if arrest_date and arrest_date > today:
        errors["arrest_date"] = "The arrest or report date cannot be in the future."
    if not offences:
        errors["offences"] = "Add at least one offence."
    for entry in offences:
        if entry.offence_date > today:
            errors["offences"] = "An offence date cannot be in the future."
        elif arrest_date and entry.offence_date > arrest_date:
            errors["offences"] = (
                f"The offence date ({entry.offence_date:%d %B %Y}) must be on or before the arrest or report "
                f"date ({arrest_date:%d %B %Y})."
            )
        elif entry.offence_date < person.date_of_birth:
            errors["offences"] = "An offence date cannot be before the person's date of birth."
        elif entry.offence.group in scheme.excluded_offence_groups:
            group = OffenceGroup(entry.offence.group).label
            errors["offences"] = (
                f"{scheme.name} does not take offences in the group “{group}” ({entry.offence})."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_create(
    *,
    actor,
    person,
    scheme,
    area,
    owner,
    arrest_date,
    offences: list[OffenceEntry],
    submission_token=None,
    send_for_decision: bool = False,
    **details,
) -> Case:
    """Open a case at intake and, with ``send_for_decision``, send it for its eligibility decision in
    the same transaction (both or neither). ``details``: victim_type, victim_views,
    victim_views_obtained_on, victim_rj_consent, flags, previous_convictions, previous_cautions,
    lives_in_force_area, circumstances. A repeated submission (same ``submission_token``) returns the
    case already opened, as it is now."""
    if not actor.has_role(Role.CASE_WORKER, Role.SUPERVISOR):
        raise CaseError("Only case workers and supervisors open cases.")
    if submission_token and (done := Case.objects.filter(submission_token=submission_token).first()):
        return _already_submitted(done, actor)
    # The person's row is locked while their case is opened, so that a merge of their record waits for
    # the case (and moves it) or the case waits for the merge (and is refused, below); so does an
    # erasure, whose outcome is read under the lock (the caller's copy of the person may be older).
    locked = Person.objects.select_for_update().filter(pk=person.pk)
    person.merged_into_id, person.erased_at = locked.values_list("merged_into_id", "erased_at").first()
    if person.is_erased:
        raise CaseError(ERASED_PERSON_REFUSAL)
    _validate_case(
        actor=actor,
        scheme=scheme,
        area=area,
        owner=owner,
        person=person,
        arrest_date=arrest_date,
        offences=offences,
    )
    case = Case(
        reference=_next_reference(scheme.code, timezone.localdate().year),
        force_id=actor.organisation_id,
        scheme=scheme,
        area=area,
        owner=owner,
        person=person,
        arrest_date=arrest_date,
        created_by=actor,
        submission_token=submission_token,
        first_summary_offence_date=first_summary_offence_date_of(offences),
        **offence_classes_of(offences),
        **details,
    )
    case.full_clean(exclude=["force", "created_by", "reference", "submission_token"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # a simultaneous submission of the same form won the race
        done = Case.objects.filter(submission_token=submission_token).first() if submission_token else None
        if done is None:
            raise
        return _already_submitted(done, actor)
    _case_opened(case, offences, actor=actor)
    if send_for_decision:
        case_submit_for_decision(case_id=case.pk, actor=actor)
        case.refresh_from_db(fields=["status"])
    return case


def _case_opened(case, offences: list[OffenceEntry], *, actor) -> None:
    """A new case's offences, its first timeline event and its audit row."""
    CaseOffence.objects.bulk_create(
        CaseOffence(case=case, offence=e.offence, offence_date=e.offence_date, details=e.details)
        for e in offences
    )
    case_event_record(
        case,
        code=EventCode.CASE_OPENED,
        actor=actor,
        summary=f"Case opened on {case.scheme.name} for {', '.join(str(e.offence) for e in offences)}",
        after=CaseStatus.INTAKE,
    )
    audit_record(actor=actor, action=AuditAction.CREATED, obj=case, reason="Case opened")


def case_lock(case_id, *, force_id) -> Case:
    try:
        return (
            Case.objects.select_for_update()
            .select_related("scheme", "person")
            .get(pk=case_id, force_id=force_id)
        )
    except Case.DoesNotExist as exc:
        raise CaseError("That case does not exist.") from exc


def case_transition(
    case: Case,
    *,
    to: str,
    actor=None,
    system=False,
    code=EventCode.STATUS_CHANGED,
    summary="",
    notes="",
    details=None,
    at=None,
) -> bool:
    """Move a case already locked by the caller. Returns False (and does nothing) when the case is
    already in that status; raises TransitionNotAllowed when the table does not allow the move.
    ``at``: when the timeline says it happened (a job run for a chosen day), else now."""
    if case.status == to:
        return False
    before = case.status
    try:
        check_transition(before, to, actor=actor, system=system)
    except TransitionNotAllowed as exc:
        raise CaseError(str(exc)) from exc
    case.status = to
    case.save(update_fields=["status", "updated_at"])
    case_event_record(
        case,
        code=code,
        actor=actor,
        summary=summary or f"Status changed to {CaseStatus(to).label}",
        notes=notes,
        details=details,
        before=before,
        after=to,
        at=at,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=case,
        changes={"status": [before, to]},
        reason=summary or EventCode(code).label,
    )
    return True


@transaction.atomic
def case_submit_for_decision(*, case_id, actor, notes="") -> Case:
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.status == CaseStatus.AWAITING_DECISION:
        return case
    case_transition(
        case,
        to=CaseStatus.AWAITING_DECISION,
        actor=actor,
        code=EventCode.SUBMITTED_FOR_DECISION,
        summary="Sent for an eligibility decision",
        notes=notes,
    )
    return case


@transaction.atomic
def case_withdraw(*, case_id, actor, reason: str) -> Case:
    if not reason.strip():
        raise CaseError("Give the reason the case is withdrawn.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    case_transition(
        case,
        to=CaseStatus.WITHDRAWN,
        actor=actor,
        code=EventCode.WITHDRAWN,
        summary="Case withdrawn",
        notes=reason,
    )
    # What the apps above hold open for the case is closed with it (referrals: withdrawn).
    announce(CaseWithdrawn(case=case))
    return case


# --- The eligibility decision -----------------------------------------------------------------------


OUTCOME_STATUS = {
    DecisionOutcome.ELIGIBLE: CaseStatus.ASSESSMENT,
    DecisionOutcome.INELIGIBLE: CaseStatus.INELIGIBLE,
    DecisionOutcome.DECLINED: CaseStatus.DECLINED,
}


@transaction.atomic
def eligibility_decide(
    *,
    case_id,
    actor,
    based_on: int | None,
    outcome: str,
    evidence_person_committed: bool,
    sufficient_evidence_to_charge: bool,
    authority: str,
    admission: str,
    gravity_adjustment: int,
    rationale: str,
    prosecutor_reference: str = "",
    time_limit_acknowledged: bool = False,
    decision_date: date | None = None,
) -> EligibilityDecision:
    """Record a decision. ``based_on`` is the id of the current decision the decision-maker saw
    (None if none): if another decision was recorded meanwhile, this one is refused, so two people
    deciding at once cannot both succeed."""
    if not actor.has_role(Role.DECISION_MAKER):
        raise CaseError("Only decision-makers record eligibility decisions.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    current = _decision_current(case, based_on=based_on)
    if not rationale.strip():
        raise ValidationError({"rationale": "Explain the reasons for the decision."})

    decision_date = decision_date or timezone.localdate()
    offences = list(case.offences.select_related("offence"))
    assessment = assess_eligibility(
        case, offences, on=decision_date, gravity_adjustment=gravity_adjustment, admission=admission
    )
    time_limit = case_time_limit(case, offences, start=decision_date)
    answers = {
        "outcome": outcome,
        "evidence_person_committed": evidence_person_committed,
        "sufficient_evidence_to_charge": sufficient_evidence_to_charge,
        "authority": authority,
        "prosecutor_reference": prosecutor_reference,
        "admission": admission,
        "gravity_adjustment": gravity_adjustment,
        "rationale": rationale,
        "time_limit_acknowledged": time_limit_acknowledged,
    }
    errors = _decision_errors(assessment, time_limit, **answers)
    if errors:
        raise ValidationError(errors)
    reasons = ["declined"] if outcome == DecisionOutcome.DECLINED else [c.code for c in assessment.failures]
    decision = EligibilityDecision.objects.create(
        case=case,
        decided_by=actor,
        decision_date=decision_date,
        **answers,
        gravity_score=assessment.gravity_score,
        criteria=[c.as_dict() for c in assessment.criteria],
        reasons=reasons if outcome != DecisionOutcome.ELIGIBLE else [],
        latest_proceedings_date=time_limit.latest_proceedings_date if time_limit else None,
        supersedes=current,
    )
    _decision_recorded(case, decision, actor=actor, superseded=current)
    return decision


def _decision_current(case, *, based_on):
    """The case's current decision, if the decision-maker saw it (``based_on``) and the case can be
    decided now; otherwise the decision is refused."""
    from .workflow import DECIDABLE_STATUSES

    current = case.decisions.filter(superseded_by__isnull=True).order_by("-decided_at", "-id").first()
    if (current.pk if current else None) != based_on:
        raise CaseError(
            "Another decision was recorded on this case while you were deciding. "
            "Review it before deciding again."
        )
    if case.status not in DECIDABLE_STATUSES:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot be decided.")
    return current


def _decision_errors(
    assessment,
    time_limit,
    *,
    outcome,
    evidence_person_committed,
    sufficient_evidence_to_charge,
    authority,
    prosecutor_reference,
    time_limit_acknowledged,
    **_,
) -> dict:
    """What stands in the way of the decision, by form field: an eligible decision needs the rules met,
    the evidence and, where the offence asks for it, the prosecutor's authority; the six-month limit
    must have been seen."""
    errors = {}
    if outcome == DecisionOutcome.ELIGIBLE:
        if assessment.failures:
            errors["outcome"] = "The case is not eligible: " + " ".join(
                c.explanation for c in assessment.failures
            )
        if not evidence_person_committed:
            errors["evidence_person_committed"] = (
                "A conditional caution needs evidence the person committed it."
            )
        if not sufficient_evidence_to_charge:
            errors["sufficient_evidence_to_charge"] = "A conditional caution needs enough evidence to charge."
        if assessment.needs_prosecutor_authority:
            if authority != "prosecutor":
                errors["authority"] = (
                    "This offence needs the prosecutor's authority for a conditional caution."
                )
            elif not prosecutor_reference.strip():
                errors["prosecutor_reference"] = "Enter the prosecutor's authority reference."
    if time_limit and not time_limit_acknowledged:
        errors["time_limit_acknowledged"] = (
            "Confirm you have seen that proceedings must start by "
            f"{time_limit.latest_proceedings_date:%d %B %Y}."
        )
    return errors


def _decision_recorded(case, decision, *, actor, superseded):
    """The decision on the timeline (moving the case to the status its outcome leads to) and in the
    audit log."""
    summary = f"Decided {DecisionOutcome(decision.outcome).label.split(':')[0].lower()}"
    if superseded:
        summary += f" (supersedes the decision of {superseded.decided_at:%d %B %Y})"
    before = case.status
    to = OUTCOME_STATUS[decision.outcome]
    if before == to:
        case_event_record(
            case,
            code=EventCode.DECISION_RECORDED,
            actor=actor,
            summary=summary,
            notes=decision.rationale,
            details={"decision": decision.pk},
            before=before,
            after=to,
        )
    else:
        case_transition(
            case,
            to=to,
            actor=actor,
            code=EventCode.DECISION_RECORDED,
            summary=summary,
            notes=decision.rationale,
            details={"decision": decision.pk, "reasons": decision.reasons},
        )
    audit_record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=decision,
        owner_organisation=case.force,
        object_label=f"Decision on case {case.reference}",
        reason=summary,
    )


# --- Reassignment -----------------------------------------------------------------------------------


def _check_new_owner(actor, to_user):
    if (
        to_user.organisation_id != actor.organisation_id
        or not to_user.is_active
        or not to_user.has_role(Role.CASE_WORKER)
    ):
        raise CaseError("Choose an active case worker in your force.")


@transaction.atomic
def case_reassign(*, case_id, actor, to_user, reason: str) -> Case:
    if not actor.has_role(Role.SUPERVISOR):
        raise CaseError("Only supervisors reassign cases.")
    _check_new_owner(actor, to_user)
    case = case_lock(case_id, force_id=actor.organisation_id)
    if case.owner_id == to_user.pk:
        return case
    if case.status not in REASSIGNABLE_STATUSES:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot be reassigned.")
    before = case.owner
    case.owner = to_user
    case.save(update_fields=["owner", "updated_at"])
    case_event_record(
        case,
        code=EventCode.REASSIGNED,
        actor=actor,
        summary=f"Reassigned from {before} to {to_user}",
        notes=reason,
        details={"from": before.pk, "to": to_user.pk},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=case,
        changes=field_changes({"owner": before.email}, {"owner": to_user.email}),
        reason="Case reassigned",  # the reason given is on the case's timeline, which can be erased
    )
    return case


@transaction.atomic
def caseload_reassign(*, actor, from_user: User, to_user: User, reason: str) -> int:
    """Move every open case of one case worker to another. Set-based: the cases are locked and
    moved in one update, with one timeline event and one audit row each. Returns how many moved."""
    if not actor.has_role(Role.SUPERVISOR):
        raise CaseError("Only supervisors reassign caseloads.")
    if from_user.organisation_id != actor.organisation_id:
        raise CaseError("Choose a case worker in your force.")
    _check_new_owner(actor, to_user)
    if from_user.pk == to_user.pk:
        raise CaseError("Choose a different case worker to receive the caseload.")
    cases = list(
        Case.objects.select_for_update()
        .filter(force_id=actor.organisation_id, owner=from_user, status__in=REASSIGNABLE_STATUSES)
        .only("id", "reference", "force_id")
    )
    if not cases:
        return 0
    now = timezone.now()
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(owner=to_user, updated_at=now)
    summary = f"Reassigned from {from_user} to {to_user} with the whole caseload"
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=c,
            code=EventCode.REASSIGNED,
            actor=actor,
            actor_organisation_id=actor.organisation_id,
            summary=summary,
            notes=reason,
            details={"from": from_user.pk, "to": to_user.pk},
            occurred_at=now,
        )
        for c in cases
    )
    from django.contrib.contenttypes.models import ContentType

    case_type = ContentType.objects.get_for_model(Case)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_label=actor.email,
            actor_organisation_id=actor.organisation_id,
            action=AuditAction.CHANGED,
            content_type=case_type,
            object_id=str(c.pk),
            object_label=f"Case {c.reference}",
            owner_organisation_id=c.force_id,
            changes={"owner": [from_user.email, to_user.email]},
            reason=reason or "Caseload reassigned",
            occurred_at=now,
        )
        for c in cases
    )
    return len(cases)


# --- Correcting a case (issue 14, part 2) -----------------------------------------------------------

# How the case page and the timeline name the fields a correction changes.
CASE_FIELD_LABELS = {
    "arrest_date": "Arrest or report date",
    "flags": "Flags",
    "circumstances": "Circumstances",
    "victim_type": "Victim",
    "victim_views": "Victim's views",
    "victim_views_obtained_on": "Date the victim's views were obtained",
    "victim_rj_consent": "Restorative justice",
    "offences": "Offences",
}
CASE_FREE_TEXT_FIELDS = frozenset({"circumstances", "victim_views"})
_FIELD_PART = {field: part for part, fields in CASE_CORRECTION_PARTS.items() for field in fields}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _case_display(field, value) -> str:
    """A case's value as the case page shows it (free text is never shown: see ``_case_corrected``)."""
    if field in CASE_FREE_TEXT_FIELDS:
        return value or ""
    if value is None or value == "" or value == []:
        return "Not recorded" if field != "flags" else "None"
    if isinstance(value, date):
        return _day(value)
    if field == "flags":
        labels = dict(CaseFlag.choices)
        return ", ".join(labels.get(flag, flag) for flag in value)
    if field == "victim_type":
        return VictimType(value).label
    if field == "victim_rj_consent":
        return RestorativeJusticeConsent(value).label
    return str(value)


def _case_lock_for_correction(case_id, *, actor, parts) -> Case:
    """Lock the case and check that ``actor`` may correct each of ``parts`` of it now."""
    if not actor.has_role(Role.CASE_WORKER, Role.SUPERVISOR, Role.DECISION_MAKER):
        raise CaseError("Only police staff correct a case.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    decided = case.decisions.exists()
    for part in parts:
        if refusal := case_correction_refusal(part, status=case.status, decided=decided, actor=actor):
            raise CaseError(refusal)
    return case


class _Answer:
    """What the rules say about a case before and after a correction of its offences or flags: whether
    the scheme's rules find it eligible (with the current decision's admission and gravity adjustment)
    and the first date the six-month limit runs from."""

    def __init__(self, case, offences, decision):
        self.first_limited = first_summary_offence_date_of(offences)
        self.eligible = None
        if decision is not None:
            self.eligible = assess_eligibility(
                case,
                offences,
                on=timezone.localdate(),
                gravity_adjustment=decision.gravity_adjustment,
                admission=decision.admission,
            ).eligible_by_rules

    @property
    def latest_proceedings_date(self):
        return latest_proceedings_date(self.first_limited) if self.first_limited else None


def _answer_changed(case, *, actor, before: _Answer, after: _Answer, decision, details: dict) -> str:
    """Record in ``details`` how the answer moved and, when a decision is on the record and the answer
    changed, tell the decision-maker: the one who decided, or every decision-maker of the force when they
    no longer can. Returns a sentence for the timeline ('' when nothing changed)."""
    said = []
    limit_moved = before.first_limited != after.first_limited
    if limit_moved:
        old, new = before.latest_proceedings_date, after.latest_proceedings_date
        details["latest_proceedings_date"] = [str(old) if old else None, str(new) if new else None]
        said.append(f"proceedings must now start by {_day(new)}" if new else "no six-month limit now applies")
    eligibility_moved = decision is not None and before.eligible != after.eligible
    if eligibility_moved:
        details["eligible_by_rules"] = [before.eligible, after.eligible]
        said.append(
            "the scheme's rules now find the case " + ("eligible" if after.eligible else "not eligible")
        )
    if decision is not None and (limit_moved or eligibility_moved):
        from offenderhub.notifications.models import NotificationKind
        from offenderhub.notifications.services import notify

        decider = decision.decided_by
        if (
            decider.is_active
            and decider.organisation_id == case.force_id
            and decider.has_role(Role.DECISION_MAKER)
        ):
            recipients = [decider]
        else:
            recipients = list(
                User.objects.filter(
                    organisation_id=case.force_id, is_active=True, role_assignments__role=Role.DECISION_MAKER
                ).distinct()
            )
        notify(
            kind=NotificationKind.CASE_CORRECTED,
            users=recipients,
            url=f"/cases/{case.pk}/",
            case_reference=case.reference,
            context={
                "eligibility_changed": eligibility_moved,
                "eligible_now": after.eligible,
                "time_limit_changed": limit_moved,
                "latest_proceedings_date": after.latest_proceedings_date,
                "previous_latest_proceedings_date": before.latest_proceedings_date,
            },
        )
        details["decision_makers_told"] = [user.pk for user in recipients]
        said.append("the decision-maker has been told")
    return ("; ".join(said)).capitalize()


def _case_corrected(case, *, actor, code, summary, reason, changes: dict, details=None, notes_extra=""):
    """The timeline event and the audit row of one correction. ``changes``: field to [before, after]
    as the page shows them; free text is recorded as changed, never with its content."""
    shown = {
        field: [FREE_TEXT_CHANGED if old else "", FREE_TEXT_CHANGED if new else ""]
        if field in CASE_FREE_TEXT_FIELDS
        else [old, new]
        for field, (old, new) in changes.items()
    }
    event = case_event_record(
        case,
        code=code,
        actor=actor,
        summary=summary,
        notes=f"{reason}\n\n{notes_extra}".strip() if notes_extra else reason,
        details={"changes": shown, **(details or {})},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=case,
        changes=shown,
        reason=f"Case corrected: {', '.join(CASE_FIELD_LABELS[f].lower() for f in changes)}",
    )
    return event


def _validate_case_correction(case, changed: dict, offences) -> None:
    errors = {}
    today = timezone.localdate()
    arrest_date = changed.get("arrest_date")
    if arrest_date:
        latest = max((o.offence_date for o in offences), default=None)
        if arrest_date > today:
            errors["arrest_date"] = "The arrest or report date cannot be in the future."
        elif latest and arrest_date < latest:
            errors["arrest_date"] = (
                f"The arrest or report date cannot be before the offence on {_day(latest)}."
            )
    if "flags" in changed:
        unknown = set(changed["flags"]) - set(CaseFlag.values)
        if unknown:
            errors["flags"] = "Choose only the circumstances listed."
    if "victim_type" in changed and changed["victim_type"] not in VictimType.values:
        errors["victim_type"] = "Choose who the victim is."
    if (
        "victim_rj_consent" in changed
        and changed["victim_rj_consent"] not in RestorativeJusticeConsent.values
    ):
        errors["victim_rj_consent"] = "Choose the victim's answer about restorative justice."
    obtained = changed.get("victim_views_obtained_on")
    if obtained and obtained > today:
        errors["victim_views_obtained_on"] = "The date the views were obtained cannot be in the future."
    victim_type = changed.get("victim_type", case.victim_type)
    consent = changed.get("victim_rj_consent", case.victim_rj_consent)
    if victim_type == VictimType.NONE and consent in (
        RestorativeJusticeConsent.CONSENTS,
        RestorativeJusticeConsent.DECLINES,
    ):
        field = "victim_rj_consent" if "victim_rj_consent" in changed else "victim_type"
        errors[field] = (
            "There is no victim to consent: choose 'Not applicable'."
            if field == "victim_rj_consent"
            else "The victim's answer about restorative justice is recorded: correct it before saying there "
            "is no identifiable victim."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_correct(*, case_id, actor, changes: dict, reason: str) -> CaseEvent | None:
    """Correct some of a case's details (``changes``: field name to new value, fields of the parts in
    ``CASE_CORRECTION_PARTS``), with the reason. Writes one timeline event and one audit row; when the
    flags change and a decision is on the record, the decision-maker is told if the rules' answer
    changes. Returns the event, or None when nothing would change (a repeated submission is harmless)."""
    unknown = set(changes) - set(_FIELD_PART)
    if unknown:
        raise CaseError(f"These details cannot be corrected here: {', '.join(sorted(unknown))}.")
    reason = _require_reason(reason)
    changes = {field: _clean_text(value) for field, value in changes.items()}
    if "flags" in changes:
        chosen = set(changes["flags"] or [])
        changes["flags"] = [flag for flag in CaseFlag.values if flag in chosen] + sorted(
            chosen - set(CaseFlag.values)
        )
    case = _case_lock_for_correction(case_id, actor=actor, parts={_FIELD_PART[f] for f in changes})
    changed = {field: value for field, value in changes.items() if getattr(case, field) != value}
    if "flags" in changed and set(changed["flags"]) == set(case.flags):
        del changed["flags"]
    if not changed:
        return None
    offences = list(case.offences.select_related("offence"))
    _validate_case_correction(case, changed, offences)
    decision = case.decisions.filter(superseded_by__isnull=True).select_related("decided_by").first()
    before_answer = _Answer(case, offences, decision) if "flags" in changed else None
    before = {field: getattr(case, field) for field in changed}
    for field, value in changed.items():
        setattr(case, field, value)
    case.save(update_fields=[*changed, "updated_at"])
    details, said = {}, ""
    if before_answer is not None:
        said = _answer_changed(
            case,
            actor=actor,
            before=before_answer,
            after=_Answer(case, offences, decision),
            decision=decision,
            details=details,
        )
    shown = {f: [_case_display(f, before[f]), _case_display(f, v)] for f, v in changed.items()}
    parts = [
        f"{CASE_FIELD_LABELS[f].lower()} changed"
        if f in CASE_FREE_TEXT_FIELDS
        else f"{CASE_FIELD_LABELS[f].lower()} {old} → {new}"
        for f, (old, new) in shown.items()
    ]
    return _case_corrected(
        case,
        actor=actor,
        code=EventCode.CASE_CORRECTED,
        summary=f"Corrected: {'; '.join(parts)}",
        reason=reason,
        changes=shown,
        details=details,
        notes_extra=said,
    )


def _offences_corrected(
    case, *, actor, offences_before, offences_after, decision, code, summary, reason, shown
):
    """Keep the six-month-limit column, tell the decision-maker if the answer changed, write the event."""
    case_offence_columns_refresh(cases=Case.objects.filter(pk=case.pk))
    case.first_summary_offence_date = first_summary_offence_date_of(offences_after)
    for field, held in offence_classes_of(offences_after).items():
        setattr(case, field, held)
    details = {}
    said = _answer_changed(
        case,
        actor=actor,
        before=_Answer(case, offences_before, decision),
        after=_Answer(case, offences_after, decision),
        decision=decision,
        details=details,
    )
    return _case_corrected(
        case,
        actor=actor,
        code=code,
        summary=summary,
        reason=reason,
        changes={"offences": shown},
        details=details,
        notes_extra=said,
    )


@transaction.atomic
def case_offence_correct_add(
    *, case_id, actor, offence, offence_date, details="", reason: str
) -> CaseEvent | None:
    """Add an offence that came to light (before the caution: case workers and supervisors; after it:
    decision-makers). The six-month limit and the eligibility rules are worked out again. Adding an
    offence already recorded on that date does nothing and returns None."""
    reason = _require_reason(reason)
    details = (details or "").strip()
    case = _case_lock_for_correction(case_id, actor=actor, parts={"offences"})
    offences = list(case.offences.select_related("offence"))
    if any(o.offence_id == offence.pk and o.offence_date == offence_date for o in offences):
        return None
    errors = {}
    if not offence.is_active:
        errors["offence"] = "Choose an offence from the list."
    if offence_date > timezone.localdate():
        errors["offence_date"] = "An offence date cannot be in the future."
    elif offence_date > case.arrest_date:
        errors["offence_date"] = (
            f"The offence date must be on or before the arrest or report date ({_day(case.arrest_date)}): "
            "correct the arrest date first if it was wrong."
        )
    elif offence_date < case.person.date_of_birth:
        errors["offence_date"] = "An offence date cannot be before the person's date of birth."
    if errors:
        raise ValidationError(errors)
    decision = case.decisions.filter(superseded_by__isnull=True).select_related("decided_by").first()
    added = CaseOffence.objects.create(case=case, offence=offence, offence_date=offence_date, details=details)
    added.offence = offence
    label = f"{offence.name} on {_day(offence_date)}"
    return _offences_corrected(
        case,
        actor=actor,
        offences_before=offences,
        offences_after=[*offences, added],
        decision=decision,
        code=EventCode.OFFENCE_ADDED,
        summary=f"Offence added: {label}",
        reason=reason,
        shown=["", label],
    )


@transaction.atomic
def case_offence_correct_remove(*, case_id, case_offence_id, actor, reason: str) -> CaseEvent | None:
    """Remove an offence recorded in error. The last offence of a case cannot be removed. Removing one
    already removed does nothing and returns None."""
    reason = _require_reason(reason)
    case = _case_lock_for_correction(case_id, actor=actor, parts={"offences"})
    offences = list(case.offences.select_related("offence"))
    removed = next((o for o in offences if o.pk == case_offence_id), None)
    if removed is None:
        return None
    if len(offences) == 1:
        raise CaseError("A case needs at least one offence: add the right offence before removing this one.")
    decision = case.decisions.filter(superseded_by__isnull=True).select_related("decided_by").first()
    removed.delete()
    label = f"{removed.offence.name} on {_day(removed.offence_date)}"
    return _offences_corrected(
        case,
        actor=actor,
        offences_before=offences,
        offences_after=[o for o in offences if o.pk != case_offence_id],
        decision=decision,
        code=EventCode.OFFENCE_REMOVED,
        summary=f"Offence removed: {label}",
        reason=reason,
        shown=[label, ""],
    )


# --- A scheme's rules, changed by the force's administrators ------------------------------------------

# The rules an administrator changes on the scheme page (cases.views.SchemeRulesView), in page order.
SCHEME_RULE_FIELDS = (
    "minimum_age",
    "maximum_gravity",
    "excluded_offence_groups",
    "excluded_flags",
    "prosecutor_authority_for",
    "maximum_crime_age_days",
    "maximum_previous_convictions",
    "maximum_previous_cautions",
    "must_live_in_force_area",
    "accepts_no_comment_interview",
    "compliance_period_default_days",
    "compliance_period_max_days",
    "breach_decision_days",
    "reminder_lead_days",
    "victim_notification_days",
    "breach_countersignature_required",
    "auto_confirm_without_excuse",
    "random_allocation",
)
SCHEME_CHOICE_FIELDS = {
    "excluded_offence_groups": OffenceGroup,
    "excluded_flags": CaseFlag,
    "prosecutor_authority_for": Classification,
}
SCHEME_OPTIONAL_NUMBERS = frozenset(
    {"maximum_crime_age_days", "maximum_previous_convictions", "maximum_previous_cautions"}
)
# Conditions are completed normally within 16 weeks and exceptionally within 20 (DOMAIN.md, "Time to
# complete"): a scheme may allow no more than 20 weeks.
COMPLIANCE_PERIOD_LEGAL_MAX_DAYS = 20 * 7
# The numbers' limits: (lowest, highest, the message when outside). The highest values without a legal
# source keep the number in its column (a PositiveSmallIntegerField) and within sense.
SCHEME_NUMBER_LIMITS = {
    "minimum_age": (
        18,
        120,
        "Enter an age from 18 to 120: a conditional caution is for adults (aged 18 or over at the decision); "
        "youth conditional cautions are under separate law.",
    ),
    "maximum_gravity": (1, 4, "Enter a gravity score from 1 (low) to 4 (high)."),
    "maximum_crime_age_days": (
        1,
        3650,
        "Enter a number of days from 1 to 3650, or leave it blank for no limit.",
    ),
    "maximum_previous_convictions": (0, 500, "Enter a number from 0 to 500, or leave it blank for no limit."),
    "maximum_previous_cautions": (0, 500, "Enter a number from 0 to 500, or leave it blank for no limit."),
    "compliance_period_default_days": (
        1,
        COMPLIANCE_PERIOD_LEGAL_MAX_DAYS,
        "Enter a default period from 1 to 140 days (20 weeks).",
    ),
    "compliance_period_max_days": (
        1,
        COMPLIANCE_PERIOD_LEGAL_MAX_DAYS,
        "Enter a maximum period from 1 to 140 days: conditions must be completed within 16 weeks, "
        "exceptionally 20 weeks (140 days), and no longer.",
    ),
    "breach_decision_days": (1, 90, "Enter a number of days from 1 to 90."),
    "reminder_lead_days": (0, 90, "Enter a number of days from 0 to 90."),
    # The Victims' Code 2020: told within 5 working days (1 for enhanced rights) (DOMAIN.md, Victims).
    "victim_notification_days": (
        1,
        5,
        "Enter a number of days from 1 to 5: the Victims' Code gives victims the news within 5 working days.",
    ),
}


@dataclass(frozen=True)
class SchemeRulesEffect:
    """A case the proposed rules would make ineligible, with the rules it would fail."""

    case: Case
    failures: list


@dataclass(frozen=True)
class SchemeRulesPreview:
    """What saving the proposed rules would do: each rule changed (``{field: (old, new)}``, as the page
    shows them) and the undecided cases they would make ineligible."""

    changes: dict
    ineligible: list


def _scheme_rules_diff(scheme, candidate, fields) -> dict:
    """``{field: (old, new)}`` for the rules the candidate changes (a list in another order is the same)."""

    def value(obj, field):
        found = getattr(obj, field)
        return sorted(found) if field in SCHEME_CHOICE_FIELDS else found

    return {
        f: (value(scheme, f), value(candidate, f)) for f in fields if value(scheme, f) != value(candidate, f)
    }


def scheme_rule_display(field, value) -> str:
    if value is None:
        return "no limit"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in SCHEME_CHOICE_FIELDS:
        labels = dict(SCHEME_CHOICE_FIELDS[field].choices)
        return ", ".join(labels.get(v, v) for v in value) or "none"
    return str(value)


def scheme_rules_validate(scheme, proposed: dict) -> Scheme:
    """The scheme as ``proposed`` (field name to new value, fields of ``SCHEME_RULE_FIELDS``) would make
    it, unsaved. Raises ValidationError with a message for each rule refused."""
    unknown = set(proposed) - set(SCHEME_RULE_FIELDS)
    if unknown:
        raise ValidationError(f"These rules cannot be changed here: {', '.join(sorted(unknown))}.")
    candidate = Scheme(**{f.attname: getattr(scheme, f.attname) for f in Scheme._meta.concrete_fields})
    errors = {}
    for field, value in proposed.items():
        if field in SCHEME_CHOICE_FIELDS:
            value = sorted(set(value or []))
        elif field in SCHEME_NUMBER_LIMITS:
            lowest, highest, message = SCHEME_NUMBER_LIMITS[field]
            blank = value is None
            if (blank and field not in SCHEME_OPTIONAL_NUMBERS) or (
                not blank and not lowest <= value <= highest
            ):
                errors[field] = message
        else:
            value = bool(value)
        setattr(candidate, field, value)
    if not errors and candidate.compliance_period_default_days > candidate.compliance_period_max_days:
        errors["compliance_period_default_days"] = (
            f"The default period ({candidate.compliance_period_default_days} days) cannot be longer than "
            f"the maximum ({candidate.compliance_period_max_days} days)."
        )
    if not errors and candidate.reminder_lead_days >= candidate.compliance_period_default_days:
        errors["reminder_lead_days"] = "Reminders must go out before the default period ends."
    if errors:
        raise ValidationError(errors)
    candidate.clean()  # unknown offence groups, flags and classifications
    return candidate


# The cases the rules still decide: those not yet decided. A decision, once made, stands until a later
# decision corrects it (DESIGN.md), so the rules are applied to a case again only at its next decision.
SCHEME_PREVIEW_STATUSES = (CaseStatus.INTAKE, CaseStatus.AWAITING_DECISION)


def scheme_rules_preview(*, scheme, proposed: dict, on: date | None = None) -> SchemeRulesPreview:
    """Which of the scheme's undecided cases (``SCHEME_PREVIEW_STATUSES``) the proposed rules would make
    ineligible that its rules today do not, with the rules each would fail. Saves nothing. Two queries
    whatever the number of cases. Raises ValidationError as ``scheme_rules_validate``."""
    candidate = scheme_rules_validate(scheme, proposed)
    on = on or timezone.localdate()
    cases = (
        Case.objects.filter(scheme_id=scheme.pk, status__in=SCHEME_PREVIEW_STATUSES)
        .select_related("person")
        .prefetch_related(Prefetch("offences", queryset=CaseOffence.objects.select_related("offence")))
        .order_by("reference")
    )
    effects = []
    for case in cases:
        offences = list(case.offences.all())
        case.scheme = scheme
        before = {c.code for c in assess_eligibility(case, offences, on=on).failures}
        case.scheme = candidate
        failures = assess_eligibility(case, offences, on=on).failures
        case.scheme = scheme
        new = [c for c in failures if c.code not in before]
        if new:
            effects.append(SchemeRulesEffect(case=case, failures=new))
    changes = {
        field: (scheme_rule_display(field, old), scheme_rule_display(field, new))
        for field, (old, new) in _scheme_rules_diff(scheme, candidate, proposed).items()
    }
    return SchemeRulesPreview(changes=changes, ineligible=effects)


@transaction.atomic
def scheme_rules_change(*, scheme_id, actor, proposed: dict, reason: str) -> dict:
    """Change a scheme's rules (``proposed``: see ``scheme_rules_validate``), with the reason. Locks the
    scheme; writes one audit row with each changed rule, old and new. Returns ``{field: [old, new]}``:
    empty when nothing would change (nothing is written)."""
    if not actor.has_role(Role.ADMINISTRATOR):
        raise CaseError("Only administrators change a scheme's rules.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for changing the rules."})
    try:
        scheme = (
            Scheme.objects.select_for_update(of=("self",))
            .select_related("force")
            .get(pk=scheme_id, force_id=actor.organisation_id)
        )
    except Scheme.DoesNotExist as exc:
        raise CaseError("That scheme does not exist.") from exc
    # A scheme that randomises eligible cases could not change its rules once cases were allocated
    # without spoiling the trial's comparison (DOMAIN.md, Evaluation by randomised trial). No case is
    # allocated by the code yet (``random_allocation`` is only recorded), so there is nothing to refuse
    # today; the refusal belongs here once allocation is built.
    candidate = scheme_rules_validate(scheme, proposed)
    changed = _scheme_rules_diff(scheme, candidate, proposed)
    if not changed:
        return {}
    for field, (_, new) in changed.items():
        setattr(scheme, field, new)
    scheme.save(update_fields=list(changed))
    shown = {
        field: [scheme_rule_display(field, old), scheme_rule_display(field, new)]
        for field, (old, new) in changed.items()
    }
    SchemeChange.objects.create(scheme=scheme, changes=shown, reason=reason, changed_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=scheme,
        owner_organisation=scheme.force,
        object_label=f"Scheme {scheme.code}",
        changes=shown,
        reason="Scheme rules changed by an administrator",  # the typed reason is the SchemeChange's
    )
    return changed

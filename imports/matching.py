"""Who in the force's records a caseload file's people may be: the one place the import matches people.

Today it applies the rules of ``cases.selectors.person_match_list_for`` (the exact matching intake
uses), for a whole file at once: the candidates are read in a few queries (by the file's PNC IDs, and
by its family names and dates of birth, a chunk of dates at a time), not one query a row. An exact PNC
ID is the same person; the same names and date of birth, or an alias's family name and the date of
birth, make a likely match, which is reported and never merged. When duplicate matching learns to find
people however they are spelt, ``people_match`` is what changes, and the import follows.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import F
from django.db.models.functions import Upper

from cases.models import Person, PersonAlias

CHUNK = 2000  # PNC IDs, or dates of birth, per query


@dataclass(frozen=True)
class Details:
    """A person as a file gives them. ``key`` is the caller's, returned with the answer."""

    key: object
    given_names: str
    family_name: str
    date_of_birth: date
    pnc_id: str = ""  # normalised (cases.models.normalise_pnc_id), or blank


@dataclass
class Match:
    same: int | None = None  # the person recorded with this PNC ID: the same person
    likely: list[tuple[int, str]] = field(default_factory=list)  # (person id, why) may be the same


SAME_NAMES = "same names and date of birth"
SAME_FAMILY_NAME = "same family name and date of birth"
ALIAS = "an alias with the same family name, and the same date of birth"


def people_match(*, force_id, people: list[Details]) -> dict:
    """``{key: Match}`` for each of ``people``, against the people recorded by the force ``force_id``.

    The rules of ``person_match_list_for``: a person with the same PNC ID; or the same family name
    and date of birth, with the same given names when they are given (names compared without regard
    to case); or an alias with that family name and the date of birth. The PNC ID match is the same
    person, the others are likely matches; someone recorded with a different PNC ID from the one the
    file gives is a different person, never a likely match."""
    by_pnc = _people_by_pnc(force_id, {p.pnc_id for p in people if p.pnc_id})
    named, aliased = _people_by_name(force_id, people)
    answers = {}
    for person in people:
        match = Match(same=by_pnc.get(person.pnc_id) if person.pnc_id else None)
        family, given = person.family_name.strip().upper(), person.given_names.strip().upper()
        seen = {match.same}
        for pk, their_given, their_pnc in named.get((family, person.date_of_birth), ()):
            if pk in seen or (person.pnc_id and their_pnc and their_pnc != person.pnc_id):
                continue
            if given and their_given != given:
                continue
            seen.add(pk)
            match.likely.append((pk, SAME_NAMES if given else SAME_FAMILY_NAME))
        for pk, their_pnc in aliased.get((family, person.date_of_birth), ()):
            if pk in seen or (person.pnc_id and their_pnc and their_pnc != person.pnc_id):
                continue
            seen.add(pk)
            match.likely.append((pk, ALIAS))
        answers[person.key] = match
    return answers


def _chunks(values, size=CHUNK):
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _people_by_pnc(force_id, pnc_ids) -> dict:
    if connection.vendor == "postgresql":  # one array parameter, not one placeholder a PNC ID
        return dict(
            _rows(
                "SELECT pnc_id, id FROM cases_person WHERE force_id = %s AND pnc_id <> '' AND pnc_id = "
                "ANY(%s)",
                [force_id, sorted(pnc_ids)],
            )
        )
    found = {}
    for chunk in _chunks(pnc_ids):
        found.update(
            (pnc, pk)
            for pk, pnc in Person.objects.filter(force_id=force_id, pnc_id__in=chunk).values_list(
                "pk", "pnc_id"
            )
        )
    return found


def _people_by_name(force_id, people):
    """The force's people, and people by an alias, with one of the file's (family name, date of birth)
    pairs: ``{(FAMILY, dob): [(id, GIVEN, pnc)]}`` and ``{(FAMILY, dob): [(id, pnc)]}``. On PostgreSQL the
    pairs are joined in one query each (``person_duplicate_key_idx``); elsewhere a chunk of dates of
    birth at a time, each with the family names the file gives them."""
    families_by_dob = {}
    for person in people:
        families_by_dob.setdefault(person.date_of_birth, set()).add(person.family_name.strip().upper())
    named, aliased = {}, {}
    if connection.vendor == "postgresql":
        pairs = [(family, dob) for dob, families in families_by_dob.items() for family in families]
        keys = [[family for family, _ in pairs], [dob for _, dob in pairs]]
        for pk, family, given, dob, pnc in _rows(
            "SELECT p.id, upper(p.family_name), upper(p.given_names), p.date_of_birth, p.pnc_id "
            "FROM cases_person AS p JOIN unnest(%s::text[], %s::date[]) AS k(family, dob) "
            "ON upper(p.family_name) = k.family AND p.date_of_birth = k.dob WHERE p.force_id = %s",
            [*keys, force_id],
        ):
            named.setdefault((family, dob), []).append((pk, given.strip(), pnc))
        for pk, family, dob, pnc in _rows(
            "SELECT a.person_id, upper(a.family_name), p.date_of_birth, p.pnc_id "
            "FROM cases_personalias AS a JOIN cases_person AS p ON p.id = a.person_id "
            "JOIN unnest(%s::text[], %s::date[]) AS k(family, dob) "
            "ON upper(a.family_name) = k.family AND p.date_of_birth = k.dob WHERE p.force_id = %s",
            [*keys, force_id],
        ):
            aliased.setdefault((family, dob), []).append((pk, pnc))
        return named, aliased
    for dobs in _chunks(families_by_dob):
        families = set().union(*(families_by_dob[d] for d in dobs))
        rows = (
            Person.objects.filter(force_id=force_id, date_of_birth__in=dobs)
            .annotate(family=Upper("family_name"), given=Upper("given_names"))
            .filter(family__in=families)
            .values_list("pk", "family", "given", "date_of_birth", "pnc_id")
        )
        for pk, family, given, dob, pnc in rows:
            if family in families_by_dob[dob]:
                named.setdefault((family, dob), []).append((pk, given.strip(), pnc))
        rows = (
            PersonAlias.objects.filter(person__force_id=force_id, person__date_of_birth__in=dobs)
            .annotate(family=Upper("family_name"), dob=F("person__date_of_birth"), pnc=F("person__pnc_id"))
            .filter(family__in=families)
            .values_list("person_id", "family", "dob", "pnc")
        )
        for pk, family, dob, pnc in rows:
            if family in families_by_dob[dob]:
                aliased.setdefault((family, dob), []).append((pk, pnc))
    return named, aliased


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def cases_held(force_id, references) -> dict:
    """``{force's reference: person id}`` of the force's cases already holding one of ``references``."""
    if connection.vendor == "postgresql":
        return dict(
            _rows(
                "SELECT external_reference, person_id FROM cases_case WHERE force_id = %s "
                "AND external_reference <> '' AND external_reference = ANY(%s)",
                [force_id, list(references)],
            )
        )
    from cases.models import Case

    held = {}
    for chunk in _chunks(references, 5000):
        held.update(
            Case.objects.filter(force_id=force_id, external_reference__in=chunk).values_list(
                "external_reference", "person_id"
            )
        )
    return held


def people_details(person_ids) -> list:
    """``(id, given names, family name, date of birth)`` of these people."""
    if connection.vendor == "postgresql":
        return _rows(
            "SELECT id, given_names, family_name, date_of_birth FROM cases_person WHERE id = ANY(%s)",
            [list(person_ids)],
        )
    rows = []
    for chunk in _chunks(person_ids, 5000):
        rows += Person.objects.filter(pk__in=chunk).values_list(
            "pk", "given_names", "family_name", "date_of_birth"
        )
    return rows

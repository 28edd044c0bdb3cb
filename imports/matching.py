"""Who in the force's records a caseload file's people may be: the one place the import matches people.

It applies the duplicate matching intake uses (``cases.matching``, the rules of
``cases.selectors.person_match_list_for``), for a whole file at once: the force's people the rules
could accept are read in a few queries (by the dates of birth the file's could have been mistyped as,
and by its PNC IDs), not one query a row. The same PNC ID (however written) is the same person; names
and a date of birth that agree, however spelt, make a likely match, which is reported, with the
reasons, and never merged. Someone recorded with a different PNC ID from the one the file gives is a
different person, never a likely match. ``rows_match`` does the same among the file's own people.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection

from cases import matching as rules
from cases.models import Person

CHUNK = 2000  # PNC IDs, or dates of birth, per query


@dataclass(frozen=True)
class Details:
    """A person as a file gives them. ``key`` is the caller's, returned with the answer."""

    key: object
    given_names: str
    family_name: str
    date_of_birth: date
    pnc_id: str = ""  # normalised (cases.models.normalise_pnc_id), or blank
    aliases: tuple = ()  # (given names, family name) pairs


@dataclass
class Match:
    same: int | None = None  # the person recorded with this PNC ID: the same person
    likely: list[tuple[int, str]] = field(default_factory=list)  # (person id, why) may be the same
    # The recorded people of ``likely`` as the matching read them: the import keeps each pair as a
    # suspected duplicate once the person is recorded, without matching them again.
    known: list = field(default_factory=list)


def details_of(person, pk=None) -> rules.Details:
    """The matching's view of a file's person (``Details`` here, or the checker's ``PersonRow``)."""
    return rules.Details(
        person.given_names, person.family_name, person.date_of_birth, person.pnc_id, tuple(person.aliases), pk
    )


def people_match(*, force_id, people: list[Details]) -> dict:
    """``{key: Match}`` for each of ``people``, against the people recorded by the force ``force_id``:
    the person with the same PNC ID, or the likely matches, best first, with the reasons in words."""
    answers = {}
    looked_up = [details_of(p) for p in people]
    pool = rules.Pool(rules.recorded_people(force_id=force_id, people=looked_up))
    for person, details in zip(people, looked_up, strict=True):
        match = Match()
        for candidate in pool.candidates(details):
            if candidate.same_pnc_id and match.same is None:
                match.same = candidate.person_id
            elif not candidate.same_pnc_id:
                match.likely.append((candidate.person_id, candidate.why))
                match.known.append(pool.people[candidate.person_id])
        answers[person.key] = match
    return answers


def rows_match(people: list[Details]) -> dict:
    """``{key: [(earlier key, why)]}``: for each of the file's ``people`` (in the file's order), those
    before it in the file who may be the same person, by the same rules."""
    pool, keys, answers = rules.Pool(), {}, {}
    for number, person in enumerate(people):
        details = details_of(person, pk=number)
        answers[person.key] = [(keys[c.person_id], c.why) for c in pool.candidates(details)]
        pool.add(details)
        keys[number] = person.key
    return answers


def _chunks(values, size=CHUNK):
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


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

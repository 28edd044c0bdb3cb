"""Who among the force's people may be the person described, however their details were written: the
one place that finds and ranks duplicate candidates (issue 14, part 4).

Used by intake's warning before a person is recorded (``cases.selectors.person_match_list_for``), the
merge page's candidates, the caseload import's likely matches (``imports.matching``) and the
supervisors' suspected duplicates (``SuspectedDuplicate``, kept by ``cases.services``).

**The rules.** A candidate is a person of the force, not merged into another record and not erased:

- with the same PNC ID, however written (``normalise_pnc_id``), their own or one of a record merged into
  theirs: the same person (score 100). Someone recorded with a *different* PNC ID is a different person,
  whatever their name;
- otherwise with a date of birth that is the same, has its day and month swapped, is a day apart or has
  one digit different, and names that agree: each name the same, written another way (a nickname or a
  transliteration, ``cases.name_variants``), sounding alike (their Metaphone codes agree, or their
  Soundex codes and the spellings nearly do; for a given name, spelt nearly alike too), sharing a part
  (a hyphenated or double-barrelled name and one of its halves) or spelt alike (one letter added, left
  out, changed or two swapped); the given and family names may be swapped, and either person's alias
  may stand for their name. When the date of birth is not the same, both names must at least be
  spelt alike and one must at least sound alike.

Twins share a family name and a date of birth: different given names make them no candidate.

Each candidate has a score (100 at most; only those of ``SHORTLIST_SCORE`` or more are listed) and
the reasons, in words a case worker can check ("family name sounds alike (Brooks/Brookes)", "date of
birth with day and month swapped").

**Finding them.** For one person (intake, the merge page), the people of the force born on one of the
dates the rules allow (about 60 dates: ``person_dob_idx``) and those holding the PNC ID are read, their
aliases in another query, and scored here. For many people at once (an import, the suspected
duplicates of a whole force) the force's people born on those dates are read once for all of them and
indexed in memory (``Pool``): by date of birth, each with their names' phonetic codes, so that a person
born on another accepted date is scored only when a code is shared (the rules need a name that sounds
alike then). In Python this costs about a millisecond a person on a busy two-core machine.

The phonetic codes are stored on the person (``Person.family_name_key``, ``given_name_key``, kept by
``person_match_keys``), for the caseload's search by a misspelt name.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import jellyfish
from django.db.models import Q

from .name_variants import family_name_root, fold, given_name_root

SHORTLIST_SCORE = 70  # the least score listed as a possible duplicate
CACHED = 100_000  # names, pairs of names and dates remembered: a force's people repeat them a lot
KEY_LENGTH = 40  # Person.family_name_key's and given_name_key's max_length


# --- Keys -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=CACHED)
def phonetic(name: str) -> str:
    """The Metaphone code of a name (folded: no case, accents or punctuation)."""
    folded = fold(name)
    return jellyfish.metaphone(folded)[:KEY_LENGTH] if folded else ""


def _parts(name: str) -> list[str]:
    """A name's parts: ``"Smith-Jones"`` → ``["Smith", "Jones"]``."""
    return [part for part in name.replace("-", " ").split() if fold(part)]


def _first(given_names: str) -> str:
    parts = _parts(given_names or "")
    return parts[0] if parts else ""


def family_name_key(family_name: str) -> str:
    """The phonetic code of the family name written the commonest way (Muhammad as Mohammed)."""
    return phonetic(family_name_root(family_name or ""))


def given_name_key(given_names: str) -> str:
    """The phonetic code of the first given name's root (Bill as William, Kaylee as Kayleigh)."""
    first = _first(given_names)
    return phonetic(given_name_root(first)) if first else ""


def person_match_keys(given_names: str, family_name: str) -> dict:
    """The stored keys of a person with these names (blank for an erased person's blank names)."""
    return {"family_name_key": family_name_key(family_name), "given_name_key": given_name_key(given_names)}


@lru_cache(maxsize=CACHED)
def _soundex(name: str) -> str:
    folded = fold(name)
    return "S" + jellyfish.soundex(folded) if folded.isalpha() else ""


@lru_cache(maxsize=CACHED)
def _codes(given_names: str, family_name: str) -> frozenset:
    """Phonetic codes of a person's names such that two people whose names agree well enough for
    dates of birth that differ (one name ``STRONG``: sounding alike or better; given and family names
    maybe swapped; an alias for a name) share at least one: the Metaphone codes of the family name, of
    each of its parts and of the first given name, as written and by their roots, and their Soundex
    codes."""
    codes = set()
    for name in (family_name or "", *_parts(family_name or ""), _first(given_names)):
        codes.update((phonetic(name), phonetic(family_name_root(name)), phonetic(given_name_root(name))))
        codes.add(_soundex(name))
    codes.discard("")
    return frozenset(codes)


# --- Dates of birth ---------------------------------------------------------------------------------------


def _date_or_none(year, month, day):
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=CACHED)
def dob_variants(dob: date) -> frozenset:
    """The dates of birth the rules accept for ``dob``: itself, its day and month swapped, a day either
    side and every date with one digit of YYYYMMDD different (none before 1900: the services refuse
    those)."""
    year, month, day = dob.year, dob.month, dob.day
    found = {dob, dob - timedelta(days=1), dob + timedelta(days=1)}
    candidates = [(year, day, month)] if day <= 12 else []
    for place in (1000, 100, 10, 1):  # a digit of the year
        digit = year // place % 10
        candidates += [(year + (d - digit) * place, month, day) for d in range(10) if d != digit]
    for value, other in ((month, "month"), (day, "day")):
        tens, units = divmod(value, 10)
        changed = [t * 10 + units for t in range(4) if t != tens] + [
            tens * 10 + u for u in range(10) if u != units
        ]
        candidates += [(year, v, day) if other == "month" else (year, month, v) for v in changed]
    for y, m, d in candidates:
        if y >= 1900 and (day_found := _date_or_none(y, m, d)) is not None:
            found.add(day_found)
    return frozenset(day for day in found if day.year >= 1900)


def _dob_relation(a: date, b: date):
    """(weight, reason) of how two dates of birth agree, or None."""
    if a == b:
        return 1.0, "same date of birth"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 0.9, f"date of birth with day and month swapped ({a:%d/%m/%Y}, {b:%d/%m/%Y})"
    if abs((a - b).days) == 1:
        return 0.85, f"date of birth a day apart ({a:%d/%m/%Y}, {b:%d/%m/%Y})"
    if sum(x != y for x, y in zip(f"{a:%Y%m%d}", f"{b:%Y%m%d}", strict=True)) == 1:
        return 0.85, f"date of birth one digit different ({a:%d/%m/%Y}, {b:%d/%m/%Y})"
    return None


# --- Names ------------------------------------------------------------------------------------------------

STRONG = 0.85  # a name that sounds alike or better: one is needed when the dates of birth differ
SPELT = 0.8  # a name spelt alike: the least either name may agree by when the dates of birth differ


def _distance(a: str, b: str) -> int:
    return jellyfish.damerau_levenshtein_distance(a, b)


def _spelt_alike(a: str, b: str) -> bool:
    """A letter added, left out, changed or two swapped (in a name of three letters or more), two in a
    long name, or very nearly the same by Jaro-Winkler."""
    shortest = min(len(a), len(b))
    distance = _distance(a, b)
    if (distance == 1 and shortest >= 3) or (distance == 2 and shortest >= 8):
        return True
    return shortest >= 4 and jellyfish.jaro_winkler_similarity(a, b) >= 0.93


def _numbered(a: str, b: str) -> bool:
    """Whether either name holds a digit: a placeholder ("Cohort01"), that only matches as written."""
    return any(c.isdigit() for c in a + b)


def _sound_alike(a: str, b: str) -> bool:
    """Their Metaphone codes agree (Brooks, Brookes), or their Soundex codes do and the spellings are
    close (Wylie, Wiley), which Metaphone misses."""
    return phonetic(a) == phonetic(b) or (_soundex(a) == _soundex(b) and _distance(a, b) <= 2)


@lru_cache(maxsize=CACHED)
def _family(a: str, b: str):
    """(score, reason or "") of two family names, or None if they do not agree."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return None
    if fa == fb:
        return 1.0, ""
    if _numbered(fa, fb):
        return None
    shown = f"({a.strip()}/{b.strip()})"
    if family_name_root(a) == family_name_root(b):
        return 0.95, f"family name written another way {shown}"
    if _sound_alike(fa, fb):
        return 0.9, f"family name sounds alike {shown}"
    parts_a, parts_b = {fold(p) for p in _parts(a)}, {fold(p) for p in _parts(b)}
    if (len(parts_a) > 1 or len(parts_b) > 1) and (parts_a & parts_b or fa in parts_b or fb in parts_a):
        return 0.85, f"family name shares a part {shown}"
    if _spelt_alike(fa, fb):
        return SPELT, f"family name spelt alike {shown}"
    return None


@lru_cache(maxsize=CACHED)
def _given(a: str, b: str):
    """(score, reason or "") of two given names (all of them), or None if they do not agree. A blank
    given name agrees weakly with any."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.5, "no given name to compare"
    if fa == fb:
        return 1.0, ""
    if _numbered(fa, fb):
        return None
    first_a, first_b = _first(a), _first(b)
    fa1, fb1 = fold(first_a), fold(first_b)
    shown = f"({first_a}/{first_b})"
    if fa1 == fb1:
        return 0.95, ""
    if given_name_root(first_a) == given_name_root(first_b):
        return 0.9, f"given names are variants of one name {shown}"
    # Sounding alike is not enough for a given name: twins are often given names that do (Jack and
    # Jake, Ella and Ellie). Written nearly alike too (Brian, Bryan; Stuart, Stewart; Lewis, Louis) it
    # is.
    distance = _distance(fa1, fb1)
    close = distance <= 1 or (distance == 2 and min(len(fa1), len(fb1)) >= 5)
    if close and (phonetic(fa1) == phonetic(fb1) or _soundex(fa1) == _soundex(fb1)):
        return 0.85, f"given name sounds alike {shown}"
    shared = {fold(p) for p in _parts(a)} & {fold(p) for p in _parts(b)}
    if shared:  # not enough on its own when the dates of birth differ (it is no first name's code)
        return 0.82, f"shares a given name ({', '.join(p for p in _parts(a) if fold(p) in shared)})"
    if _spelt_alike(fa1, fb1):
        return SPELT, f"given name spelt alike {shown}"
    if (len(fa1) == 1 or len(fb1) == 1) and fa1[0] == fb1[0]:
        return 0.6, f"given name's initial {shown}"
    return None


def _names(given_a, family_a, given_b, family_b):
    """(score, reasons) of two people's names, or None."""
    family = _family(family_a, family_b)
    given = _given(given_a, given_b) if family else None
    if not (family and given):
        return None
    reasons = [r for r in (family[1], given[1]) if r]
    # Enough for dates of birth that differ: both names spelt alike at least, one sounding alike or better.
    loose = min(family[0], given[0]) >= SPELT and max(family[0], given[0]) >= STRONG
    return (family[0] + given[0]) / 2, reasons, loose


# --- People -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """A person as someone described them: at intake, in a file, or a person already recorded."""

    given_names: str
    family_name: str
    date_of_birth: date | None
    pnc_id: str = ""  # normalised, or blank
    aliases: tuple = ()  # (given names, family name) pairs
    pk: int | None = None  # a recorded person's id
    alias_pnc_ids: frozenset = frozenset()  # PNC IDs of records merged into a recorded person's

    def codes(self) -> frozenset:
        codes = _codes(self.given_names, self.family_name)
        for given, family in self.aliases:
            codes |= _codes(given or "", family)
        return codes


@dataclass
class Candidate:
    person_id: int
    score: int
    reasons: list = field(default_factory=list)
    same_pnc_id: bool = False  # the same PNC ID: the same person, not only a likely one

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


def _alias_shown(given, family):
    return f"{family}, {given}" if given else family


def score(details: Details, known: Details) -> Candidate | None:
    """How far ``known`` (a recorded person) may be the person ``details`` describes, or None."""
    if details.pnc_id:
        if details.pnc_id == known.pnc_id:
            return Candidate(known.pk, 100, ["same PNC ID"], same_pnc_id=True)
        if details.pnc_id in known.alias_pnc_ids:
            return Candidate(known.pk, 100, ["same PNC ID as a record merged into theirs"], same_pnc_id=True)
        if known.pnc_id:
            return None  # a different PNC ID: a different person
    if details.date_of_birth is None or known.date_of_birth is None:
        return None
    dob = _dob_relation(details.date_of_birth, known.date_of_birth)
    if dob is None:
        return None
    best = None
    tries = [(details.given_names, details.family_name, known.given_names, known.family_name, [], 1.0)]
    # Given and family names swapped (one side's family name as the other's first given name).
    tries.append(
        (
            details.family_name,
            details.given_names,
            known.given_names,
            known.family_name,
            ["given and family names swapped"],
            0.95,
        )
    )
    for given, family in known.aliases:
        tries.append(
            (
                details.given_names,
                details.family_name,
                given,
                family,
                [f"matches alias {_alias_shown(given, family)}"],
                0.95,
            )
        )
    for given, family in details.aliases:
        tries.append(
            (
                given,
                family,
                known.given_names,
                known.family_name,
                [f"matches alias {_alias_shown(given, family)}"],
                0.95,
            )
        )
    for given_a, family_a, given_b, family_b, how, weight in tries:
        names = _names(given_a, family_a, given_b, family_b)
        if names is None:
            continue
        value, reasons, loose = names
        if dob[0] < 1 and not loose:
            continue
        points = round(100 * weight * dob[0] * value)
        if best is None or points > best.score:
            parts = how + reasons
            if not parts and dob[0] == 1:
                parts = ["same names and date of birth"]
            else:
                if not parts:
                    parts.append("same names")
                parts.append(dob[1])
            best = Candidate(known.pk, points, parts)
    if best is None or best.score < SHORTLIST_SCORE:
        return None
    return best


def rank(candidates) -> list:
    return sorted(candidates, key=lambda c: (-c.score, c.person_id))


class Pool:
    """People indexed in memory for matching many at once: by date of birth (each with the phonetic codes
    of their names, ``_codes``) and by PNC ID. A person born on another of the dates the rules accept
    is scored only if they share a code (the rules need one name to sound alike then), a set test that
    is much cheaper than scoring."""

    def __init__(self, people=()):
        self.people = {}
        self.by_dob = {}
        self.by_pnc = {}
        for person in people:
            self.add(person)

    def add(self, person: Details):
        self.people[person.pk] = person
        self.by_dob.setdefault(person.date_of_birth, []).append((person, person.codes()))
        for pnc in (person.pnc_id, *person.alias_pnc_ids):
            if pnc:
                self.by_pnc.setdefault(pnc, []).append(person)

    def candidates(self, details: Details, *, exclude=()) -> list:
        """The ranked candidates for ``details`` among the pool's people (not those in ``exclude``)."""
        found, seen = [], set(exclude)
        if details.pnc_id:
            for person in self.by_pnc.get(details.pnc_id, ()):
                if person.pk not in seen and (candidate := score(details, person)) is not None:
                    found.append(candidate)
                seen.add(person.pk)
        born = details.date_of_birth
        if born is not None:
            for person, _codes in self.by_dob.get(born, ()):
                if person.pk not in seen and (candidate := score(details, person)) is not None:
                    found.append(candidate)
            codes = details.codes()
            by_dob = self.by_dob
            for dob in dob_variants(born):
                if dob == born or dob not in by_dob:
                    continue
                for person, theirs in by_dob[dob]:
                    if codes.isdisjoint(theirs) or person.pk in seen:
                        continue
                    if (candidate := score(details, person)) is not None:
                        found.append(candidate)
        return rank(found)


def pairs_among(people: list, pool: Pool | None = None) -> dict:
    """``{(lower id, higher id): Candidate}`` for each of ``people`` (``Details`` of recorded people)
    and everyone in ``pool`` (by default, ``people`` themselves) the rules say may be one person: the
    suspected duplicates. Each pair's score and reasons are read from the lower id to the higher (the
    order the data-quality page shows them in), whichever of the two was looked up."""
    pool = pool or Pool(people)
    known = {**pool.people, **{p.pk: p for p in people}}
    found = {}
    for person in people:
        for candidate in pool.candidates(person, exclude={person.pk}):
            pair = (min(person.pk, candidate.person_id), max(person.pk, candidate.person_id))
            if pair not in found:
                found[pair] = score(known[pair[0]], known[pair[1]]) or candidate
    return found


# --- Reading the force's people ---------------------------------------------------------------------------

CHUNK = 2000  # dates of birth, PNC IDs or ids per query
WHOLE_FORCE = 20000  # more dates of birth than this to look for: read every person of the force instead


def chunks(values, size=CHUNK):
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def recorded_people(*, force_id, people=None, ids=None) -> list:
    """``Details`` of the force's live people (not merged into another record, not erased) that may match
    one of ``people`` (born on a date the rules allow, or holding one of their PNC IDs), or those with
    these ``ids``; each with their current aliases. A few queries, whatever the number of people."""
    from .models import Person, PersonAlias

    live = Person.objects.filter(force_id=force_id, merged_into__isnull=True, erased_at__isnull=True)
    columns = ("pk", "given_names", "family_name", "date_of_birth", "pnc_id")
    rows = {}
    if ids is not None:
        for chunk in chunks(ids):
            rows.update((row[0], row) for row in live.filter(pk__in=chunk).values_list(*columns))
    else:
        dates = set()
        for person in people:
            if person.date_of_birth:
                dates |= dob_variants(person.date_of_birth)
        if len(dates) > WHOLE_FORCE:
            rows.update((row[0], row) for row in live.values_list(*columns).iterator(chunk_size=5000))
        else:
            for chunk in chunks(dates):
                rows.update(
                    (row[0], row) for row in live.filter(date_of_birth__in=chunk).values_list(*columns)
                )
        pnc_ids = {p.pnc_id for p in people if p.pnc_id}
        for chunk in chunks(pnc_ids):
            held = PersonAlias.objects.filter(pnc_id__in=chunk, ended_at=None).values("person_id")
            rows.update(
                (row[0], row)
                for row in live.filter(Q(pnc_id__in=chunk) | Q(pk__in=held)).values_list(*columns)
            )
    aliases, alias_pnc = {}, {}
    for chunk in chunks(rows):
        for person_id, given, family, pnc in PersonAlias.objects.filter(
            person_id__in=chunk, ended_at=None
        ).values_list("person_id", "given_names", "family_name", "pnc_id"):
            if family:
                aliases.setdefault(person_id, []).append((given, family))
            if pnc:
                alias_pnc.setdefault(person_id, set()).add(pnc)
    return [
        Details(given, family, dob, pnc, tuple(aliases.get(pk, ())), pk, frozenset(alias_pnc.get(pk, ())))
        for pk, given, family, dob, pnc in rows.values()
    ]


def candidates_for(*, force_id, details: Details, exclude=()) -> list:
    """The ranked candidates among the force's people for one person's ``details`` (three queries)."""
    pool = Pool(recorded_people(force_id=force_id, people=[details]))
    return pool.candidates(details, exclude={*exclude, details.pk} - {None})

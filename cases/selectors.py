"""Scoped reads of people and cases: police users see their own force's records; nobody else does."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Upper
from django.shortcuts import get_object_or_404

from offenderhub.accounts.models import POLICE_ROLES, OrganisationKind, Role, User

from . import matching
from .models import (
    Case,
    EligibilityDecision,
    Person,
    PersonAlias,
    PersonChange,
    PersonMerge,
    Scheme,
    SuspectedDuplicate,
    normalise_pnc_id,
)
from .name_variants import fold
from .workflow import OPEN_STATUSES


def _force_id_for(user):
    """The force whose cases this user may see, or None. Partners and analysts see no case records."""
    if user.is_authenticated and user.has_role(*POLICE_ROLES):
        return user.organisation_id
    return None


def case_list_for(user):
    force_id = _force_id_for(user)
    if force_id is None:
        return Case.objects.none()
    return Case.objects.filter(force_id=force_id)


def case_get_for(user, pk):
    return get_object_or_404(
        case_list_for(user).select_related(
            "person", "person__ethnicity", "scheme", "scheme__disposal_type", "area", "owner", "force"
        ),
        pk=pk,
    )


def case_event_list_for(case):
    """A case's timeline (the case read through ``case_get_for`` or another scoped selector), newest
    first, with who did each."""
    return case.events.select_related("actor", "actor_organisation")


def caseload_for(user):
    """The caseload list: each row with what the page shows, in a fixed number of queries. The
    six-month limit's start is the case's own column (kept by cases.services), so no row needs its
    offences read."""
    return case_list_for(user).select_related("person", "scheme", "area", "owner")


# The caseload's sorts by a name kept on a small related table: the sort, the relation, its name field.
CASELOAD_GROUPED_SORTS = {
    "owner": ("owner", "full_name"),
    "scheme": ("scheme", "name"),
    "area": ("area", "name"),
}


def caseload_sort_groups_for(user, sort: str) -> tuple | None:
    """For the caseload sorted by the case worker's, the scheme's or the area's name: the column
    (``"owner_id"``) and, for every name the force's cases take in the database's own order (its
    collation), the ids that bear it (usually one), for ``DeferredJoinPaginator`` to read a page a
    name at a time. None for other sorts, and on a database that cannot limit the parts of a UNION
    (SQLite), which then sorts as usual."""
    grouped = CASELOAD_GROUPED_SORTS.get(sort.lstrip("-"))
    if grouped is None or not connection.features.supports_slicing_ordering_in_compound:
        return None
    relation, name = grouped
    model = Case._meta.get_field(relation).related_model
    used = case_list_for(user).filter(**{relation: OuterRef("pk")})
    groups, last = [], object()
    for pk, value in model.objects.filter(Exists(used)).order_by(name, "pk").values_list("pk", name):
        if value != last:
            groups.append([])
            last = value
        groups[-1].append(pk)
    return f"{relation}_id", groups


def case_search(value: str, *, similar_people=()) -> Q:
    """Cases whose reference contains ``value``, or whose person has every word of it in their names or
    in a current alias's, or (when it is one) the PNC ID, their own or an alias's, without regard to
    case; and the cases of ``similar_people`` (ids from ``person_similar_ids_for``: the caseload adds
    them when the search finds less than a page).

    Written as ``id IN (cases by reference UNION cases by person UNION ...)``, so that PostgreSQL reads
    each side through its trigram index (migrations 0007 and 0020) and the matches by primary key,
    instead of joining every case to its person to test the names."""
    names = name_words_match(value)
    aliases = name_words_match(value)
    if pnc_id := pnc_id_or_none(value):
        names |= Q(pnc_id=pnc_id)
        aliases |= Q(pnc_id=pnc_id)
    people = Person.objects.filter(names)
    by_alias = PersonAlias.objects.filter(aliases, ended_at=None).values("person_id")
    by_reference = Case.objects.filter(reference__icontains=value).order_by().values("pk")
    parts = [
        Case.objects.filter(person__in=people.values("pk")).order_by().values("pk"),
        Case.objects.filter(person__in=by_alias).order_by().values("pk"),
    ]
    if similar_people:
        parts.append(Case.objects.filter(person__in=list(similar_people)).order_by().values("pk"))
    return Q(pk__in=by_reference.union(*parts))


# At most this many people found by a name spelt another way are added to a caseload search.
SIMILAR_PEOPLE_LIMIT = 50


def person_similar_ids_for(user, value: str, *, limit: int = SIMILAR_PEOPLE_LIMIT) -> list:
    """Ids of the force's people whose names are like every word of ``value`` without containing them
    all, the likest first: each word (of three letters or more) sounds like a name of theirs (its
    phonetic codes are their ``family_name_key`` or ``given_name_key``, ``cases.matching``) or, on
    PostgreSQL, is like their family name by trigrams (``%``, pg_trgm's similarity threshold); a shorter
    word must be in their names. For the caseload's search by a misspelt name, asked only when the
    ordinary search finds less than a page. One query, each test answered by an index
    (``person_family_key_idx``, ``person_given_key_idx``, the family name's trigram index of migration
    0007), ranked by trigram similarity. None for a PNC ID.

    (Measured at 100,000 people on two busy cores: 20-50 ms. Trigrams on the given names too doubled
    that for little: a given name is short, and its root's code finds Bill for William. With a LIMIT
    and no ORDER BY, PostgreSQL read every person to test ``%`` one by one: a second and more.)"""
    words = value.split()
    if not words or pnc_id_or_none(value) or not any(len(fold(w)) >= 3 for w in words):
        return []
    trigrams = connection.vendor == "postgresql"
    people = person_list_for(user).filter(erased_at=None)
    match, likeness = Q(), []
    for word in words:
        alike = Q(family_name__icontains=word) | Q(given_names__icontains=word)
        if len(fold(word)) >= 3 and not any(c.isdigit() for c in word):
            codes = {matching.family_name_key(word), matching.phonetic(word)} - {""}
            alike |= Q(family_name_key__in=sorted(codes))
            alike |= Q(given_name_key__in=sorted(codes | {matching.given_name_key(word)} - {""}))
            if trigrams:  # UPPER(family_name) % 'WORD', as the trigram index is made
                from django.contrib.postgres.lookups import TrigramSimilar
                from django.contrib.postgres.search import TrigramSimilarity

                alike |= Q(TrigramSimilar(Upper("family_name"), Value(word.upper())))
                likeness.append(TrigramSimilarity(Upper("family_name"), Value(word.upper())))
        match &= alike
    found = people.filter(match).exclude(name_words_match(value))
    order = ["pk"]
    if likeness:
        found = found.annotate(likeness=sum(likeness[1:], likeness[0]))
        order = ["-likeness", "pk"]
    return list(found.order_by(*order).values_list("pk", flat=True)[:limit])


def person_record_list_for(user):
    """Every person record of the user's force, those merged into another included: for the pages of
    one record (a merged record's page says where it went) and its history."""
    force_id = _force_id_for(user)
    if force_id is None:
        return Person.objects.none()
    return Person.objects.filter(force_id=force_id)


def person_list_for(user):
    """The people of the user's force: every list, search and match starts here. A record merged into
    another is left out (its cases, aliases and PNC ID are the other record's now)."""
    return person_record_list_for(user).filter(merged_into__isnull=True)


def name_words_match(value: str, prefix: str = "") -> Q:
    """Every word of ``value`` appears in the given names or the family name."""
    match = Q()
    for word in value.split():
        match &= Q(**{f"{prefix}family_name__icontains": word}) | Q(
            **{f"{prefix}given_names__icontains": word}
        )
    return match


def pnc_id_or_none(value: str) -> str | None:
    try:
        return normalise_pnc_id(value)
    except ValidationError:
        return None


def person_match_list_for(
    user, *, given_names="", family_name="", date_of_birth=None, pnc_id="", aliases=(), exclude=(), limit=10
) -> list:
    """People of the user's force who may be the same person, however their details were written: the
    duplicate matching's candidates (``cases.matching``), best first, at most ``limit``. Each person
    carries ``match_score`` and ``match_reasons`` (in words). A few queries (``person_dob_idx``)."""
    force_id = _force_id_for(user)
    pnc_id = (pnc_id_or_none(pnc_id) or "") if pnc_id else ""
    if force_id is None or not (pnc_id or (family_name and date_of_birth)):
        return []
    details = matching.Details(
        given_names or "",
        family_name or "",
        date_of_birth,
        pnc_id,
        tuple((g or "", f) for g, f in aliases if f),
    )
    candidates = matching.candidates_for(force_id=force_id, details=details, exclude=exclude)[:limit]
    people = person_list_for(user).select_related("ethnicity").in_bulk([c.person_id for c in candidates])
    found = []
    for candidate in candidates:
        person = people[candidate.person_id]
        person.match_score, person.match_reasons = candidate.score, candidate.reasons
        found.append(person)
    return found


def person_search_for(user, q: str, *, limit: int = 20) -> list:
    """The person search when opening a case: an exact PNC ID first (the person's own, or one of a
    record merged into theirs), otherwise every word in the name."""
    q = q.strip()
    if not q:
        return []
    people = list(person_match_list_for(user, pnc_id=q))
    if not people and (pnc_id := pnc_id_or_none(q)):
        people = list(person_with_alias_pnc_id_for(user, pnc_id))
    return people or list(person_list_for(user).filter(name_words_match(q)).order_by("family_name")[:limit])


def person_with_alias_pnc_id_for(user, pnc_id: str):
    """The person holding the (normalised) PNC ID as a current alias: a record merged into theirs had
    it. Index: ``person_alias_pnc_idx``."""
    held = PersonAlias.objects.filter(pnc_id=pnc_id, ended_at=None).values("person_id")
    return person_list_for(user).filter(pk__in=held).order_by("family_name")


def person_get_for(user, pk):
    """A person of the user's force who has not been merged into another (a merged record is a 404 to
    the pages that change a person or open a case)."""
    return get_object_or_404(person_list_for(user).select_related("ethnicity"), pk=pk)


def person_record_get_for(user, pk):
    """Any person record of the user's force, merged or not, with the record it was merged into."""
    return get_object_or_404(person_record_list_for(user).select_related("ethnicity", "merged_into"), pk=pk)


# --- Merging records ------------------------------------------------------------------------------------


def person_merge_candidates_for(user, person, *, limit: int = 20) -> list:
    """People who may be the same as ``person``: intake's matching (``person_match_list_for``), by the
    person's PNC ID, names, date of birth and current aliases, without the person."""
    aliases = PersonAlias.objects.filter(person=person, ended_at=None).exclude(family_name="")
    return person_match_list_for(
        user,
        given_names=person.given_names,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        pnc_id=person.pnc_id,
        aliases=list(aliases.values_list("given_names", "family_name")),
        exclude={person.pk},
        limit=limit,
    )


def suspected_duplicate_list_for(user):
    """The force's suspected duplicates (``SuspectedDuplicate``: both records live, kept by the services),
    best match first, with both people. Index: ``suspected_duplicate_list_idx``."""
    force_id = _force_id_for(user)
    if force_id is None:
        return SuspectedDuplicate.objects.none()
    return (
        SuspectedDuplicate.objects.filter(force_id=force_id)
        .select_related("person", "other")
        .order_by("-score", "person_id", "other_id")
    )


def person_merge_search_for(user, person, q: str, *, limit: int = 20) -> list:
    """The search for the other record on the merge page: as at intake, without the person."""
    return [other for other in person_search_for(user, q, limit=limit + 1) if other.pk != person.pk][:limit]


def person_records_compared_for(user, people) -> tuple[list, list]:
    """For the merge page: the cases and the current aliases of the records compared (two queries)."""
    cases = list(
        case_list_for(user).filter(person__in=people).select_related("scheme").order_by("-created_at", "-id")
    )
    aliases = list(PersonAlias.objects.filter(person__in=people, ended_at=None).order_by("pk"))
    return cases, aliases


def person_merge_list_for(user):
    """Merges of the user's force's records, with the people and who merged or undid them."""
    force_id = _force_id_for(user)
    if force_id is None:
        return PersonMerge.objects.none()
    return PersonMerge.objects.filter(force_id=force_id).select_related(
        "kept", "merged", "merged_by", "undone_by"
    )


def person_merge_get_for(user, pk):
    return get_object_or_404(person_merge_list_for(user), pk=pk)


def person_merges_into_for(user, person):
    """The merges into ``person``'s record still in force, newest first."""
    return person_merge_list_for(user).filter(kept=person, undone_at__isnull=True)


def person_merge_of_for(user, person):
    """The merge that made ``person``'s record a merged one (None if it is not)."""
    return person_merge_list_for(user).filter(merged=person, undone_at__isnull=True).first()


def person_case_list_for(user, person):
    """The person's cases the user may see, newest first, with what the person's page shows."""
    return case_list_for(user).filter(person=person).select_related("scheme").order_by("-created_at", "-id")


def person_change_list_for(user, person):
    """The person's corrections, newest first, with who made each."""
    if person.force_id != _force_id_for(user):
        return PersonChange.objects.none()
    return PersonChange.objects.filter(person=person).select_related("changed_by")


def scheme_list_for(user):
    force_id = _force_id_for(user)
    return Scheme.objects.filter(force_id=force_id, is_active=True) if force_id else Scheme.objects.none()


def _administered_force_id(user):
    """The police force whose schemes this administrator keeps; PermissionDenied for anyone else (an
    administrator of a partner agency or a commissioner's office has no schemes)."""
    if (
        user.is_authenticated
        and user.has_role(Role.ADMINISTRATOR)
        and user.organisation is not None
        and user.organisation.kind == OrganisationKind.POLICE_FORCE
    ):
        return user.organisation_id
    raise PermissionDenied


def scheme_admin_list_for(user):
    """Every scheme of the administrator's force, the inactive ones included."""
    return Scheme.objects.filter(force_id=_administered_force_id(user)).select_related("disposal_type")


def scheme_admin_get_for(user, pk):
    return get_object_or_404(scheme_admin_list_for(user), pk=pk)


def case_worker_list_for(user):
    """Active case workers of the user's force (for ownership and reassignment)."""
    return (
        User.objects.filter(
            organisation_id=user.organisation_id, is_active=True, role_assignments__role=Role.CASE_WORKER
        )
        .distinct()
        .order_by("full_name")
    )


def caseload_owner_list_for(user):
    """Anyone in the user's force who owns open cases, active or not (someone leaving is the usual
    reason to move a caseload), and every active case worker."""
    return (
        User.objects.filter(organisation_id=user.organisation_id)
        .filter(
            Q(owned_cases__status__in=OPEN_STATUSES)
            | Q(is_active=True, role_assignments__role=Role.CASE_WORKER)
        )
        .distinct()
        .order_by("full_name")
    )


def decision_list_for(user, case):
    return EligibilityDecision.objects.filter(case=case).select_related("decided_by", "superseded_by")


# --- The case file (cases/views.py: one page per tab, each reading only what it shows) ------------------


def case_file_get_for(user, pk):
    """The case as the header of every page of its file shows it (templates/cases/_case_header.html), in
    one query: its person, scheme, area and case worker; its caution, a longer period approved and the
    resumed prosecution (each a one-to-one, None when there is none: ``case_file_records``); and the
    current eligibility decision's outcome and date (``decision_outcome``, ``decision_date``). Another
    force's case, and any case to anyone but the police, is a 404."""
    current = EligibilityDecision.objects.filter(case=OuterRef("pk")).order_by("-decided_at", "-id")
    return get_object_or_404(
        case_list_for(user)
        .select_related(
            "person",
            "person__ethnicity",
            "scheme",
            "scheme__disposal_type",
            "area",
            "owner",
            "force",
            "caution__administered_by",
            "period_extension__approved_by",
            "prosecution",
        )
        .annotate(
            decision_outcome=Subquery(current.values("outcome")[:1]),
            decision_date=Subquery(current.values("decision_date")[:1]),
        ),
        pk=pk,
    )


def _one_to_one(case, name):
    try:
        return getattr(case, name)
    except ObjectDoesNotExist:
        return None


def case_file_records(case) -> dict:
    """The caution, longer period and prosecution ``case_file_get_for`` read with the case, or None."""
    return {
        "caution": _one_to_one(case, "caution"),
        "extension": _one_to_one(case, "period_extension"),
        "prosecution": _one_to_one(case, "prosecution"),
    }

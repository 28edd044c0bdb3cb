"""Scoped reads of people and cases: police users see their own force's records; nobody else does."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from offenderhub.accounts.models import POLICE_ROLES, OrganisationKind, Role, User

from .models import (
    Case,
    EligibilityDecision,
    Person,
    PersonAlias,
    PersonChange,
    PersonMerge,
    Scheme,
    normalise_pnc_id,
)
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


def case_search(value: str) -> Q:
    """Cases whose reference contains ``value``, or whose person has every word of it in their names,
    or (when it is one) the PNC ID, without regard to case.

    Written as ``id IN (cases by reference UNION cases by person)``, so that PostgreSQL reads each
    side through its trigram index (migration 0007) and the matches by primary key, instead of
    joining every case to its person to test the names."""
    names = name_words_match(value)
    if pnc_id := pnc_id_or_none(value):
        names |= Q(pnc_id=pnc_id)
    people = Person.objects.filter(names)
    by_reference = Case.objects.filter(reference__icontains=value).order_by().values("pk")
    by_person = Case.objects.filter(person__in=people.values("pk")).order_by().values("pk")
    return Q(pk__in=by_reference.union(by_person))


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


def person_match_list_for(user, *, given_names="", family_name="", date_of_birth=None, pnc_id=""):
    """People of the user's force who may be the same person: same PNC ID, or same name and date
    of birth (names compared without regard to case), or a matching alias."""
    query = Q()
    if pnc_id and (normalised := pnc_id_or_none(pnc_id)):
        query |= Q(pnc_id=normalised)
    if family_name and date_of_birth:
        same_name = Q(family_name__iexact=family_name.strip(), date_of_birth=date_of_birth)
        alias = Q(aliases__family_name__iexact=family_name.strip(), date_of_birth=date_of_birth)
        if given_names:
            same_name &= Q(given_names__iexact=given_names.strip())
        query |= same_name | alias
    if not query:
        return Person.objects.none()
    return person_list_for(user).filter(query).distinct().order_by("family_name")


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
    person's PNC ID, names and date of birth, without the person."""
    return list(
        person_match_list_for(
            user,
            given_names=person.given_names,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            pnc_id=person.pnc_id,
        ).exclude(pk=person.pk)[:limit]
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

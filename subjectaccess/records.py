"""Which records are one person's, or one case's, as the audit log names them: the audit log names a
record by its kind (content type) and number, so "everything about this person" is the person's own
row, their cases and every record of those cases that the services audit on its own.

Read in one query (a UNION ALL of one small indexed read per kind), so that a page asking for the
audit rows of them all costs the same number of queries however many cases the person has. The
audit rows are then read through the index on (content type, record number, time)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, Value

from assessments.models import Assessment
from cases.models import Case, EligibilityDecision, Person
from conditions.models import BreachReview, Caution, Condition, Prosecution, Variation
from referrals.models import Evidence, Referral

from .models import SubjectAccessRequest

# Each kind of record audited on its own, with the lookups from it to its case and to its person.
CASE_RECORDS = (
    (Case, "pk", "person_id"),
    (EligibilityDecision, "case_id", "case__person_id"),
    (Assessment, "case_id", "case__person_id"),
    (Condition, "case_id", "case__person_id"),
    (Variation, "case_id", "case__person_id"),
    (Caution, "case_id", "case__person_id"),
    (BreachReview, "case_id", "case__person_id"),
    (Prosecution, "case_id", "case__person_id"),
    (Referral, "case_id", "case__person_id"),
    (Evidence, "referral__case_id", "referral__case__person_id"),
)


def _union(parts):
    """``[(content type id, [record numbers as text])]`` from querysets of ``(kind, pk)`` rows, in
    one query."""
    querysets = [q for q in parts if q is not None]
    if not querysets:
        return {}
    first, *rest = querysets
    rows = first.union(*rest, all=True) if rest else first
    found: dict[int, list[str]] = {}
    for kind, pk in rows:
        found.setdefault(kind, []).append(str(pk))
    return found


def _rows(model, **lookup):
    kind = ContentType.objects.get_for_model(model).pk
    return (
        model.objects.filter(**lookup)
        .order_by()
        .annotate(audit_kind=Value(kind, output_field=IntegerField()))
        .values_list("audit_kind", "pk")
    )


def person_record_keys(person: Person) -> dict[int, list[str]]:
    """The person's records: ``{content type id: [record numbers]}``, the person's own row included."""
    person_kind = ContentType.objects.get_for_model(Person).pk
    parts = [_rows(model, **{to_person: person.pk}) for model, _, to_person in CASE_RECORDS]
    parts.append(_rows(SubjectAccessRequest, person_id=person.pk))
    found = _union(parts)
    found.setdefault(person_kind, []).append(str(person.pk))
    return found


def case_record_keys(case: Case) -> dict[int, list[str]]:
    """The case's records: ``{content type id: [record numbers]}``, the case's own row included."""
    case_kind = ContentType.objects.get_for_model(Case).pk
    parts = [_rows(model, **{to_case: case.pk}) for model, to_case, _ in CASE_RECORDS if to_case != "pk"]
    found = _union(parts)
    found.setdefault(case_kind, []).append(str(case.pk))
    return found


def record_key(obj) -> dict[int, list[str]]:
    """One record on its own."""
    return {ContentType.objects.get_for_model(obj).pk: [str(obj.pk)]}

"""Scoped reads: subject access requests for the supervisors of their force; the access log of a
person or a case for the force's supervisors and administrators (another force's record is a 404)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from cases.models import Case, Person
from offenderhub.accounts.access import police_force_id_for
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditEvent

from .models import SubjectAccessRequest
from .services import SUBJECT_ACCESS_ROLES

ACCESS_LOG_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


def request_list_for(user):
    force_id = police_force_id_for(user, SUBJECT_ACCESS_ROLES)
    if force_id is None:
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.filter(force_id=force_id)


def request_get_for(user, pk):
    return get_object_or_404(
        request_list_for(user).select_related(
            "person", "created_by", "export_requested_by", "released_by", "withdrawn_by"
        ),
        pk=pk,
    )


def request_person_get_for(user, pk):
    """A person of the supervisor's force, to record a request for."""
    force_id = police_force_id_for(user, SUBJECT_ACCESS_ROLES)
    return get_object_or_404(Person.objects.filter(force_id=force_id), pk=pk)


def access_log_person_get_for(user, pk):
    force_id = police_force_id_for(user, ACCESS_LOG_ROLES)
    return get_object_or_404(Person.objects.filter(force_id=force_id), pk=pk)


def access_log_case_get_for(user, pk):
    force_id = police_force_id_for(user, ACCESS_LOG_ROLES)
    return get_object_or_404(Case.objects.filter(force_id=force_id).select_related("person"), pk=pk)


def access_log_record_find(user, text: str):
    """The person (by number) or case (by reference) of the user's force that ``text`` names, or None."""
    force_id = police_force_id_for(user, ACCESS_LOG_ROLES)
    text = text.strip()
    number = text.lstrip("#").strip()
    if number.lower().startswith("person"):
        number = number[len("person") :].strip().lstrip("#").strip()
    if number.isdigit():
        return Person.objects.filter(force_id=force_id, pk=int(number)).first()
    return Case.objects.filter(force_id=force_id, reference__iexact=text).first()


def access_events_for(user, keys: dict):
    """The audit rows about the records ``keys`` names (``{content type id: [record numbers]}``),
    newest first, read through the audit log's index on (content type, record number, time) and
    nothing else. The records come from the selectors above, so they are the user's force's; every
    audit row about one of them, whoever wrote it (a partner opening a referral too), is the force's
    to review as their controller, as on the audit log page."""
    match = Q()
    for kind, ids in keys.items():
        match |= Q(content_type_id=kind, object_id__in=ids)
    if not match or user.organisation_id is None:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(match)
        .select_related("content_type", "actor_organisation")
        .order_by("-occurred_at", "-id")
    )

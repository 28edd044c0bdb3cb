"""Writing to the audit log. Every service that reads, changes, exports or discloses personal data
calls ``audit_record`` inside its own transaction, so the audit row and the change commit together.

Audit rows can never be changed or erased, so nothing an erasure must remove goes into one: labels
name records by number (``audit_label``), never by a person's name or an uploaded file's name;
reasons are the service's own words, never what someone typed; free text in ``changes`` is recorded
as changed, without its content (``field_changes(..., free_text=...)``); and a search typed into a
page (``?q=``) is not kept in the path."""

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from offenderhub.core.client_ip import client_ip

from .chain import chain_append_values
from .models import AuditAction, AuditEvent

SYSTEM_ACTOR_LABEL = "system"
# What a free-text value becomes in an audit row: that it changed, not what it said.
FREE_TEXT_CHANGED = "(text changed)"
# Query parameters that carry what someone typed, such as a search for a person's name.
FREE_TEXT_PARAMETERS = frozenset({"q"})


def audit_record(
    *,
    actor,
    action: AuditAction,
    obj=None,
    request=None,
    reason: str = "",
    changes: dict | None = None,
    recipient: str = "",
    object_label: str | None = None,
    owner_organisation=None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one audit row. ``actor`` may be None for the system or an unknown person."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if action == AuditAction.ERASED:
        changes = {}  # the log of an erasure must not keep the erased content
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_label=(actor_label or (actor.email if authenticated else SYSTEM_ACTOR_LABEL))[:254],
        actor_organisation_id=getattr(actor, "organisation_id", None) if authenticated else None,
        action=action,
        reason=reason,
        changes=changes or {},
        recipient=recipient,
    )
    if obj is not None:
        event.content_type = ContentType.objects.get_for_model(obj)
        event.object_id = str(obj.pk)
        event.object_label = (object_label or audit_label(obj))[:200]
        event.owner_organisation = owner_organisation or audit_owner(obj)
    else:
        event.object_label = (object_label or "")[:200]
        event.owner_organisation = owner_organisation
    if request is not None:
        event.ip_address = client_ip(request)  # as the lock-out sees it
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        event.path = _audit_path(request)[:500]
    event.save(force_insert=True)
    return event


def audit_system_record_many(*, records, occurred_at) -> int:
    """Append the audit rows of what the system did on its own authority (the daily jobs), in bulk
    and sealed onto the chain in the order given: ``audit_record_many`` with no actor."""
    return audit_record_many(actor=None, records=records, occurred_at=occurred_at)


def audit_record_many(*, actor, records, occurred_at) -> int:
    """Append many audit rows of one actor's work (``None``: the system's), in bulk and sealed onto
    the chain in the order given. Each record is a dict of ``action``, ``content_type`` (a
    ``ContentType``), ``object_id``, ``object_label``, ``owner_organisation_id`` and ``reason``, with
    ``changes`` and ``recipient`` if any: the rows ``audit_record`` would write. On PostgreSQL they are
    copied in from their values, without building a model instance for each of thousands of rows.
    Returns how many."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated else None
    actor_label = actor.email[:254] if authenticated else SYSTEM_ACTOR_LABEL
    actor_organisation_id = actor.organisation_id if authenticated else None
    rows = [
        {
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "actor_organisation_id": actor_organisation_id,
            "action": record["action"],
            "content_type_id": record["content_type"].pk,
            "object_id": str(record["object_id"]),
            "object_label": record["object_label"][:200],
            "owner_organisation_id": record["owner_organisation_id"],
            "changes": record.get("changes") or {},
            "reason": record["reason"],
            "recipient": record.get("recipient", ""),
            "ip_address": None,
            "user_agent": "",
            "path": "",
        }
        for record in records
    ]
    if not rows:
        return 0
    using = router.db_for_write(AuditEvent)
    if connections[using].vendor == "postgresql":
        return chain_append_values(rows, using=using)
    return len(AuditEvent.objects.using(using).bulk_create(AuditEvent(**row) for row in rows))


def audit_label(obj) -> str:
    """A label for the record that names no person: models may define ``audit_label``."""
    label = getattr(obj, "audit_label", None)
    if label:
        return label() if callable(label) else str(label)
    return f"{obj._meta.verbose_name.capitalize()} #{obj.pk}"


def audit_owner(obj):
    owner = getattr(obj, "audit_owner", None)
    return owner() if callable(owner) else owner


def _audit_path(request) -> str:
    """The path and query string, with the values of free-text parameters left out."""
    query = request.GET.copy()
    for name in FREE_TEXT_PARAMETERS.intersection(query):
        query.setlist(name, ["redacted"])
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def field_changes(before: dict, after: dict, *, free_text=()) -> dict:
    """``{field: [before, after]}`` for the fields whose value changed, values as strings. The
    fields named in ``free_text`` (what someone wrote) are recorded as changed, without their content."""

    def show(key, value):
        if value is None:
            return None
        if key in free_text:
            return FREE_TEXT_CHANGED if str(value) else ""
        return str(value)

    return {
        k: [show(k, before.get(k)), show(k, after.get(k))] for k in after if before.get(k) != after.get(k)
    }

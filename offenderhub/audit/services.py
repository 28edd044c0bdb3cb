"""Writing to the audit log. Every service that reads, changes, exports or discloses personal data
calls ``audit_record`` inside its own transaction, so the audit row and the change commit together."""

from django.contrib.contenttypes.models import ContentType

from .models import AuditAction, AuditEvent

SYSTEM_ACTOR_LABEL = "system"


def _client_ip(request):
    if request is None:
        return None
    from django.conf import settings

    if getattr(settings, "AXES_IPWARE_PROXY_COUNT", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[max(len(hops) - settings.AXES_IPWARE_PROXY_COUNT, 0)]
    return request.META.get("REMOTE_ADDR") or None


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
        event.ip_address = _client_ip(request)
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        event.path = request.get_full_path()[:500]
    event.save(force_insert=True)
    return event


def audit_label(obj) -> str:
    """A label for the record that names no person: models may define ``audit_label``."""
    label = getattr(obj, "audit_label", None)
    if label:
        return label() if callable(label) else str(label)
    return f"{obj._meta.verbose_name.capitalize()} #{obj.pk}"


def audit_owner(obj):
    owner = getattr(obj, "audit_owner", None)
    return owner() if callable(owner) else owner


def field_changes(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` for the fields whose value changed, values as strings."""

    def show(value):
        return None if value is None else str(value)

    return {k: [show(before.get(k)), show(after.get(k))] for k in after if before.get(k) != after.get(k)}

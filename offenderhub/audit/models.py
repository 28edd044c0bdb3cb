"""The append-only audit log (DOMAIN.md, Data protection: DPA 2018 s.62).

Rows are only ever inserted. The model refuses updates and deletes, the queryset refuses bulk
updates and deletes, and on PostgreSQL a trigger rejects UPDATE and DELETE on the table itself; the
role the application connects as may only INSERT and SELECT it (``database_roles.py``).

Every row is sealed into a hash chain as it is inserted (``chain.py``), whether by ``save()`` or by
``bulk_create()``, so a row changed, deleted or inserted in the database itself is detected by
``manage.py audit_verify``.
"""

from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, router
from django.utils import timezone

from .chain import chain_append


class AuditAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"
    EXPORTED = "exported", "Exported"
    DISCLOSED = "disclosed", "Disclosed"
    ERASED = "erased", "Erased"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGOUT = "logout", "Logged out"


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Insert many rows at once, sealed onto the chain in the order given."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise AuditLogIsAppendOnly(
                "Audit events are inserted whole: a skipped row would break the chain."
            )
        objs = list(objs)
        if not objs:
            return objs
        insert = partial(super().bulk_create, objs, *args, **kwargs)
        return chain_append(objs, using=self.db, insert=insert)

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def for_record(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(
        max_length=254,
        blank=True,
        help_text="Who acted, as they were known then (email address or 'system').",
    )
    actor_organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(
        max_length=200, blank=True, help_text="A reference for the record that carries no personal data."
    )
    owner_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation responsible for the record (the controller).",
    )
    changes = models.JSONField(default=dict, blank=True, help_text="Field: [before, after] for changes.")
    reason = models.TextField(
        blank=True, help_text="Why: the justification given or the purpose of the action."
    )
    recipient = models.CharField(
        max_length=254, blank=True, help_text="For disclosures: who received the data."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=500, blank=True)

    # The hash chain (chain.py): the row's place, the hash of the row before, the key it was sealed
    # with (a fingerprint) and its own hash.
    sequence = models.BigIntegerField(unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    chain_key_id = models.CharField(max_length=16, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # The audit log page lists newest first, filtered by action, kind of record and record number,
        # by date (a range on occurred_at) and by who (a trigram index on PostgreSQL: migration 0008).
        indexes = [
            models.Index(fields=["content_type", "object_id", "-occurred_at"], name="audit_record_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="audit_newest_idx"),
            models.Index(fields=["action", "-occurred_at", "-id"], name="audit_action_idx"),
            models.Index(fields=["object_id", "-occurred_at"], name="audit_object_idx"),
        ]

    def __str__(self):
        when = f"{self.occurred_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label} {self.get_action_display()} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        chain_append([self], using=using, insert=partial(super().save, *args, **kwargs))

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditChainHead(models.Model):
    """The end of the hash chain: the last row's sequence and hash. One row, locked by every append
    until its transaction commits (so the chain never forks), and compared with the last row by
    ``audit_verify`` (so rows deleted from the end are found)."""

    sequence = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self):
        return f"Audit chain head at sequence {self.sequence}"


class AuditChainCheckpoint(models.Model):
    """A place in the chain verified intact: the daily check walks only the rows after the latest
    one (``chain_verify(since_checkpoint=True)``), so it costs the day's rows, not the whole log. The
    full walk (``manage.py audit_verify``, and the daily job on ``AUDIT_FULL_VERIFY_WEEKDAY``) still
    reads every row. Each checkpoint is sealed with the chain key (``seal``), so one forged or moved
    in the database itself is refused and the next check walks the whole chain."""

    verified_at = models.DateTimeField(default=timezone.now)
    sequence = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    rows_checked = models.BigIntegerField(default=0, help_text="Rows read by the walk that made it.")
    full = models.BooleanField(default=False, help_text="Made by a walk of the whole chain.")
    seal = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence", "-id"]
        get_latest_by = "sequence"

    def __str__(self):
        return f"Audit chain verified to sequence {self.sequence}"

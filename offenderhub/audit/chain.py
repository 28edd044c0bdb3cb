"""The audit log's hash chain: every row sealed with a hash of its content and of the row before it.

Each row has a ``sequence`` (1, 2, 3... with no gaps), the ``previous_hash`` (the row before's
``row_hash``; 64 zeros for the first) and its own ``row_hash``: an HMAC-SHA256 of a canonical
serialisation of its content, its sequence and the previous hash. Changing a row breaks its hash;
deleting one leaves a gap in the sequence; inserting or reordering breaks the next row's link. The
chain head (``AuditChainHead``, one row, moved on by a trigger as each row is inserted) holds the
last sequence and hash, so that rows deleted from the end are found too. ``chain_verify``
(``manage.py audit_verify``, and a daily job) walks it all.

Why an HMAC and not a plain SHA-256: with a plain hash, whoever can write to the database (a database
superuser, a restored copy edited by hand) can rewrite a row and recompute every hash after it, and
the chain would still verify. The key lives in the application's environment (``AUDIT_CHAIN_KEY``,
else derived from ``PSEUDONYM_KEY`` or ``SECRET_KEY``), never in the database, so rows forged or
rewritten in the database alone are detected. Each row names the key it was sealed with (a short
fingerprint, ``chain_key_id``); a replaced key stays in ``AUDIT_CHAIN_KEY_FALLBACKS`` to verify the
rows sealed before (see README.md, "The audit log").

Appending is serialised by locking the chain head (``SELECT ... FOR UPDATE``) until the transaction
that appends commits, so two writers never chain onto the same row; the lock is taken last, after
the row's content is known, and held only until the caller's transaction ends.

The serialisation is fixed (``CHAIN_VERSION``): a column added to the audit table later is not
covered until the version changes, and a change of format must keep verifying the old rows.
"""

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

CHAIN_VERSION = 1
GENESIS_HASH = "0" * 64
HEAD_ID = 1

# The columns a row's hash covers, by attribute name, besides its place in the chain.
HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_organisation_id",
    "action",
    "content_type_id",
    "object_id",
    "object_label",
    "owner_organisation_id",
    "changes",
    "reason",
    "recipient",
    "ip_address",
    "user_agent",
    "path",
)
CHAIN_FIELDS = ("sequence", "previous_hash", "chain_key_id", "row_hash")


# --- Keys ------------------------------------------------------------------------------------------
def _derived_key(secret: str) -> bytes:
    return salted_hmac("offenderhub.audit.chain", "audit chain key", secret=secret).digest()


def key_id(key: bytes) -> str:
    """A short fingerprint naming a key in each row, from which the key cannot be recovered."""
    return hmac.new(key, b"offenderhub audit chain key id", hashlib.sha256).hexdigest()[:16]


def chain_keys() -> list[bytes]:
    """The key new rows are sealed with, then the older keys still accepted for the rows sealed
    with them (each row names its key, so an old key verifies only its own rows)."""
    explicit = getattr(settings, "AUDIT_CHAIN_KEY", "")
    if explicit:
        primary = [explicit.encode()]
    else:
        base = getattr(settings, "PSEUDONYM_KEY", "") or settings.SECRET_KEY
        primary = [_derived_key(base)]
    # A previous AUDIT_CHAIN_KEY, or the previous PSEUDONYM_KEY (or SECRET_KEY) it was derived from.
    previous = list(getattr(settings, "AUDIT_CHAIN_KEY_FALLBACKS", []))
    if not explicit and not getattr(settings, "PSEUDONYM_KEY", ""):
        previous += settings.SECRET_KEY_FALLBACKS
    return primary + [key for old in previous for key in (old.encode(), _derived_key(old))]


# --- Hashing ---------------------------------------------------------------------------------------
def _canonical_value(name, value):
    if name == "occurred_at":
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name == "ip_address":
        if not value:
            return None
        try:
            return str(ipaddress.ip_address(value))  # the same however the database spells it
        except ValueError:
            return str(value)
    return value


def canonical(row: dict) -> bytes:
    """The bytes a row's hash is computed over: its content and place in the chain, as JSON with
    sorted keys, datetimes in UTC to the microsecond."""
    content = {name: _canonical_value(name, row[name]) for name in HASHED_FIELDS}
    content.update(
        v=CHAIN_VERSION,
        sequence=row["sequence"],
        previous_hash=row["previous_hash"],
        key=row["chain_key_id"],
    )
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def row_hash(row: dict, key: bytes) -> str:
    return hmac.new(key, canonical(row), hashlib.sha256).hexdigest()


# --- Appending -------------------------------------------------------------------------------------
def _normalise(event) -> None:
    """Each hashed value as the database will give it back, so the hash verifies when read."""
    for name in HASHED_FIELDS:
        field = event._meta.get_field(name)  # by attribute name: "actor_id" is the actor's key
        value = getattr(event, name)
        if name == "changes":
            value = json.loads(json.dumps(value if value is not None else {}))
        elif name == "ip_address":
            value = value or None
        elif value is not None:
            value = field.to_python(value)
        setattr(event, name, value)


def _event_row(event) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS + CHAIN_FIELDS}


def _head_locked(using):
    """The chain head, locked until the transaction ends. Made from the last row if it is missing
    (a new database, or one emptied by a test's flush)."""
    from .models import AuditChainHead, AuditEvent

    heads = AuditChainHead.objects.using(using)
    head = heads.select_for_update().filter(pk=HEAD_ID).first()
    if head is None:
        last = AuditEvent.objects.using(using).order_by("-sequence").values("sequence", "row_hash").first()
        start = {"sequence": last["sequence"], "row_hash": last["row_hash"]} if last else {}
        heads.bulk_create([AuditChainHead(pk=HEAD_ID, **start)], ignore_conflicts=True)
        head = heads.select_for_update().get(pk=HEAD_ID)
    return head


def chain_append(events, *, using, insert):
    """Seal ``events`` (unsaved, in order) onto the end of the chain and insert them with
    ``insert()``, in one transaction with the caller's: the head stays locked until it commits. The
    database moves the head on to each row inserted (a trigger: migration 0005), which saves a query
    on every audited request."""
    key = chain_keys()[0]
    sealed_with = key_id(key)
    for event in events:
        _normalise(event)
    with transaction.atomic(using=using, savepoint=False):
        head = _head_locked(using)
        sequence, previous = head.sequence, head.row_hash
        for event in events:
            sequence += 1
            event.sequence, event.previous_hash, event.chain_key_id = sequence, previous, sealed_with
            event.row_hash = previous = row_hash(_event_row(event), key)
        return insert()


def chain_append_values(rows, *, using) -> int:
    """``chain_append`` for rows given as plain dicts of the hashed fields (``HASHED_FIELDS``), on
    PostgreSQL: sealed in order and copied in (``COPY``: no model instance built for each of a
    job's thousands of rows, no statement with a parameter for each value). Returns how many.

    A ``COPY`` is not a query Django's debug cursor logs: a test counting queries sees the head's
    lock, not the insert."""
    from .models import AuditEvent

    key = chain_keys()[0]
    sealed_with = key_id(key)
    names = HASHED_FIELDS + CHAIN_FIELDS
    connection = connections[using]
    columns = ", ".join(connection.ops.quote_name(AuditEvent._meta.get_field(name).column) for name in names)
    with transaction.atomic(using=using, savepoint=False):
        head = _head_locked(using)
        sequence, previous = head.sequence, head.row_hash
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {AuditEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                sequence += 1
                # The changes as the database gives them back (see ``_normalise``).
                changes = json.dumps(row["changes"] or {})
                row = {**row, "changes": json.loads(changes)}
                row.update(sequence=sequence, previous_hash=previous, chain_key_id=sealed_with)
                row["row_hash"] = previous = row_hash(row, key)
                copy.write_row([changes if name == "changes" else row[name] for name in names])
    return len(rows)


# --- Verifying -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with the chain: what (``changed``, ``missing``, ``inserted``,
    ``unknown_key``, ``head``), where, and a sentence for the administrators."""

    kind: str
    sequence: int | None
    event_id: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    last_sequence: int
    problem: ChainProblem | None
    last_hash: str = GENESIS_HASH

    @property
    def intact(self) -> bool:
        return self.problem is None


def _describe(row) -> str:
    written = _canonical_value("occurred_at", row["occurred_at"])
    return f"#{row['id']} (sequence {row['sequence']}, written {written})"


def _check_row(row, expected: int, previous: str, keys: dict) -> ChainProblem | None:
    if row["sequence"] != expected:
        missing = (
            f"sequence {expected}"
            if row["sequence"] == expected + 1
            else f"sequences {expected} to {row['sequence'] - 1}"
        )
        return ChainProblem(
            "missing",
            expected,
            row["id"],
            f"Audit rows are missing (deleted): {missing}, just before row {_describe(row)}.",
        )
    if not hmac.compare_digest(row["previous_hash"], previous):
        return ChainProblem(
            "inserted",
            row["sequence"],
            row["id"],
            f"Row {_describe(row)} does not follow the row before it: it was inserted, "
            "moved, or the row before it was replaced.",
        )
    key = keys.get(row["chain_key_id"])
    if key is None:
        return ChainProblem(
            "unknown_key",
            row["sequence"],
            row["id"],
            f"Row {_describe(row)} is sealed with a key this server does not hold (key "
            f"{row['chain_key_id']!r}): add the key it was written with to AUDIT_CHAIN_KEY_FALLBACKS, "
            "or the row was forged.",
        )
    if not hmac.compare_digest(row["row_hash"], row_hash(row, key)):
        return ChainProblem(
            "changed",
            row["sequence"],
            row["id"],
            f"Row {_describe(row)} does not match its hash: it was changed after it was "
            "written, or inserted by someone without the chain key.",
        )
    return None


def _check_head(head, last, rows: int) -> ChainProblem | None:
    last_sequence = last["sequence"] if last else 0
    last_hash = last["row_hash"] if last else GENESIS_HASH
    if head is None:
        if not rows:
            return None
        return ChainProblem(
            "head",
            None,
            None,
            "The audit chain's head is missing: rows deleted from the end of the log could not be told.",
        )
    if head.sequence > last_sequence:
        missing = (
            f"sequence {head.sequence}"
            if head.sequence == last_sequence + 1
            else f"sequences {last_sequence + 1} to {head.sequence}"
        )
        return ChainProblem(
            "missing",
            last_sequence + 1,
            None,
            f"Audit rows are missing (deleted from the end of the log): {missing}.",
        )
    if head.sequence < last_sequence:
        return ChainProblem(
            "inserted",
            head.sequence + 1,
            None,
            f"Audit rows after sequence {head.sequence} (the last one the application wrote) were "
            "inserted outside the application.",
        )
    if not hmac.compare_digest(head.row_hash, last_hash):
        return ChainProblem(
            "changed",
            last_sequence,
            last["id"] if last else None,
            f"The audit chain's head does not match its last row, row {_describe(last)}.",
        )
    return None


def chain_verify(
    *, using: str = "default", chunk_size: int = 5000, since_checkpoint: bool = False
) -> ChainReport:
    """Walk the chain in sequence order, a chunk at a time, recomputing every hash. Returns how many
    rows were read and the first problem, if any. On PostgreSQL the walk reads one snapshot (rows
    appended meanwhile are left for the next run).

    By default the whole chain is walked. With ``since_checkpoint``, only the rows after the latest
    checkpoint (a place a previous walk found intact, ``checkpoint_record``): the checkpoint's own
    seal is checked, and its row must still carry the hash it had, so the rows after it follow on
    from what was verified. What was changed before the checkpoint is left to the full walk. Without
    a checkpoint (or with one whose seal does not verify), the whole chain is walked."""
    from .models import AuditChainHead, AuditEvent

    keys = {key_id(key): key for key in chain_keys()}
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = AuditChainHead.objects.using(using).filter(pk=HEAD_ID).first()
        rows = (
            AuditEvent.objects.using(using).order_by("sequence").values("id", *HASHED_FIELDS, *CHAIN_FIELDS)
        )
        expected, previous, last, count = 1, GENESIS_HASH, None, 0
        checkpoint = _checkpoint_latest(using) if since_checkpoint else None
        if checkpoint is not None:
            anchored = rows.filter(sequence=checkpoint.sequence).first()
            problem = _check_checkpoint(checkpoint, anchored)
            if problem:
                return ChainReport(rows=0, last_sequence=checkpoint.sequence, problem=problem)
            expected, previous, last = checkpoint.sequence + 1, checkpoint.row_hash, anchored
        while True:
            chunk = list(rows.filter(sequence__gte=expected)[:chunk_size])
            for row in chunk:
                problem = _check_row(row, expected, previous, keys)
                if problem:
                    return ChainReport(rows=count, last_sequence=expected - 1, problem=problem)
                expected, previous, last, count = expected + 1, row["row_hash"], row, count + 1
            if len(chunk) < chunk_size:
                break
        return ChainReport(
            rows=count,
            last_sequence=expected - 1,
            problem=_check_head(head, last, expected - 1),
            last_hash=previous,
        )


# --- Checkpoints -----------------------------------------------------------------------------------
def checkpoint_seal(sequence: int, row_hash_value: str, key: bytes) -> str:
    """The checkpoint's own HMAC, with the chain key: a checkpoint written or moved in the database
    itself (to skip rows changed since) does not verify."""
    message = f"offenderhub audit checkpoint v{CHAIN_VERSION}:{sequence}:{row_hash_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _checkpoint_latest(using):
    """The latest checkpoint whose seal verifies with one of the keys held, else ``None`` (the
    caller then walks the whole chain)."""
    from .models import AuditChainCheckpoint

    checkpoint = AuditChainCheckpoint.objects.using(using).order_by("-sequence", "-id").first()
    if checkpoint is None or checkpoint.sequence <= 0:
        return None
    for key in chain_keys():
        if hmac.compare_digest(
            checkpoint.seal, checkpoint_seal(checkpoint.sequence, checkpoint.row_hash, key)
        ):
            return checkpoint
    return None


def _check_checkpoint(checkpoint, row) -> ChainProblem | None:
    """The row a checkpoint stands on must still be there with the hash verified then."""
    if row is None:
        return ChainProblem(
            "missing",
            checkpoint.sequence,
            None,
            f"Audit row with sequence {checkpoint.sequence}, verified intact on "
            f"{_canonical_value('occurred_at', checkpoint.verified_at)}, is missing.",
        )
    if not hmac.compare_digest(row["row_hash"], checkpoint.row_hash):
        return ChainProblem(
            "changed",
            checkpoint.sequence,
            row["id"],
            f"Row {_describe(row)} is not the row verified intact on "
            f"{_canonical_value('occurred_at', checkpoint.verified_at)}: the rows up to it were replaced.",
        )
    return None


def checkpoint_record(report: ChainReport, *, full: bool, using: str = "default"):
    """Record where an intact walk ended, for the next check to start there. Nothing for a broken
    chain or an empty log."""
    from .models import AuditChainCheckpoint

    if not report.intact or report.last_sequence <= 0:
        return None
    key = chain_keys()[0]
    return AuditChainCheckpoint.objects.using(using).create(
        sequence=report.last_sequence,
        row_hash=report.last_hash,
        rows_checked=report.rows,
        full=full,
        seal=checkpoint_seal(report.last_sequence, report.last_hash, key),
    )


def chain_anchor_check(*, sequence: int, row_hash_prefix: str, using: str = "default") -> ChainProblem | None:
    """A row recorded outside the database (the daily job logs the last row's sequence and hash) must
    still be there with that hash: catches rows deleted from the end with the head moved back."""
    from .models import AuditEvent

    row = AuditEvent.objects.using(using).filter(sequence=sequence).values("id", "row_hash").first()
    if row is None:
        return ChainProblem(
            "missing", sequence, None, f"Audit row with sequence {sequence}, recorded before, is missing."
        )
    if not row["row_hash"].startswith(row_hash_prefix.lower()):
        return ChainProblem(
            "changed",
            sequence,
            row["id"],
            f"Audit row #{row['id']} (sequence {sequence}) is not the row recorded before: the rows from "
            "there on were replaced.",
        )
    return None

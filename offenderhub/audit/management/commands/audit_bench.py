"""How fast the audit log appends with several writers at once, each row sealed onto the hash chain
(every append waits for the chain head), and how fast ``audit_verify`` walks it back.

Audit rows can never be deleted, so this never writes to the configured database: it makes a scratch
one beside it (as the test runner does, ``test_<name>``; as the owner when MIGRATION_DATABASE_URL
is set, then writing as the app's role), migrates it, runs the writers as separate processes (as
gunicorn's workers are), verifies the chain, and drops it. The figures go in docs/performance.md.
"""

import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models

from offenderhub.audit.chain import chain_verify
from offenderhub.audit.database_roles import as_owner
from offenderhub.audit.models import AuditAction, AuditEvent
from offenderhub.audit.services import audit_record


def _append_chained(n: int) -> None:
    """One audit row, as a page view records it: sealed onto the chain in its own transaction."""
    audit_record(
        actor=None,
        action=AuditAction.VIEWED,
        object_label="Benchmark",
        reason="Benchmark row: a case page opened",
    )


def _append_unchained(n: int) -> None:
    """The same row as a plain insert, outside the chain (``--unchained``: what the chain costs)."""
    event = AuditEvent(
        action=AuditAction.VIEWED,
        actor_label="system",
        object_label="Benchmark",
        reason="Benchmark row: a case page opened",
        sequence=os.getpid() * 10_000_000 + n,
        previous_hash="",
        chain_key_id="",
        row_hash="",
    )
    models.QuerySet.bulk_create(AuditEvent.objects.all(), [event])


def _write(append, start_at: float, stop_at: float, results) -> None:
    """One writer: append rows one transaction each until ``stop_at``; report their latencies."""
    connections.close_all()  # never the parent's connection
    latencies = []
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < stop_at:
        began = time.perf_counter()
        append(len(latencies))
        latencies.append(time.perf_counter() - began)
    connections.close_all()
    results.put(latencies)


class Command(BaseCommand):
    help = "Measure audit rows appended per second with several writers, on a scratch database."

    def add_arguments(self, parser):
        parser.add_argument("--writers", type=int, default=4, help="Processes appending at once.")
        parser.add_argument("--seconds", type=float, default=10.0, help="How long they append.")
        parser.add_argument(
            "--unchained", action="store_true", help="Plain inserts outside the chain, to compare."
        )

    def handle(self, *args, writers=4, seconds=10.0, unchained=False, **options):
        if writers < 1 or seconds <= 0:
            raise CommandError("--writers must be at least 1 and --seconds more than 0.")
        with tempfile.TemporaryDirectory() as folder:
            if connection.vendor == "sqlite":  # a file the writers' processes share, not memory
                connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(folder) / "bench.sqlite3")
            original = connection.settings_dict["NAME"]
            self.stdout.write(f"Making a scratch database beside {original!r} (a minute or so)...")
            with as_owner():
                connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            try:
                self._measure(writers, seconds, _append_unchained if unchained else _append_chained)
            finally:
                with as_owner():
                    connection.creation.destroy_test_db(original, verbosity=0)

    def _measure(self, writers: int, seconds: float, append):
        connections.close_all()
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 1.0
        processes = [
            context.Process(target=_write, args=(append, start_at, start_at + seconds, results))
            for _ in range(writers)
        ]
        for process in processes:
            process.start()
        latencies = [results.get(timeout=seconds + 120) for _ in processes]
        for process in processes:
            process.join()
        every = sorted(value for writer in latencies for value in writer)
        rows = len(every)

        def ms(value):
            return f"{value * 1000:.1f} ms"

        kind = "chained" if append is _append_chained else "unchained (plain inserts)"
        self.stdout.write(
            f"{connection.vendor}, {kind}, {writers} writers for {seconds:g} s: {rows} rows, "
            f"{rows / seconds:.0f} appends per second; per append median {ms(statistics.median(every))}, "
            f"95th percentile {ms(every[int(len(every) * 0.95) - 1])}, slowest {ms(every[-1])}."
        )
        if append is not _append_chained:
            return
        began = time.perf_counter()
        report = chain_verify()
        verify_seconds = time.perf_counter() - began
        if not report.intact or report.rows != rows:
            raise CommandError(f"The chain did not verify after the run: {report}")
        self.stdout.write(
            f"audit_verify: {report.rows} rows intact in {verify_seconds:.2f} s "
            f"({report.rows / max(verify_seconds, 1e-9):.0f} rows per second)."
        )

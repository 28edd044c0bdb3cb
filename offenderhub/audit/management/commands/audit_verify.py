"""Walk the audit log's hash chain and say whether it is intact: exit 0 if so, 1 naming the first row
changed, missing or inserted (offenderhub/audit/chain.py).

By default (or with ``--full``) every row is read; ``--since-checkpoint`` reads only the rows after
the latest checkpoint, as the daily job does on most days. An intact walk records a checkpoint."""

from django.core.management.base import BaseCommand, CommandError

from offenderhub.audit.chain import chain_anchor_check, chain_verify, checkpoint_record


class Command(BaseCommand):
    help = (
        "Check that no audit row has been changed, deleted or inserted since it was written: recomputes "
        "every row's hash in order. Exits 1 naming the first broken row."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Rows read at a time.")
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQUENCE:HASH",
            help="A row reported before (by this command or the daily job's log) that must still be there.",
        )
        walk = parser.add_mutually_exclusive_group()
        walk.add_argument(
            "--full", action="store_true", help="Walk the whole chain (the default; said explicitly)."
        )
        walk.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Walk only the rows after the latest checkpoint, as the daily job does.",
        )

    def handle(self, *args, chunk_size=5000, expect=(), since_checkpoint=False, **options):
        anchors = [self._anchor(value) for value in expect]
        report = chain_verify(chunk_size=chunk_size, since_checkpoint=since_checkpoint)
        problem = report.problem or next(
            filter(None, (chain_anchor_check(sequence=s, row_hash_prefix=h) for s, h in anchors)), None
        )
        if problem:
            raise CommandError(f"The audit log's hash chain is broken. {problem.message}")
        checkpoint_record(report, full=not since_checkpoint)
        first = report.last_sequence - report.rows + 1
        self.stdout.write(
            f"The audit log is intact: {report.rows} rows, sequence {first} to {report.last_sequence} "
            f"(last row {report.last_sequence}:{report.last_hash[:16]})."
        )

    def _anchor(self, value: str) -> tuple[int, str]:
        sequence, _, prefix = value.partition(":")
        if not sequence.isdigit() or len(prefix) < 8:
            raise CommandError(f"--expect takes SEQUENCE:HASH (at least 8 hex digits), not {value!r}.")
        return int(sequence), prefix

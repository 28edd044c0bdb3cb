"""manage.py duplicates_benchmark [--pairs FILE]: the duplicate matching's recall and precision on the
labelled near-duplicate set (``cases.matching_benchmark``). Saves nothing: the set is recorded in a
scratch force inside a transaction that is rolled back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases import matching_benchmark


class Command(BaseCommand):
    help = "Measure the duplicate matching's recall and precision on the labelled near-duplicate set."

    def add_arguments(self, parser):
        parser.add_argument("--pairs", type=Path, default=matching_benchmark.PAIRS, help="The labelled CSV.")

    def handle(self, *args, pairs, **options):
        if not pairs.exists():
            raise CommandError(f"No such file: {pairs}")
        result = matching_benchmark.run(pairs)
        for line in matching_benchmark.report(result):
            self.stdout.write(line)

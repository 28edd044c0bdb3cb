from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bringing a force's existing caseload in from a spreadsheet (issue 14, part 5). It sits above
    ``referrals`` in the stack: an import writes people, cases, conditions and referrals."""

    name = "imports"
    verbose_name = "Caseload imports"

    def ready(self):
        from cases.events import PersonErasing, subscribe

        from . import people, tasks  # noqa: F401  (the import's jobs)

        # An erasure discards a file waiting to be imported that names the person (imports/people.py).
        subscribe(PersonErasing, people.imports_erase)

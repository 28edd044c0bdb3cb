from django.apps import AppConfig


class SubjectAccessConfig(AppConfig):
    name = "subjectaccess"
    verbose_name = "Subject access"

    def ready(self):
        from cases.events import (
            PersonErasing,
            PersonErasureAsked,
            PersonMerged,
            PersonMergeUndoAsked,
            PersonMergeUndone,
            subscribe,
        )

        from . import people, tasks  # noqa: F401  (the export's job and its sweep, known to beat and the worker)

        # A request follows the person when records are merged (and back on undo); an open request holds
        # an erasure; an erasure reaches the requests and their export files (subjectaccess/people.py).
        subscribe(PersonMerged, people.requests_merge)
        subscribe(PersonMergeUndoAsked, people.requests_merge_undo_refusal)
        subscribe(PersonMergeUndone, people.requests_merge_undo)
        subscribe(PersonErasureAsked, people.requests_erasure_refusal)
        subscribe(PersonErasing, people.requests_erase)

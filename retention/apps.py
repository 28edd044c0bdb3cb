from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Retention review, legal holds and erasure (issue 15). At the top of the stack, beside the pages
    that gather every app: an erasure reaches the records of cases, assessments, conditions, referrals
    and reporting, so this app may import from all of them and none of them imports from it. What the
    other apps at the top hold (subject access, caseload imports) they erase themselves, on the
    ``PersonErasing`` event retention announces (``cases.events``)."""

    name = "retention"
    verbose_name = "Retention and erasure"

    def ready(self):
        from cases.events import PersonMerged, PersonMergeUndoAsked, PersonMergeUndone, subscribe

        from . import checks, merging  # noqa: F401  (RETENTION_REVIEW_YEARS names only statuses a case ends in)

        # Legal holds and reviews follow the person when records are merged (retention/merging.py).
        subscribe(PersonMerged, merging.retention_merge)
        subscribe(PersonMergeUndoAsked, merging.retention_merge_undo_refusal)
        subscribe(PersonMergeUndone, merging.retention_merge_undo)

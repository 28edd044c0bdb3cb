from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Retention review, legal holds and erasure (issue 15). At the top of the stack, beside the pages
    that gather every app: an erasure reaches the records of cases, assessments, conditions, referrals
    and reporting, so this app may import from all of them and none of them imports from it."""

    name = "retention"
    verbose_name = "Retention and erasure"

    def ready(self):
        from . import checks  # noqa: F401  (RETENTION_REVIEW_YEARS names only statuses a case ends in)

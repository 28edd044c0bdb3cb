from django.apps import AppConfig
from django.db.models.signals import post_migrate


def triggers_after_migrate(using="default", **kwargs):
    """Put the summaries' triggers back after every ``migrate``: a later migration of another app may
    have rebuilt a table (SQLite does for most changes), taking its triggers with it."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if triggers.QUEUE in connection.introspection.table_names():
        triggers.install(connection)


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from cases.events import PersonMerged, PersonMergeUndoAsked, PersonMergeUndone, subscribe

        from . import checks, services, tasks  # noqa: F401  (deployment check; the summaries' job)

        # Police records follow the person when two records are merged, and back when it is undone.
        subscribe(PersonMerged, services.recorded_offences_merge)
        subscribe(PersonMergeUndoAsked, services.recorded_offences_merge_undo_refusal)
        subscribe(PersonMergeUndone, services.recorded_offences_merge_undo)

        post_migrate.connect(triggers_after_migrate, sender=self, dispatch_uid="reporting_summary_triggers")

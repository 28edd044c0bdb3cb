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
        from . import checks, tasks  # noqa: F401  (deployment check; the summaries' job)

        post_migrate.connect(triggers_after_migrate, sender=self, dispatch_uid="reporting_summary_triggers")

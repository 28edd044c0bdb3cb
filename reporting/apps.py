from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment check)

from django.apps import AppConfig


class SubjectAccessConfig(AppConfig):
    name = "subjectaccess"
    verbose_name = "Subject access"

    def ready(self):
        from . import tasks  # noqa: F401  (the export's job and its sweep, known to beat and the worker)

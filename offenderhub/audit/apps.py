from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "offenderhub.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from . import signals  # noqa: F401  (login, logout and failed-login receivers)
        from .database_roles import grant_after_migrate

        # After every `migrate`: the app's database role granted what it needs (database_roles.py).
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit_app_role_grant")

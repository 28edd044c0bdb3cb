"""Django's ``migrate``, connected as the database owner when ``MIGRATION_DATABASE_URL`` is set
(offenderhub/audit/database_roles.py): the app's own role may not create or alter tables."""

from django.core.management.commands.migrate import Command as MigrateCommand

from offenderhub.audit.database_roles import as_owner


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with as_owner(options["database"]):
            return super().handle(*args, **options)

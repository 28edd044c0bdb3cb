from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from offenderhub.core.demo import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo organisations, users and cases (idempotent). For a first run, never for production."

    def add_arguments(self, parser):
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load demo data even with DEBUG off (a training site).",
        )

    def handle(self, *args, logins_only=False, allow_production=False, **options):
        if not logins_only:
            if not settings.DEBUG and not allow_production:
                raise CommandError(
                    "Refusing to load demo data with DEBUG off. Use --allow-production for a training site."
                )
            seed_demo(out=lambda line: self.stdout.write(f"  {line}"))
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        width = max(len(email) for email, _, _ in demo_logins())
        self.stdout.write(
            f"\n  {'Email'.ljust(width)}  Role (organisation)     password for all: {DEMO_PASSWORD}"
        )
        for email, roles, organisation in demo_logins():
            self.stdout.write(f"  {email.ljust(width)}  {roles} ({organisation})")

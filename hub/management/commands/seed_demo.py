from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.demo import seed_demo
from offenderhub.core.demo import DEMO_PASSWORD, demo_logins

REFUSAL = (
    "DEBUG is off, so these are production settings and no demo data was loaded.\n"
    "On a laptop, turn DEBUG on for the command: `make seed`, or\n"
    "    DEBUG=True .venv/bin/python manage.py seed_demo\n"
    "For a training site, where the demo data is wanted with DEBUG off, add --allow-production."
)


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
                raise CommandError(REFUSAL)
            seed_demo(out=lambda line: self.stdout.write(f"  {line}"))
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        width = max(len(email) for email, _, _ in demo_logins())
        self.stdout.write(
            f"\n  {'Email'.ljust(width)}  Role (organisation)     password for all: {DEMO_PASSWORD}"
        )
        for email, roles, organisation in demo_logins():
            self.stdout.write(f"  {email.ljust(width)}  {roles} ({organisation})")
        self.stdout.write(
            "\n  After the password, enter the user's security code: "
            "`.venv/bin/python manage.py demo_codes` prints them (each changes every 30 seconds)."
        )

from django.core.management.base import BaseCommand, CommandError

from offenderhub.core.demo import demo_codes


class Command(BaseCommand):
    help = (
        "Print the current security code (second factor) of each demo user. Each code changes every "
        "30 seconds and works once. Demo accounts only: a real person's code is never printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="Only this demo user.")

    def handle(self, *args, email=None, **options):
        codes = [(e, code) for e, code in demo_codes() if email is None or e == email.strip().lower()]
        if not codes:
            raise CommandError(f"{email} is not a demo user.")
        width = max(len(e) for e, _ in codes)
        for e, code in codes:
            self.stdout.write(f"  {e.ljust(width)}  {code or 'no demo authenticator (run seed_demo)'}")

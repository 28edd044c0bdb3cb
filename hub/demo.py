"""Demo data for a first run. Loaded only by ``manage.py seed_demo``, never by a migration.

Each capability adds a step to ``DEMO_STEPS``, in the order the stack builds up: the foundation's
organisations and users, then each app's own demo. Every step is idempotent (get-or-create by a natural
key), so the command can run on every ``make run``.
"""

from django.db import transaction

from cases.demo import seed_cases
from imports.demo import seed_imports
from offenderhub.core.demo import seed_organisations, seed_users
from reporting.demo import seed_reporting
from retention.demo import seed_retention
from subjectaccess.demo import seed_subject_access

from .compliance_demo import seed_compliance

# The caseload import before the reporting step, which summarises every case for the dashboard.
DEMO_STEPS = [
    seed_organisations,
    seed_users,
    seed_cases,
    seed_compliance,
    seed_imports,
    seed_reporting,
    seed_retention,
    seed_subject_access,
]


def seed_demo(out=print):
    with transaction.atomic():
        for step in DEMO_STEPS:
            step(out)

"""What the caseload import tests share: the demo's force, schemes, staff, partners and services (the
example file, docs/examples/caseload.csv, names them), and files built from the example's rows."""

from pathlib import Path

import pytest
from django.conf import settings

from cases.demo import SCHEMES
from cases.models import DisposalType, Scheme
from offenderhub.accounts.models import Organisation, User
from offenderhub.core.demo import FORCE, seed_organisations, seed_users
from referrals.demo import seed_services

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "caseload.csv"


@pytest.fixture
def world(db):
    """The demo's organisations, users, schemes and partner services, without its cases."""
    seed_organisations(lambda line: None)
    seed_users(lambda line: None)
    force = Organisation.objects.get(name=FORCE)
    for spec in SCHEMES:
        spec = dict(spec)
        disposal = DisposalType.objects.get(code=spec.pop("disposal"))
        Scheme.objects.get_or_create(
            code=spec["code"], defaults={**spec, "force": force, "disposal_type": disposal}
        )
    seed_services()
    return force


@pytest.fixture
def admin(world):
    return User.objects.get(email="admin@fenshire-police.example")

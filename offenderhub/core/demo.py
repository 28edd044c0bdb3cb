"""The demo's organisations, areas and users, with their passwords and authenticator apps, for a first
run: the foundation's part of the demo data, which every app's demo builds on. Loaded only by
``manage.py seed_demo`` (``hub/demo.py``, which runs every app's steps in order), never by a
migration. Every step is idempotent (get-or-create by a natural key), so the command can run on every
``make run``.
"""

import hashlib
import os
from dataclasses import dataclass

from offenderhub.accounts.models import Area, Organisation, OrganisationKind, Role, RoleAssignment, User

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Fenshire-demo-2026")
# Every demo user's authenticator app is set up with a secret anyone can work out from their email
# address: `manage.py demo_codes` prints the codes. Demo accounts only, never a real person's.
DEMO_AUTHENTICATOR_NAME = "Demo authenticator (manage.py demo_codes)"

FORCE = "Fenshire Constabulary"
OPCC = "Office of the Police and Crime Commissioner for Fenshire"
AREAS = [("North Fenshire", "north"), ("South Fenshire", "south")]
AGENCIES = [
    ("Compass Drug and Alcohol Service", "referrals@compass.example"),
    ("Open Door Housing Support", "referrals@opendoor.example"),
    ("Fenland Debt and Money Advice", "referrals@fenlanddebt.example"),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    organisation: str
    roles: tuple
    job_title: str = ""
    area: str = ""


DEMO_USERS = [
    DemoUser(
        "caseworker@fenshire-police.example",
        "Priya Shah",
        FORCE,
        (Role.CASE_WORKER,),
        "Offender Hub navigator",
        "North Fenshire",
    ),
    DemoUser(
        "caseworker2@fenshire-police.example",
        "Tom Harris",
        FORCE,
        (Role.CASE_WORKER,),
        "Offender Hub navigator",
        "South Fenshire",
    ),
    DemoUser(
        "decisions@fenshire-police.example",
        "Sgt Alan Reid",
        FORCE,
        (Role.DECISION_MAKER,),
        "Custody sergeant",
        "North Fenshire",
    ),
    DemoUser(
        "supervisor@fenshire-police.example",
        "Insp Grace Okafor",
        FORCE,
        (Role.SUPERVISOR,),
        "Inspector, Offender Hub",
    ),
    # A second supervisor: an erasure asked for by one supervisor is approved by another (retention/).
    DemoUser(
        "supervisor2@fenshire-police.example",
        "Insp Mark Bell",
        FORCE,
        (Role.SUPERVISOR,),
        "Inspector, records and disclosure",
    ),
    DemoUser(
        "admin@fenshire-police.example", "Sam Lee", FORCE, (Role.ADMINISTRATOR,), "Systems administrator"
    ),
    DemoUser(
        "manager@compass.example", "Helen Price", AGENCIES[0][0], (Role.PARTNER_MANAGER,), "Team leader"
    ),
    DemoUser(
        "practitioner@compass.example",
        "Jamie Cole",
        AGENCIES[0][0],
        (Role.PARTNER_PRACTITIONER,),
        "Recovery worker",
    ),
    DemoUser(
        "manager@opendoor.example", "Ruth Adams", AGENCIES[1][0], (Role.PARTNER_MANAGER,), "Service manager"
    ),
    DemoUser(
        "practitioner@opendoor.example",
        "Omar Farouk",
        AGENCIES[1][0],
        (Role.PARTNER_PRACTITIONER,),
        "Housing support worker",
    ),
    DemoUser("analyst@fenshire-opcc.example", "Dr Nia Evans", OPCC, (Role.ANALYST,), "Performance analyst"),
    DemoUser("admin@fenshire-opcc.example", "Kate Morris", OPCC, (Role.ADMINISTRATOR,), "Office manager"),
]


def seed_organisations(out):
    force, _ = Organisation.objects.get_or_create(
        name=FORCE,
        defaults={"kind": OrganisationKind.POLICE_FORCE, "email": "offenderhub@fenshire-police.example"},
    )
    for name, code in AREAS:
        Area.objects.get_or_create(force=force, code=code, defaults={"name": name})
    for name, email in AGENCIES:
        Organisation.objects.get_or_create(
            name=name, defaults={"kind": OrganisationKind.PARTNER_AGENCY, "email": email}
        )
    Organisation.objects.get_or_create(
        name=OPCC, defaults={"kind": OrganisationKind.COMMISSIONER_OFFICE, "force": force}
    )
    out(f"organisations: {Organisation.objects.count()}, areas: {Area.objects.count()}")


def seed_users(out):
    organisations = {o.name: o for o in Organisation.objects.all()}
    areas = {a.name: a for a in Area.objects.all()}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=spec.email,
            defaults={
                "full_name": spec.full_name,
                "organisation": organisations[spec.organisation],
                "job_title": spec.job_title,
                "area": areas.get(spec.area),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        else:
            demo_password_hash_upgrade(user)
        for role in spec.roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
        demo_authenticator_enrol(user)
    out(f"users: {User.objects.count()}")


def demo_password_hash_upgrade(user) -> bool:
    """Store a demo user's password with the first of ``PASSWORD_HASHERS`` (and its current
    parameters), as their next sign-in would, where it is still the demo password: a database seeded
    before a change of hasher then signs in at the new hasher's speed from the first time (the
    benchmark measures that). A password the person changed is left alone. True if re-hashed."""
    from django.contrib.auth.hashers import get_hasher, identify_hasher

    if not user.has_usable_password():
        return False
    preferred = get_hasher()
    try:
        current = identify_hasher(user.password)
    except ValueError:
        return False
    if current.algorithm == preferred.algorithm and not preferred.must_update(user.password):
        return False
    # check_password re-hashes and saves the password itself when it matches and is out of date.
    return user.check_password(DEMO_PASSWORD)


def demo_password_hashes_upgrade() -> int:
    """``demo_password_hash_upgrade`` for every demo user; returns how many were re-hashed."""
    users = User.objects.filter(email__in=[spec.email for spec in DEMO_USERS])
    return sum(demo_password_hash_upgrade(user) for user in users)


def demo_secret(email: str) -> str:
    """The demo user's TOTP secret (hex, 20 bytes): known, so the demo's codes can be printed."""
    return hashlib.sha1(f"offenderhub-demo-authenticator:{email}".encode()).hexdigest()  # noqa: S324


def demo_authenticator_enrol(user):
    """Give a demo user a confirmed authenticator app with the known secret, unless they have set up
    one of their own (an administrator's reset, then a new app, is kept)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return
    TOTPDevice.objects.create(
        user=user, name=DEMO_AUTHENTICATOR_NAME, key=demo_secret(user.email), confirmed=True
    )


def demo_codes() -> list[tuple[str, str | None]]:
    """``(email, current code)`` for each demo user; ``None`` where the user has no demo
    authenticator (not seeded yet, or they set up an app of their own)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from offenderhub.accounts.two_factor import current_code

    devices = {
        device.user.email: device
        for device in TOTPDevice.objects.filter(
            user__email__in=[spec.email for spec in DEMO_USERS], confirmed=True
        ).select_related("user")
        if device.key == demo_secret(device.user.email)
    }
    return [
        (spec.email, current_code(devices[spec.email]) if spec.email in devices else None)
        for spec in DEMO_USERS
    ]


def demo_logins() -> list[tuple[str, str, str]]:
    return [(u.email, ", ".join(Role(r).label for r in u.roles), u.organisation) for u in DEMO_USERS]

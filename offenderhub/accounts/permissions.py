"""What an administrator may manage in the Django admin.

Administrators manage users, organisations, schemes and reference data: never case data unless
they also hold a case role (DESIGN.md). Each entry is ``app_label.model``: the actions allowed and
the kinds of organisation whose administrators may take them (None: any kind). What each
administrator then sees is scoped to their own organisation by ``OrganisationScopedAdminMixin``.
Later capabilities add their reference data here, and only here.
"""

from .models import OrganisationKind

ALL = frozenset({"view", "add", "change", "delete"})
VIEW = frozenset({"view"})
POLICE = frozenset({OrganisationKind.POLICE_FORCE})

ADMINISTRATOR_MODELS = {
    "accounts.organisation": (VIEW | {"change"}, None),
    "accounts.area": (ALL - {"delete"}, POLICE),
    "accounts.user": (ALL - {"delete"}, None),
    "accounts.roleassignment": (ALL, None),
    "audit.auditevent": (VIEW, None),
    "axes.accessattempt": (VIEW | {"delete"}, None),
    "axes.accessfailurelog": (VIEW, None),
    "axes.accesslog": (VIEW, None),
    # National reference data, shared by every force: police administrators look, superusers change
    # (issue 13). Each force's schemes are its own.
    "cases.offence": (VIEW, POLICE),
    "cases.crimecostcategory": (VIEW, POLICE),
    "cases.ethnicity": (VIEW, POLICE),
    "cases.disposaltype": (VIEW, POLICE),
    "cases.scheme": (ALL - {"delete"}, POLICE),
    # The condition catalogue: the national entries are read-only to administrators, who keep their
    # own force's entries (conditions/admin.py).
    "conditions.conditiontemplate": (ALL - {"delete"}, POLICE),
    # The partner directory: each agency's administrators, for their own services.
    "referrals.service": (ALL - {"delete"}, frozenset({OrganisationKind.PARTNER_AGENCY})),
}


def administrator_may(perm: str, organisation_kind=None) -> bool:
    """``perm`` is Django's ``app_label.action_model`` permission name."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    actions, kinds = ADMINISTRATOR_MODELS.get(f"{app_label}.{model}", (frozenset(), None))
    return action in actions and (kinds is None or organisation_kind in kinds)


def administrator_app_labels(organisation_kind=None) -> set[str]:
    return {
        key.split(".", 1)[0]
        for key, (_, kinds) in ADMINISTRATOR_MODELS.items()
        if kinds is None or organisation_kind in kinds
    }

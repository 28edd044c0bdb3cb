"""What an administrator may manage in the Django admin.

Administrators manage users, organisations, schemes and reference data: never case data unless
they also hold a case role (DESIGN.md). Each entry is ``app_label.model`` with the actions allowed.
Later capabilities add their reference data here, and only here.
"""

ALL = frozenset({"view", "add", "change", "delete"})
VIEW = frozenset({"view"})

ADMINISTRATOR_MODELS = {
    "accounts.organisation": ALL - {"delete"},
    "accounts.area": ALL - {"delete"},
    "accounts.user": ALL - {"delete"},
    "accounts.roleassignment": ALL,
    "audit.auditevent": VIEW,
    "axes.accessattempt": VIEW | {"delete"},
    "axes.accessfailurelog": VIEW,
    "axes.accesslog": VIEW,
    # Reference data and schemes (cases issue).
    "cases.offence": ALL,
    "cases.crimecostcategory": ALL,
    "cases.ethnicity": ALL,
    "cases.disposaltype": ALL,
    "cases.scheme": ALL - {"delete"},
}


def administrator_may(perm: str) -> bool:
    """``perm`` is Django's ``app_label.action_model`` permission name."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    return action in ADMINISTRATOR_MODELS.get(f"{app_label}.{model}", ())


def administrator_app_labels() -> set[str]:
    return {key.split(".", 1)[0] for key in ADMINISTRATOR_MODELS}

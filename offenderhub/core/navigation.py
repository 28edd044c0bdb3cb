"""The service navigation, declared once: each item names the roles that see it."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from offenderhub.accounts.models import OrganisationKind, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    police_only: bool = False  # shown only to people of a police force
    kinds: frozenset | None = None  # shown only to people of these kinds of organisation


NAVIGATION = [
    NavItem("Home", "core:home", frozenset(Role)),
    NavItem("Inbox", "notifications:inbox", frozenset(Role)),
    NavItem("Cases", "cases:list", frozenset({Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR})),
    NavItem("Reports", "reporting:dashboard", frozenset({Role.ANALYST, Role.SUPERVISOR})),
    NavItem("Referrals", "referrals:workspace", frozenset({Role.PARTNER_MANAGER, Role.PARTNER_PRACTITIONER})),
    NavItem(
        "My organisation",
        "accounts:my_organisation",
        frozenset({Role.SUPERVISOR, Role.PARTNER_MANAGER, Role.ADMINISTRATOR}),
    ),
    NavItem(
        "Retention", "retention:queue", frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}), police_only=True
    ),
    NavItem("Subject access", "subjectaccess:list", frozenset({Role.SUPERVISOR}), police_only=True),
    NavItem("Audit log", "audit:log", frozenset({Role.ADMINISTRATOR})),
    NavItem("Jobs", "core:jobs", frozenset({Role.ADMINISTRATOR})),
    NavItem("Schemes", "cases:scheme_list", frozenset({Role.ADMINISTRATOR}), police_only=True),
    NavItem("Imports", "imports:list", frozenset({Role.ADMINISTRATOR}), police_only=True),
    NavItem(
        "Extract permissions",
        "reporting:extract_permissions",
        frozenset({Role.ADMINISTRATOR}),
        kinds=frozenset({OrganisationKind.POLICE_FORCE, OrganisationKind.COMMISSIONER_OFFICE}),
    ),
    NavItem("Administration", "admin:index", frozenset({Role.ADMINISTRATOR})),
]


def navigation_for(user, current_path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for item in NAVIGATION:
        if not user.has_role(*item.roles):
            continue
        kind = getattr(user.organisation, "kind", None)
        if item.police_only and kind != OrganisationKind.POLICE_FORCE:
            continue
        if item.kinds is not None and kind not in item.kinds:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items

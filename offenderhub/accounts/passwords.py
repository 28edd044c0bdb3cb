"""Passwords people manage themselves, to the NCSC's guidance: long (at least 12 characters), not
on a deny-list, not like the person's name or email address, and no composition rules (no "one
capital, one digit, one symbol", which only make passwords harder to remember and no harder to
guess). The validators are listed in settings.AUTH_PASSWORD_VALIDATORS.

Every change, by the person or through a reset link, is audited and the person is told by email.
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from .emails import account_email_queue

# Words that make a password easy to guess here, whatever digits or symbols surround them.
SERVICE_WORDS = frozenset(
    {"offender", "offenders", "hub", "police", "constabulary", "force", "password", "welcome", "admin"}
)
SHORTEST_ORGANISATION_WORD = 4


class ServiceWordsValidator:
    """Refuses a password whose letters are only the service's words, police words or the words of
    the person's organisation's name, whatever digits and symbols are around them:
    ``OffenderHub2026!``, ``Fenshire-Police-1``. A password that adds words of its own passes."""

    def __init__(self, words=None):
        self.words = frozenset(w.lower() for w in words) if words else SERVICE_WORDS

    def validate(self, password, user=None):
        letters = re.sub(r"[^a-z]", "", password.lower())
        if letters and made_of_words(letters, self.words | organisation_words(user)):
            raise ValidationError(
                "Your password is too easy to guess: it is only the names of this service, "
                "the police or your organisation. Add words of your own.",
                code="password_service_words",
            )

    def get_help_text(self):
        return "Your password cannot be just the name of this service, the police or your organisation."


def organisation_words(user) -> frozenset:
    organisation = getattr(user, "organisation", None)
    if organisation is None:
        return frozenset()
    words = re.findall(r"[a-z]+", organisation.name.lower())
    return frozenset(w for w in words if len(w) >= SHORTEST_ORGANISATION_WORD)


def made_of_words(letters: str, words: frozenset) -> bool:
    """Whether ``letters`` is nothing but ``words`` one after another (each any number of times)."""
    ends = [True] + [False] * len(letters)  # ends[i]: letters[:i] is made of words
    for i in range(1, len(letters) + 1):
        ends[i] = any(ends[i - len(w)] and letters[i - len(w) : i] == w for w in words if len(w) <= i)
    return ends[-1]


def password_change(*, user, new_password: str, request=None, how: str = "Password changed") -> None:
    """Set ``user``'s password (already validated by the form), audit it and tell them by email.
    Their other sessions end: Django signs a session with the password it began with."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(
            actor=user,  # through a reset link too: whoever holds the link acts as the person
            action=AuditAction.CHANGED,
            obj=user,
            request=request,
            reason=how,
            object_label=f"User #{user.pk}",
            owner_organisation=user.organisation,
        )
        account_email_queue(user=user, kind="password_changed")


def password_reset_request(*, email: str) -> None:
    """Email a reset link to the active account with this address, if there is one. Nothing is sent
    at once, and nothing is said about whether the account exists: the caller shows the same page,
    after the same work."""
    users = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)
    users = [user for user in users if user.has_usable_password()]
    for user in users:
        account_email_queue(user=user, kind="password_reset")
    if not users:
        # The same work as for an account, so the page takes as long: a job is queued, which finds
        # nobody to email.
        account_email_queue(user=None, kind="password_reset")


def password_reset_timeout_minutes() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 60

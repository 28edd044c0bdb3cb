from functools import cached_property

from django.urls import reverse

from .selectors import unread_count_for


class Inbox:
    """The inbox link and its unread count for the navigation. The count is one query, made only
    when a page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def url(self):
        return reverse("notifications:inbox")

    @cached_property
    def unread(self) -> int:
        return unread_count_for(self.user)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox": Inbox(user)}

"""Deny by default.

``LoginRequiredMiddleware`` turns every anonymous request away unless a view opts out by name with
``login_not_required``. Every other view states the roles that may use it through
``RoleRequiredMixin`` (class-based) or ``role_required`` (functions); a view that names no roles
admits nobody. What a permitted user may then see is answered by the selectors of each app, which
scope every query by the user's organisation and role: another organisation's record is a 404.
"""

from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied


def _check(user, roles):
    if not roles:
        raise ImproperlyConfigured("A view must name the roles that may use it.")
    if not user.is_authenticated or not user.has_role(*roles):
        raise PermissionDenied


class RoleRequiredMixin:
    """Require one of ``required_roles``. The wrong role gets a 403."""

    required_roles: frozenset = frozenset()

    def dispatch(self, request, *args, **kwargs):
        _check(request.user, self.required_roles)
        return super().dispatch(request, *args, **kwargs)


def role_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            _check(request.user, roles)
            return view(request, *args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


def police_force_id_for(user, roles) -> int | None:
    """The police force of ``user`` when they hold one of ``roles`` in it, or None (a partner agency's or
    the commissioner's office's people, whatever their role)."""
    organisation = getattr(user, "organisation", None)
    if user.is_authenticated and user.has_role(*roles) and organisation is not None:
        return organisation.pk if organisation.is_police_force else None
    return None

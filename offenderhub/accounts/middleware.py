"""What a session may reach, beside ``LoginRequiredMiddleware``: nothing until the second factor is
given, and nothing once the session is older than its absolute lifetime.

Both sit after ``AuthenticationMiddleware``, django-otp's ``OTPMiddleware`` and ``MessageMiddleware``
in settings.MIDDLEWARE.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils import timezone

from .two_factor import session_is_verified, two_factor_enforced

SIGNED_IN_AT_SESSION_KEY = "signed_in_at"
REFRESHED_AT_SESSION_KEY = "refreshed_at"


def two_factor_not_required(view_func):
    """Mark a view a signed-in person may use before giving their second factor: the code pages
    themselves and signing out. Public views (``login_not_required``) need neither."""
    view_func.two_factor_required = False
    return view_func


class TwoFactorMiddleware:
    """A signed-in person whose session is not verified by a second factor is sent to the code page
    (or to set up an authenticator app) from every page but the public ones and those marked
    ``two_factor_not_required``, the Django admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):  # public pages
            return None
        if not getattr(view_func, "two_factor_required", True):
            return None
        user = request.user
        if not user.is_authenticated or not two_factor_enforced() or session_is_verified(request):
            return None
        return redirect_to_login(request.get_full_path(), reverse("account:two_factor"))


class SessionLifetimeMiddleware:
    """A session ends ``SESSION_ABSOLUTE_LIFETIME_HOURS`` after its sign-in, however busy: beside the
    idle timeout (``SESSION_COOKIE_AGE``, pushed back by the person's requests), which alone would let
    a session that is always in use last for ever. The person is signed out and told why on the
    sign-in page, where ``LoginRequiredMiddleware`` then sends them.

    The idle timeout is pushed back by saving the session, which moves its expiry: once every
    ``SESSION_REFRESH_SECONDS`` of use rather than on every request (``SESSION_SAVE_EVERY_REQUEST``
    is off), so that reading a page writes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
            lifetime = settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600
            if signed_in_at is not None and timezone.now().timestamp() - signed_in_at > lifetime:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out because you signed in more than "
                    f"{settings.SESSION_ABSOLUTE_LIFETIME_HOURS:g} hours ago. Sign in again.",
                )
        response = self.get_response(request)
        # Stamped on the response to the sign-in itself (or, for a session that began before this
        # was deployed, on its next request).
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            if SIGNED_IN_AT_SESSION_KEY not in request.session:
                request.session[SIGNED_IN_AT_SESSION_KEY] = now
            refreshed_at = request.session.get(REFRESHED_AT_SESSION_KEY) or 0
            if not 0 <= now - refreshed_at < settings.SESSION_REFRESH_SECONDS:
                request.session[REFRESHED_AT_SESSION_KEY] = now  # saved, so its expiry moves on
        return response

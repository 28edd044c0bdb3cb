"""A person's own account: the second factor at sign-in, and their password.

These views need a signed-in person but no role: anyone must be able to finish signing in and look
after their password. The code pages are reachable before the second factor is given (they are how
it is given); changing a password is not. The password reset pages are public: the person is not
signed in, and the pages never say whether an address has an account.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import RedirectURLMixin
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.generic import FormView
from django_otp import login as otp_login

from .forms import (
    PasswordChangeForm,
    PasswordResetForm,
    RecoveryCodeForm,
    RecoveryCodesSavedForm,
    SecurityCodeForm,
    SetPasswordForm,
)
from .middleware import two_factor_not_required
from .passwords import password_change, password_reset_timeout_minutes
from .two_factor import (
    RECOVERY_CODE_COUNT,
    authenticator_for,
    enrolment_device_for,
    qr_code_data_uri,
    recovery_code_use,
    second_factor_enrol,
    second_factor_verify,
    secret_for_display,
    session_is_verified,
)

RECOVERY_CODES_SESSION_KEY = "two_factor_recovery_codes"
WRONG_SECURITY_CODE = "The security code is not right. Enter the code your authenticator app shows now"


class _NextMixin(RedirectURLMixin):
    """Carries ``next`` (a path on this site only) through the code pages to where the person was going."""

    next_page = settings.LOGIN_REDIRECT_URL

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "next": self.get_redirect_url(),
            # base.html shows no navigation (nor the inbox's count) until the second factor is given
            "two_factor_pending": not session_is_verified(self.request),
        }

    def with_next(self, url_name):
        next_url = self.get_redirect_url()
        return reverse(url_name) + (f"?{urlencode({'next': next_url})}" if next_url else "")


class _CodeView(_NextMixin, FormView):
    """Shared by the security code and recovery code pages: sign the session in with the device that
    accepted the code, under a new session key."""

    def dispatch(self, request, *args, **kwargs):
        if session_is_verified(request):
            return redirect(self.get_success_url())
        if authenticator_for(request.user) is None:
            return redirect(self.with_next("account:two_factor_setup"))
        return super().dispatch(request, *args, **kwargs)

    def verify(self, code):
        raise NotImplementedError

    def form_valid(self, form):
        result = self.verify(form.cleaned_data["code"])
        if not result.verified:
            if result.wait_seconds:
                wait = result.wait_seconds
                form.add_error("code", f"Too many wrong codes. Wait {wait} seconds, then try again")
            else:
                form.add_error("code", self.wrong_code_message)
            return self.form_invalid(form)
        self.request.session.cycle_key()
        otp_login(self.request, result.device)
        return redirect(self.get_success_url())


@method_decorator(two_factor_not_required, name="dispatch")
class TwoFactorView(_CodeView):
    """Step two of signing in: the code from the person's authenticator app."""

    form_class = SecurityCodeForm
    template_name = "accounts/two_factor.html"
    wrong_code_message = WRONG_SECURITY_CODE

    def verify(self, code):
        return second_factor_verify(user=self.request.user, code=code, request=self.request)


@method_decorator(two_factor_not_required, name="dispatch")
class RecoveryCodeView(_CodeView):
    """Step two with a recovery code instead, when the authenticator app is not at hand."""

    form_class = RecoveryCodeForm
    template_name = "accounts/recovery_code.html"
    wrong_code_message = "The recovery code is not right, or has been used. Enter an unused recovery code"

    def verify(self, code):
        return recovery_code_use(user=self.request.user, code=code, request=self.request)

    def form_valid(self, form):
        response = super().form_valid(form)
        if session_is_verified(self.request):
            messages.info(
                self.request,
                "You signed in with a recovery code, which cannot be used again. If you have lost "
                "your authenticator app, ask your administrator to reset your second factor.",
            )
        return response


@method_decorator(two_factor_not_required, name="dispatch")
class TwoFactorSetUpView(_NextMixin, FormView):
    """A first sign-in, or the first after an administrator's reset: scan the QR code (or type the
    secret) into an authenticator app, and enter a code from it to confirm."""

    form_class = SecurityCodeForm
    template_name = "accounts/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if authenticator_for(request.user) is not None:  # set up already: give a code instead
            return redirect(self.with_next("account:two_factor"))
        self.device = enrolment_device_for(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "qr_code": qr_code_data_uri(self.device),
            "secret": secret_for_display(self.device),
        }

    def form_valid(self, form):
        codes = second_factor_enrol(
            user=self.request.user, device=self.device, code=form.cleaned_data["code"], request=self.request
        )
        if codes is None:
            form.add_error("code", WRONG_SECURITY_CODE)
            return self.form_invalid(form)
        self.request.session.cycle_key()
        otp_login(self.request, authenticator_for(self.request.user))
        self.request.session[RECOVERY_CODES_SESSION_KEY] = codes
        return redirect(self.with_next("account:recovery_codes"))


class RecoveryCodesView(_NextMixin, FormView):
    """The new recovery codes, shown once, straight after setting up the authenticator app; they
    leave the session when the person confirms they have saved them."""

    form_class = RecoveryCodesSavedForm
    template_name = "accounts/recovery_codes.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.session.get(RECOVERY_CODES_SESSION_KEY):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "codes": self.request.session[RECOVERY_CODES_SESSION_KEY],
            "count": RECOVERY_CODE_COUNT,
        }

    def form_valid(self, form):
        del self.request.session[RECOVERY_CODES_SESSION_KEY]
        messages.success(
            self.request,
            "Your authenticator app is set up. You will need a code from it each time you sign in.",
        )
        return redirect(self.get_success_url())


# --- Passwords -----------------------------------------------------------------------------------------
class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        password_change(
            user=self.request.user, new_password=form.cleaned_data["new_password1"], request=self.request
        )
        update_session_auth_hash(self.request, self.request.user)  # this session stays signed in
        messages.success(self.request, "Your password has been changed. We have emailed you to confirm it.")
        return redirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("account:password_reset_sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_minutes": password_reset_timeout_minutes()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the email: a new password, then the sign-in page, where the second factor is
    still asked for (the link never signs anyone in)."""

    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        password_change(
            user=self.user,
            new_password=form.cleaned_data["new_password1"],
            request=self.request,
            how="Password reset with an emailed link",
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "Your password has been changed. Sign in with your new password.")
        return redirect(self.get_success_url())

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Fluid, Layout
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm

from .oidc import password_refused_for_sso, sso_only_message
from .passwords import password_reset_request


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "Enter a correct email address and password. The password is case-sensitive.",
        "inactive": "This account has been deactivated. Ask your administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template supplies the <form>, with the "next" field
        self.helper.layout = Layout(
            Field.text("username", field_width=Fluid.TWO_THIRDS),
            Field.text("password", field_width=Fluid.TWO_THIRDS),
            Button("submit", "Sign in"),
        )

    def get_invalid_login_error(self):
        """The right password of someone whose organisation uses single sign-on: say where to go."""
        if password_refused_for_sso(self.request):
            return forms.ValidationError(sso_only_message(), code="single_sign_on_only")
        return super().get_invalid_login_error()


def lockout_username(request, credentials=None):
    """The name django-axes counts failed sign-ins against: the email address as typed, in lower case."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower() or None


# --- Two-factor sign-in ------------------------------------------------------------------------------
def _helper(*fields, button):
    helper = FormHelper()
    helper.form_tag = False  # the template supplies the <form>
    helper.layout = Layout(*fields, Button("submit", button))
    return helper


class SecurityCodeForm(forms.Form):
    """The six-digit code from an authenticator app (GOV.UK pattern: "Enter a security code")."""

    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for Offender Hub.",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
        error_messages={"required": "Enter the security code from your authenticator app"},
    )
    button = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("code", field_width=Fixed.TEN), button=self.button)


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        help_text="One of the 10 recovery codes you saved when you set up your authenticator app. "
        "Each code works once.",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
        error_messages={"required": "Enter one of your recovery codes"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("code", field_width=Fixed.TWENTY), button="Continue")


class RecoveryCodesSavedForm(forms.Form):
    saved = forms.BooleanField(
        label="I have saved my recovery codes somewhere safe",
        error_messages={"required": "Confirm that you have saved your recovery codes"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.checkbox("saved"), button="Continue")


# --- Passwords ---------------------------------------------------------------------------------------
CHOOSING_HINT = (  # how to choose a new password
    "At least 12 characters. Three or more random words together make a password that is long and "
    "easy to remember. It cannot be a common password, or like your name or email address."
)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The person's current password, then the new one twice. The view saves it through
    ``password_change``, never through ``save()``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = CHOOSING_HINT
        self.fields["new_password2"].label = "Confirm new password"
        self.helper = _helper(
            Field.text("old_password", field_width=Fluid.TWO_THIRDS),
            Field.text("new_password1", field_width=Fluid.TWO_THIRDS),
            Field.text("new_password2", field_width=Fluid.TWO_THIRDS),
            button="Change password",
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A new password from a reset link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = CHOOSING_HINT
        self.fields["new_password2"].label = "Confirm new password"
        self.helper = _helper(
            Field.text("new_password1", field_width=Fluid.TWO_THIRDS),
            Field.text("new_password2", field_width=Fluid.TWO_THIRDS),
            button="Set password",
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for an email address. Whatever is typed, the same page follows: a link is emailed (by a
    job, later) only if an active account has that address."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "autofocus": True}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("email", field_width=Fluid.TWO_THIRDS), button="Send reset link")

    def save(self, **kwargs):
        password_reset_request(email=self.cleaned_data["email"])

"""A person's own account (``/account/``): the second factor and their password."""

from django.urls import path

from . import account_views as views

app_name = "account"
urlpatterns = [
    path("two-factor/", views.TwoFactorView.as_view(), name="two_factor"),
    path("two-factor/recovery-code/", views.RecoveryCodeView.as_view(), name="recovery_code"),
    path("two-factor/set-up/", views.TwoFactorSetUpView.as_view(), name="two_factor_setup"),
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetSentView.as_view(), name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]

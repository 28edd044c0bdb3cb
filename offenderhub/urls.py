from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from offenderhub.accounts import oidc
from offenderhub.accounts.middleware import two_factor_not_required
from offenderhub.accounts.views import LoginView
from offenderhub.core import views as core_views

admin.site.site_header = "Offender Hub administration"
admin.site.site_title = "Offender Hub administration"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("login/", LoginView.as_view(), name="login"),
    # Signing out needs no second factor: someone who has given only their password can leave.
    path("logout/", two_factor_not_required(oidc.SignOutView.as_view()), name="logout"),
    # Single sign-on through the force's identity provider (offenderhub/accounts/oidc.py): public, as
    # the person is not signed in yet; each answers "not found" when no provider is set up.
    path("sso/start/", oidc.SingleSignOnStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", oidc.SingleSignOnCallbackView.as_view(), name="oidc_authentication_callback"),
    path("account/", include("offenderhub.accounts.account_urls")),
    # One sign-in page for the whole service, the administration included.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="admin_login_redirect",
    ),
    # Administrators change their own password where everyone does (audited, and they are told).
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="account:password_change"),
        name="admin_password_change_redirect",
    ),
    path("admin/", admin.site.urls),
    path("organisations/", include("offenderhub.accounts.urls")),
    path("audit/", include("offenderhub.audit.urls")),
    path("notifications/", include("offenderhub.notifications.urls")),
    path("cases/", include("cases.urls")),
    path("assessments/", include("assessments.urls")),
    path("conditions/", include("conditions.urls")),
    path("referrals/", include("referrals.urls")),
    path("reports/", include("reporting.urls")),
    path("retention/", include("retention.urls")),
    path("subject-access/", include("subjectaccess.urls")),
    path("imports/", include("imports.urls")),
    # The home page and the jobs page, namespace "core" (hub/urls.py).
    path("", include("hub.urls")),
]

handler400 = "offenderhub.core.views.bad_request"
handler403 = "offenderhub.core.views.permission_denied"
handler404 = "offenderhub.core.views.page_not_found"
handler500 = "offenderhub.core.views.server_error"

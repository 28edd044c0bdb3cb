from django.urls import path

from offenderhub.core.views import AccessibilityStatementView, JobRunsView, PrivacyNoticeView

from . import views

# The namespace stays "core", as every page, test and setting names these two "core:home" and
# "core:jobs". The home page gathers every app, so it is wired here, at the top, with the jobs page
# (the foundation's) beside it: one namespace cannot be split between two URL modules.
app_name = "core"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("jobs/", JobRunsView.as_view(), name="jobs"),
    # Public: anyone may read them, signed in or not (linked from every page's footer).
    path("accessibility/", AccessibilityStatementView.as_view(), name="accessibility"),
    path("privacy/", PrivacyNoticeView.as_view(), name="privacy"),
]

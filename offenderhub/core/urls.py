from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("jobs/", views.JobRunsView.as_view(), name="jobs"),
    # Public: anyone may read them, signed in or not (linked from every page's footer).
    path("accessibility/", views.AccessibilityStatementView.as_view(), name="accessibility"),
    path("privacy/", views.PrivacyNoticeView.as_view(), name="privacy"),
]

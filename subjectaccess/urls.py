from django.urls import path

from . import views

app_name = "subjectaccess"
urlpatterns = [
    path("", views.RequestListView.as_view(), name="list"),
    path("people/<int:person_pk>/new/", views.RequestCreateView.as_view(), name="create"),
    path("<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
    path("<int:pk>/produce/", views.RequestProduceView.as_view(), name="produce"),
    path("<int:pk>/withhold/", views.RedactionCreateView.as_view(), name="redaction_create"),
    path("<int:pk>/release/", views.RequestReleaseView.as_view(), name="release"),
    path("<int:pk>/withdraw/", views.RequestWithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/download/<slug:kind>/", views.RequestDownloadView.as_view(), name="download"),
    # Who accessed a record (supervisors and administrators).
    path("accessed/", views.RecordFindView.as_view(), name="record_find"),
    path("people/<int:pk>/accessed/", views.PersonAccessLogView.as_view(), name="person_access"),
    path(
        "people/<int:pk>/accessed/csv/",
        views.PersonAccessLogView.as_view(as_csv=True),
        name="person_access_csv",
    ),
    path("cases/<int:pk>/accessed/", views.CaseAccessLogView.as_view(), name="case_access"),
    path(
        "cases/<int:pk>/accessed/csv/", views.CaseAccessLogView.as_view(as_csv=True), name="case_access_csv"
    ),
]

from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("export/<slug:table>.csv", views.DashboardExportView.as_view(), name="export"),
    path("extract.csv", views.CaseExtractView.as_view(), name="extract"),
    path("reoffending/import/", views.ImportView.as_view(), name="import"),
    path("scrutiny/", views.SampleListView.as_view(), name="samples"),
    path("scrutiny/<int:pk>/", views.SampleView.as_view(), name="sample"),
    path("quality/", views.DataQualityView.as_view(), name="quality"),
    path("quality/<slug:slug>/", views.DataQualityListView.as_view(), name="quality_list"),
    path("quality/<slug:slug>.csv", views.DataQualityExportView.as_view(), name="quality_export"),
]

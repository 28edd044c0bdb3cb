from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("export/<slug:table>.csv", views.DashboardExportView.as_view(), name="export"),
    path("chart/<slug:chart>.<slug:kind>", views.DashboardChartView.as_view(), name="chart"),
    path("extract/", views.CaseExtractView.as_view(), name="extract"),
    path("extract/permissions/", views.ExtractPermissionListView.as_view(), name="extract_permissions"),
    path("extract/permissions/<int:pk>/", views.ExtractPermissionView.as_view(), name="extract_permission"),
    path(
        "extract/permissions/<int:pk>/grant/",
        views.ExtractPermissionGrantView.as_view(),
        name="extract_permission_grant",
    ),
    path(
        "extract/permissions/<int:pk>/revoke/",
        views.ExtractPermissionRevokeView.as_view(),
        name="extract_permission_revoke",
    ),
    path("reoffending/import/", views.ImportView.as_view(), name="import"),
    path("scrutiny/", views.SampleListView.as_view(), name="samples"),
    path("scrutiny/<int:pk>/", views.SampleView.as_view(), name="sample"),
    path("quality/", views.DataQualityView.as_view(), name="quality"),
    path("quality/<slug:slug>/", views.DataQualityListView.as_view(), name="quality_list"),
    path("quality/<slug:slug>.csv", views.DataQualityExportView.as_view(), name="quality_export"),
]

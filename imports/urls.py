from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportListView.as_view(), name="list"),
    path("example.csv", views.ExampleFileView.as_view(), name="example"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.ImportProgressView.as_view(), name="progress"),
    path("<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="confirm"),
    path("<int:pk>/discard/", views.ImportDiscardView.as_view(), name="discard"),
]

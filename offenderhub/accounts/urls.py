from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.MyOrganisationView.as_view(), name="my_organisation"),
    path("<int:pk>/", views.OrganisationView.as_view(), name="organisation"),
]

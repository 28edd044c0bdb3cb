from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("start/<int:pk>/", views.AssessmentStartView.as_view(), name="start"),
    path("<int:pk>/", views.AssessmentView.as_view(), name="detail"),
    path("<int:pk>/contribute/", views.ContributionView.as_view(), name="contribute"),
]

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseStartView.as_view(), name="start"),
    path("people/new/", views.PersonCreateView.as_view(), name="person_create"),
    path("new/<int:person_pk>/", views.CaseCreateView.as_view(), name="create"),
    path("reassign/", views.CaseloadReassignView.as_view(), name="caseload_reassign"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/submit/", views.CaseSubmitView.as_view(), name="submit"),
    path("<int:pk>/decision/", views.DecisionView.as_view(), name="decide"),
    path("<int:pk>/reassign/", views.CaseReassignView.as_view(), name="reassign"),
    path("<int:pk>/withdraw/", views.CaseWithdrawView.as_view(), name="withdraw"),
]

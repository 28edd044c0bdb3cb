from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.WorkspaceView.as_view(), name="workspace"),
    path("new/<int:pk>/", views.ReferralCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ReferralDetailView.as_view(), name="detail"),
    path("<int:pk>/accept/", views.AcceptView.as_view(), name="accept"),
    path("<int:pk>/decline/", views.DeclineView.as_view(), name="decline"),
    path("<int:pk>/assign/", views.AssignView.as_view(), name="assign"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/appointments/new/", views.BookView.as_view(), name="book"),
    path("<int:pk>/sessions/new/", views.SessionView.as_view(), name="session"),
    path("<int:pk>/notes/", views.NoteView.as_view(), name="note"),
    path("<int:pk>/evidence/", views.UploadView.as_view(), name="upload"),
    path("<int:pk>/report/", views.ReportView.as_view(), name="report"),
    path("appointments/<int:pk>/outcome/", views.OutcomeView.as_view(), name="outcome"),
    path("appointments/<int:pk>/reschedule/", views.RescheduleView.as_view(), name="reschedule"),
    path("documents/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence"),
]

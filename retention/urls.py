from django.urls import path

from . import views

app_name = "retention"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("reviews/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("reviews/<int:pk>/retain/", views.ReviewRetainView.as_view(), name="review_retain"),
    path("reviews/<int:pk>/erase/", views.ReviewErasureRequestView.as_view(), name="review_erasure_request"),
    path(
        "reviews/<int:pk>/approve/", views.ReviewErasureApproveView.as_view(), name="review_erasure_approve"
    ),
    path("reviews/<int:pk>/refuse/", views.ReviewErasureRefuseView.as_view(), name="review_erasure_refuse"),
    path("holds/person/<int:pk>/", views.PersonHoldView.as_view(), name="person_hold"),
    path("holds/person/<int:pk>/set/", views.PersonHoldSetView.as_view(), name="person_hold_set"),
    path("holds/person/<int:pk>/clear/", views.PersonHoldClearView.as_view(), name="person_hold_clear"),
    path("holds/case/<int:pk>/", views.CaseHoldView.as_view(), name="case_hold"),
    path("holds/case/<int:pk>/set/", views.CaseHoldSetView.as_view(), name="case_hold_set"),
    path("holds/case/<int:pk>/clear/", views.CaseHoldClearView.as_view(), name="case_hold_clear"),
]

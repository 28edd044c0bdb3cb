from django.urls import path

from . import views

app_name = "conditions"
urlpatterns = [
    # On a case (the id is the case's)
    path("new/<int:pk>/", views.ConditionAddView.as_view(), name="add"),
    path("agree/<int:pk>/", views.ConditionsAgreeView.as_view(), name="agree"),
    path("reopen/<int:pk>/", views.ConditionsReopenView.as_view(), name="reopen"),
    path("extend/<int:pk>/", views.PeriodExtensionView.as_view(), name="extend"),
    path("caution/<int:pk>/", views.CautionView.as_view(), name="caution"),
    path("caution/<int:pk>/document/", views.CautionDocumentView.as_view(), name="caution_document"),
    path("vary/<int:pk>/", views.NewConditionVariationView.as_view(), name="vary_new"),
    path("breach/<int:pk>/", views.BreachOpenView.as_view(), name="breach_open"),
    path("prosecution/<int:pk>/", views.ProsecutionView.as_view(), name="prosecution"),
    # On a condition
    path("<int:pk>/", views.ConditionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ConditionEditView.as_view(), name="edit"),
    path("<int:pk>/remove/", views.ConditionRemoveView.as_view(), name="remove"),
    path("<int:pk>/progress/", views.ConditionProgressView.as_view(), name="progress"),
    path("<int:pk>/record/", views.ConditionRecordView.as_view(), name="record"),
    path("<int:pk>/vary/", views.DueDateVariationView.as_view(), name="vary_due_date"),
    # On a variation or a breach review
    path("variations/<int:pk>/", views.VariationDecideView.as_view(), name="variation_decide"),
    path("breach-reviews/<int:pk>/", views.BreachReviewView.as_view(), name="breach_review"),
    path("breach-reviews/<int:pk>/countersign/", views.CountersignView.as_view(), name="countersign"),
]

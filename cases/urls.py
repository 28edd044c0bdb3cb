from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseStartView.as_view(), name="start"),
    path("people/new/", views.PersonCreateView.as_view(), name="person_create"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("people/<int:pk>/history/", views.PersonHistoryView.as_view(), name="person_history"),
    path("people/<int:pk>/change/<slug:section>/", views.PersonChangeView.as_view(), name="person_change"),
    path("people/<int:pk>/aliases/new/", views.PersonAliasAddView.as_view(), name="person_alias_add"),
    path(
        "people/<int:pk>/aliases/<int:alias_pk>/end/",
        views.PersonAliasEndView.as_view(),
        name="person_alias_end",
    ),
    path("people/<int:pk>/merge/", views.PersonMergeStartView.as_view(), name="person_merge_start"),
    path("people/<int:pk>/merge/<int:other_pk>/", views.PersonMergeView.as_view(), name="person_merge"),
    path("people/merges/<int:pk>/undo/", views.PersonMergeUndoView.as_view(), name="person_merge_undo"),
    path("new/<int:person_pk>/", views.CaseCreateView.as_view(), name="create"),
    path("schemes/", views.SchemeListView.as_view(), name="scheme_list"),
    path("schemes/<int:pk>/rules/", views.SchemeRulesView.as_view(), name="scheme_rules"),
    path("reassign/", views.CaseloadReassignView.as_view(), name="caseload_reassign"),
    # The case's file: the overview at the case's own address, then one page per tab.
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/conditions/", views.CaseConditionsView.as_view(), name="conditions"),
    path("<int:pk>/assessment/", views.CaseAssessmentView.as_view(), name="assessment"),
    path("<int:pk>/timeline/", views.CaseTimelineView.as_view(), name="timeline"),
    path("<int:pk>/documents/", views.CaseDocumentsView.as_view(), name="documents"),
    path("<int:pk>/victim/", views.CaseVictimView.as_view(), name="victim"),
    path("<int:pk>/submit/", views.CaseSubmitView.as_view(), name="submit"),
    path("<int:pk>/decision/", views.DecisionView.as_view(), name="decide"),
    path("<int:pk>/reassign/", views.CaseReassignView.as_view(), name="reassign"),
    path("<int:pk>/withdraw/", views.CaseWithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/change/<slug:section>/", views.CaseChangeView.as_view(), name="change"),
    path("<int:pk>/offences/new/", views.CaseOffenceAddView.as_view(), name="offence_add"),
    path(
        "<int:pk>/offences/<int:offence_pk>/remove/",
        views.CaseOffenceRemoveView.as_view(),
        name="offence_remove",
    ),
]

"""Systems Administration pages: routine operations, server logbooks, run books."""

from django.urls import path

from om.sysadmin import views

app_name = "sysadmin"

urlpatterns = [
    path("", views.RoutineListView.as_view(), name="routines"),
    path("routines/new/", views.RoutineCreateView.as_view(), name="routine_create"),
    path("routines/load/", views.RoutinesLoadView.as_view(), name="routines_load"),
    path("servers/", views.ServerListView.as_view(), name="servers"),
    path("servers/<int:ci>/logbook/", views.LogbookView.as_view(), name="logbook"),
    path("servers/<int:ci>/logbook/add/", views.LogbookAddView.as_view(), name="logbook_add"),
    path("runbooks/", views.RunBookListView.as_view(), name="runbooks"),
    path("runbooks/new/", views.RunBookCreateView.as_view(), name="runbook_create"),
    path("runbooks/<int:pk>/", views.RunBookDetailView.as_view(), name="runbook_detail"),
    path("runbooks/<int:pk>/revise/", views.RunBookReviseView.as_view(), name="runbook_revise"),
    path("runbooks/<int:pk>/review/", views.RunBookReviewView.as_view(), name="runbook_review"),
]

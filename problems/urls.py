from django.urls import path

from problems import report_views, views

app_name = "problems"

urlpatterns = [
    path("", views.ProblemListView.as_view(), name="list"),
    path("new/", views.ProblemCreateView.as_view(), name="create"),
    path("known-errors/", views.KnownErrorListView.as_view(), name="known_error_list"),
    path("candidates/", report_views.CandidateListView.as_view(), name="candidates"),
    path("candidates/<int:pk>/raise/", report_views.CandidateRaiseView.as_view(), name="candidate_raise"),
    path("candidates/<int:pk>/dismiss/", report_views.CandidateDismissView.as_view(), name="candidate_dismiss"),
    path("report/", report_views.MonthlyReportView.as_view(), name="report"),
    path("settings/", report_views.ProblemSettingsView.as_view(), name="settings"),
    path("<int:pk>/", views.ProblemDetailView.as_view(), name="detail"),
    path("<int:pk>/assign/", views.ProblemAssignView.as_view(), name="assign"),
    path("<int:pk>/comment/", views.ProblemCommentView.as_view(), name="comment"),
    path("<int:pk>/link/", views.ProblemLinkIncidentView.as_view(), name="link_incident"),
    path("<int:pk>/unlink/", views.ProblemUnlinkIncidentView.as_view(), name="unlink_incident"),
    path("<int:pk>/known-error/", views.KnownErrorCreateView.as_view(), name="known_error_create"),
    path("<int:pk>/change/", views.ProblemLinkChangeView.as_view(), name="link_change"),
    path("<int:pk>/raise-change/", views.ProblemRaiseChangeView.as_view(), name="raise_change"),
    path("<int:pk>/<slug:action>/", views.ProblemTransitionView.as_view(), name="transition"),
]

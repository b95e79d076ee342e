"""Directory Services Administration pages (om/directory/views.py)."""

from django.urls import path

from om.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("sync/", views.SyncNowView.as_view(), name="sync"),
    # What the sync keeps
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("ous/", views.OUListView.as_view(), name="ou_list"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    # Starters, changes and leavers; the MIS intake
    path("requests/", views.RequestListView.as_view(), name="request_list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("intake/", views.IntakeView.as_view(), name="intake"),
    path("intake/<int:pk>/", views.IntakeDetailView.as_view(), name="intake_detail"),
    path("intake/<int:pk>/apply/", views.IntakeApplyView.as_view(), name="intake_apply"),
    path("intake/<int:pk>/cancel/", views.IntakeCancelView.as_view(), name="intake_cancel"),
    # The connection
    path("settings/new/", views.SettingsCreateView.as_view(), name="settings_create"),
    path("settings/<int:pk>/", views.SettingsDetailView.as_view(), name="settings_detail"),
    path("settings/<int:pk>/edit/", views.SettingsUpdateView.as_view(), name="settings_edit"),
    path("settings/<int:pk>/test/", views.SettingsTestView.as_view(), name="settings_test"),
    # Housekeeping
    path("reports/", views.ReportsView.as_view(), name="reports"),
]

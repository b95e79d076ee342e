"""Availability and Capacity pages (monitoring, capacity, preventative maintenance)."""

from django.urls import path

from availability import capacity_views, maintenance_views, report_views, views

app_name = "availability"

urlpatterns = [
    # Monitoring (availability/views.py)
    path("", views.OverviewView.as_view(), name="overview"),
    path("checks/", views.CheckListView.as_view(), name="check_list"),
    path("checks/new/", views.CheckCreateView.as_view(), name="check_create"),
    path("checks/<int:pk>/", views.CheckDetailView.as_view(), name="check_detail"),
    path("checks/<int:pk>/edit/", views.CheckUpdateView.as_view(), name="check_edit"),
    path("checks/<int:pk>/pause/", views.CheckPauseView.as_view(), name="check_pause"),
    path("checks/<int:pk>/resume/", views.CheckResumeView.as_view(), name="check_resume"),
    path("checks/<int:pk>/delete/", views.CheckDeleteView.as_view(), name="check_delete"),
    path("outages/", views.OutageListView.as_view(), name="outage_list"),
    path("proposals/", views.ProposalListView.as_view(), name="proposals"),
    path("proposals/accept-all/", views.ProposalAcceptAllView.as_view(), name="proposals_accept_all"),
    path("proposals/<int:pk>/accept/", views.ProposalAcceptView.as_view(), name="proposal_accept"),
    path("proposals/<int:pk>/dismiss/", views.ProposalDismissView.as_view(), name="proposal_dismiss"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("credentials/", views.CredentialListView.as_view(), name="credential_list"),
    path("credentials/new/", views.CredentialCreateView.as_view(), name="credential_create"),
    path("credentials/<int:pk>/", views.CredentialUpdateView.as_view(), name="credential_update"),
    path("credentials/<int:pk>/delete/", views.CredentialDeleteView.as_view(), name="credential_delete"),
    # The other helpers add their pages below (capacity, maintenance, reports).
    # Capacity (availability/capacity_views.py)
    path("capacity/", capacity_views.CapacityView.as_view(), name="capacity"),
    path("capacity/<int:pk>/", capacity_views.CapacityMetricView.as_view(), name="capacity_metric"),
    path("capacity/thresholds/", capacity_views.ThresholdListView.as_view(), name="threshold_list"),
    path("capacity/thresholds/new/", capacity_views.ThresholdCreateView.as_view(), name="threshold_create"),
    path("capacity/thresholds/<int:pk>/", capacity_views.ThresholdUpdateView.as_view(), name="threshold_update"),
    path("capacity/thresholds/<int:pk>/delete/", capacity_views.ThresholdDeleteView.as_view(), name="threshold_delete"),
    path("report/", report_views.AvailabilityReportView.as_view(), name="report"),
    # Preventative maintenance (availability/maintenance_views.py)
    path("maintenance/", maintenance_views.MaintenanceListView.as_view(), name="maintenance_list"),
    path("maintenance/new/", maintenance_views.MaintenanceCreateView.as_view(), name="maintenance_create"),
    path("maintenance/<int:pk>/", maintenance_views.MaintenanceDetailView.as_view(), name="maintenance_detail"),
    path("maintenance/<int:pk>/edit/", maintenance_views.MaintenanceUpdateView.as_view(), name="maintenance_edit"),
    path("maintenance/<int:pk>/pause/", maintenance_views.MaintenancePauseView.as_view(), name="maintenance_pause"),
    path("maintenance/<int:pk>/resume/", maintenance_views.MaintenanceResumeView.as_view(), name="maintenance_resume"),
    path("maintenance/<int:pk>/delete/", maintenance_views.MaintenanceDeleteView.as_view(), name="maintenance_delete"),
]

"""/inventory/: the agents' door, and the pages about agents and what they sent."""

from django.urls import path

from cmdb.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.agent_endpoint, name="agent"),
    path("settings/", views.InventorySettingsView.as_view(), name="settings"),
    path("settings/<slug:slug>/rotate/", views.AgentKeyRotateView.as_view(), name="rotate"),
    path("submissions/", views.InventorySubmissionListView.as_view(), name="submission_list"),
    path("submissions/<int:pk>/", views.InventorySubmissionDetailView.as_view(), name="submission_detail"),
    path("submissions/<int:pk>/payload/", views.InventorySubmissionPayloadView.as_view(), name="submission_payload"),
]

"""Patch Management pages (om/patches/views.py)."""

from django.urls import path

from om.patches import views

app_name = "patches"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("compliance/", views.ComplianceListView.as_view(), name="compliance_list"),
    path("updates/", views.UpdateListView.as_view(), name="update_list"),
    path("updates/<int:pk>/", views.UpdateDetailView.as_view(), name="update_detail"),
    path("updates/<int:pk>/edit/", views.UpdateEditView.as_view(), name="update_edit"),
    path("updates/<int:pk>/approve/", views.UpdateApproveView.as_view(), name="update_approve"),
    path("updates/<int:pk>/rollout/", views.UpdateRolloutView.as_view(), name="update_rollout"),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("groups/<int:pk>/edit/", views.GroupEditView.as_view(), name="group_edit"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
]

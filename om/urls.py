"""The OM base pages: the functions, each function's policy and the allocation of its activities."""

from django.urls import path

from om import views

app_name = "om"

urlpatterns = [
    path("", views.FunctionIndexView.as_view(), name="index"),
    path("policies/<int:pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("policies/<int:pk>/review/", views.PolicyReviewView.as_view(), name="policy_review"),
    path("activities/<int:pk>/edit/", views.AllocationEditView.as_view(), name="allocation_edit"),
    path("activities/<int:pk>/delete/", views.AllocationDeleteView.as_view(), name="allocation_delete"),
    path("functions/<slug:function>/", views.FunctionView.as_view(), name="function"),
    path("functions/<slug:function>/policy/", views.PolicyEditView.as_view(), name="policy_edit"),
    path("functions/<slug:function>/activities/new/", views.AllocationCreateView.as_view(), name="allocation_create"),
]

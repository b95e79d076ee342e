"""Service Continuity Management pages (continuity/views.py)."""

from django.urls import path

from continuity import views

app_name = "continuity"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    # The risk register and its matrix
    path("risks/", views.RiskListView.as_view(), name="risk_list"),
    path("risks/matrix/", views.RiskMatrixView.as_view(), name="risk_matrix"),
    path("risks/new/", views.RiskFormView.as_view(), name="risk_create"),
    path("risks/<int:pk>/", views.RiskDetailView.as_view(), name="risk_detail"),
    path("risks/<int:pk>/edit/", views.RiskFormView.as_view(), name="risk_edit"),
    path("risks/<int:pk>/review/", views.RiskReviewView.as_view(), name="risk_review"),
    path("risks/<int:pk>/<slug:action>/", views.RiskTransitionView.as_view(), name="risk_transition"),
    # Recovery plans, their steps and contacts, printable
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/new/", views.PlanFormView.as_view(), name="plan_create"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.PlanFormView.as_view(), name="plan_edit"),
    path("plans/<int:pk>/steps/", views.PlanStepsView.as_view(), name="plan_steps"),
    path("plans/<int:pk>/contacts/", views.PlanContactsView.as_view(), name="plan_contacts"),
    path("plans/<int:pk>/print/", views.PlanPrintView.as_view(), name="plan_print"),
    path("plans/<int:pk>/pdf/", views.PlanPdfView.as_view(), name="plan_pdf"),
    path("plans/<int:pk>/test/", views.TestCreateView.as_view(), name="test_create"),
    path("plans/<int:pk>/review/", views.PlanReviewView.as_view(), name="plan_review"),
    path("plans/<int:pk>/<slug:action>/", views.PlanTransitionView.as_view(), name="plan_transition"),
    # Continuity tests
    path("tests/", views.TestListView.as_view(), name="test_list"),
    path("tests/<int:pk>/", views.TestDetailView.as_view(), name="test_detail"),
]

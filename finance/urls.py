"""Financial Management pages (finance/views.py)."""

from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    # The year: budget against actual, the budget and its plan
    path("", views.OverviewView.as_view(), name="overview"),
    path("budget/", views.BudgetFormView.as_view(), name="budget_edit"),
    # The expenditure record
    path("expenditure/", views.ExpenditureListView.as_view(), name="expenditure_list"),
    path("expenditure/new/", views.ExpenditureFormView.as_view(), name="expenditure_create"),
    path("expenditure/<int:pk>/", views.ExpenditureFormView.as_view(), name="expenditure_edit"),
    path("expenditure/import/", views.ExpenditureImportView.as_view(), name="expenditure_import"),
    path("expenditure/export.csv", views.ExpenditureExportView.as_view(), name="expenditure_export"),
    # Suppliers and contracts
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierFormView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierFormView.as_view(), name="supplier_edit"),
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/new/", views.ContractFormView.as_view(), name="contract_create"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.ContractFormView.as_view(), name="contract_edit"),
    path("contracts/<int:pk>/renew/", views.ContractRenewView.as_view(), name="contract_renew"),
    path("contracts/<int:pk>/cancel/", views.ContractCancelView.as_view(), name="contract_cancel"),
    # CIs: depreciation, book value, replacement; total cost of ownership; support time
    path("ci-costs/", views.CICostListView.as_view(), name="ci_costs"),
    path("ci-costs/<int:pk>/", views.CICostFormView.as_view(), name="ci_cost_edit"),
    path("tco/", views.TCOView.as_view(), name="tco"),
    path("support-cost/", views.SupportCostView.as_view(), name="support_cost"),
    # Reports for leaders and the LEA; settings
    path("reports/", views.ReportView.as_view(), name="reports"),
    path("reports/export.csv", views.ReportCSVView.as_view(), name="reports_csv"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]

from django.urls import path

from servicelevels import agreement_views, catalogue_views, dashboard_views, report_views, views

app_name = "servicelevels"

urlpatterns = [
    path("calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar_detail"),
    path("calendars/<int:pk>/import/", views.CalendarImportView.as_view(), name="calendar_import"),
    # Calendar editing: working hours, term dates, INSET days and closures (servicelevels/views.py)
    path("calendars/<int:pk>/hours/", views.CalendarHoursView.as_view(), name="calendar_hours"),
    path("calendars/<int:pk>/terms/new/", views.TermDateCreateView.as_view(), name="calendar_term_create"),
    path("calendars/<int:pk>/closures/new/", views.ClosureCreateView.as_view(), name="calendar_closure_create"),
    path("calendars/terms/<int:pk>/", views.TermDateUpdateView.as_view(), name="calendar_term_edit"),
    path("calendars/terms/<int:pk>/delete/", views.TermDateDeleteView.as_view(), name="calendar_term_delete"),
    path("calendars/closures/<int:pk>/", views.ClosureUpdateView.as_view(), name="calendar_closure_edit"),
    path("calendars/closures/<int:pk>/delete/", views.ClosureDeleteView.as_view(), name="calendar_closure_delete"),
    # The ICT service catalogue (servicelevels/catalogue_views.py)
    path("services/", catalogue_views.ITServiceListView.as_view(), name="service_list"),
    path("services/new/", catalogue_views.ITServiceCreateView.as_view(), name="service_create"),
    path("services/<int:pk>/", catalogue_views.ITServiceDetailView.as_view(), name="service_detail"),
    path("services/<int:pk>/edit/", catalogue_views.ITServiceUpdateView.as_view(), name="service_edit"),
    path("services/<int:pk>/retire/", catalogue_views.ITServiceRetireView.as_view(), name="service_retire"),
    path("services/<int:pk>/reinstate/", catalogue_views.ITServiceReinstateView.as_view(), name="service_reinstate"),
    # Agreements: SLAs, OLAs, underpinning contracts (servicelevels/agreement_views.py)
    path("agreements/", agreement_views.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/new/", agreement_views.AgreementCreateView.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", agreement_views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("agreements/<int:pk>/edit/", agreement_views.AgreementUpdateView.as_view(), name="agreement_edit"),
    path("agreements/<int:pk>/targets/", agreement_views.AgreementTargetsView.as_view(), name="agreement_targets"),
    path(
        "agreements/<int:pk>/copy-targets/",
        agreement_views.AgreementCopyTargetsView.as_view(),
        name="agreement_copy_targets",
    ),
    path("agreements/<int:pk>/review/", agreement_views.AgreementReviewView.as_view(), name="agreement_review"),
    path(
        "agreements/<int:pk>/<slug:action>/",
        agreement_views.AgreementTransitionView.as_view(),
        name="agreement_transition",
    ),
    # Traded services: the LEA's support packages and the schools' subscriptions
    path("packages/", agreement_views.SupportPackageListView.as_view(), name="package_list"),
    path("packages/new/", agreement_views.SupportPackageCreateView.as_view(), name="package_create"),
    path("packages/<int:pk>/", agreement_views.SupportPackageUpdateView.as_view(), name="package_edit"),
    path("subscriptions/", agreement_views.SubscriptionListView.as_view(), name="subscription_list"),
    path("subscriptions/new/", agreement_views.SubscriptionCreateView.as_view(), name="subscription_create"),
    path("subscriptions/<int:pk>/", agreement_views.SubscriptionUpdateView.as_view(), name="subscription_edit"),
    # The termly service report and the consultancy-day pack (servicelevels/report_views.py)
    path("reports/", report_views.ReportListView.as_view(), name="report_list"),
    path("reports/termly/", report_views.TermlyReportView.as_view(), name="report_termly"),
    path("reports/termly.pdf", report_views.TermlyReportView.as_view(output="pdf"), name="report_termly_pdf"),
    path("reports/termly.csv", report_views.TermlyReportView.as_view(output="csv"), name="report_termly_csv"),
    path("reports/pack/", report_views.PackView.as_view(), name="report_pack"),
    path("reports/pack.pdf", report_views.PackView.as_view(output="pdf"), name="report_pack_pdf"),
    path("reports/pack.csv", report_views.PackView.as_view(output="csv"), name="report_pack_csv"),
    # The dashboards (servicelevels/dashboard_views.py)
    path("dashboard/", dashboard_views.SchoolDashboardView.as_view(), name="dashboard"),
    path("authority/", dashboard_views.AuthorityDashboardView.as_view(), name="authority"),
]

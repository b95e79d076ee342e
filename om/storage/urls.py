"""Storage Management pages (om/storage/views.py)."""

from django.urls import path

from om.storage import views

app_name = "storage"

urlpatterns = [
    # Storage: volumes from capacity monitoring, and shares
    path("", views.OverviewView.as_view(), name="overview"),
    path("shares/", views.ShareListView.as_view(), name="share_list"),
    path("shares/new/", views.ShareFormView.as_view(), name="share_create"),
    path("shares/<int:pk>/", views.ShareFormView.as_view(), name="share_edit"),
    # Backup jobs, their results and off-site copies
    path("jobs/", views.JobListView.as_view(), name="job_list"),
    path("jobs/new/", views.JobFormView.as_view(), name="job_create"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<int:pk>/edit/", views.JobFormView.as_view(), name="job_edit"),
    path("jobs/<int:pk>/result/", views.JobResultAddView.as_view(), name="job_result_add"),
    path("jobs/<int:pk>/offsite/", views.JobOffsiteView.as_view(), name="job_offsite"),
    path("jobs/<int:pk>/restore-test/", views.RestoreTestCreateView.as_view(), name="test_create"),
    # Reports as the backup software sent them
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/paste/", views.ReportPasteView.as_view(), name="report_paste"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    # Restores: requests, expectations, termly tests
    path("restores/", views.RestoreListView.as_view(), name="restore_list"),
    path("restores/<int:pk>/", views.RestoreDetailView.as_view(), name="restore_detail"),
    path("restores/<int:pk>/done/", views.RestoreCompleteView.as_view(), name="restore_complete"),
    path("restores/expectations/", views.ExpectationsView.as_view(), name="expectations"),
    path("restore-tests/", views.TestListView.as_view(), name="test_list"),
]

"""FITS maturity assessment pages (fits/assessment/views.py)."""

from django.urls import path

from fits.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("start/", views.StartView.as_view(), name="start"),
    path("history/", views.HistoryView.as_view(), name="history"),
    path("lea/", views.LeaView.as_view(), name="lea"),
    path("lea/export.csv", views.LeaExportView.as_view(), name="lea_export"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("<int:pk>/export.csv", views.ExportView.as_view(), name="export"),
    path("<int:pk>/<str:action>/", views.TransitionView.as_view(), name="transition"),
    path("<int:pk>/area/<slug:area>/", views.AreaView.as_view(), name="area"),
    path("<int:pk>/area/<slug:area>/moderate/", views.ModerateView.as_view(), name="moderate"),
]

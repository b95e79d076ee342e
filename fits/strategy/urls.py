"""ICT strategy and technical support strategy pages (fits/strategy/views.py)."""

from django.urls import path

from fits.strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("new/", views.CreateView.as_view(), name="create"),
    path("<int:pk>/", views.DocumentView.as_view(), name="document"),
    path("<int:pk>/sections/<slug:key>/", views.SectionEditView.as_view(), name="section_edit"),
    path("<int:pk>/sign/", views.SignView.as_view(), name="sign"),
    path("<int:pk>/dates/", views.DatesView.as_view(), name="dates"),
    path("versions/<int:pk>/", views.VersionView.as_view(), name="version"),
    path("versions/<int:pk>/pdf/", views.VersionPdfView.as_view(), name="version_pdf"),
]

from django.urls import path

from servicelevels import views

app_name = "servicelevels"

urlpatterns = [
    path("calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar_detail"),
    path("calendars/<int:pk>/import/", views.CalendarImportView.as_view(), name="calendar_import"),
]

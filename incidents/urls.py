from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("new/", views.IncidentCreateView.as_view(), name="create"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<int:pk>/assign/", views.IncidentAssignView.as_view(), name="assign"),
    path("<int:pk>/comment/", views.IncidentCommentView.as_view(), name="comment"),
    path("<int:pk>/<slug:action>/", views.IncidentTransitionView.as_view(), name="transition"),
]

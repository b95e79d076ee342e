from django.urls import path

from changes import views

app_name = "changes"

urlpatterns = [
    path("", views.ChangeListView.as_view(), name="list"),
    path("new/", views.ChangeCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/assess/", views.ChangeAssessView.as_view(), name="assess"),
    path("<int:pk>/vote/", views.ChangeVoteView.as_view(), name="vote"),
    path("<int:pk>/schedule/", views.ChangeScheduleView.as_view(), name="schedule"),
    path("<int:pk>/review/", views.ChangeReviewView.as_view(), name="review"),
    path("<int:pk>/<slug:action>/", views.ChangeTransitionView.as_view(), name="transition"),
]

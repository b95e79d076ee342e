from django.urls import path

from releases import views

app_name = "releases"

urlpatterns = [
    path("", views.ReleaseListView.as_view(), name="list"),
    path("new/", views.ReleaseCreateView.as_view(), name="create"),
    path("library/", views.LibraryListView.as_view(), name="library"),
    path("library/new/", views.LibraryProposeView.as_view(), name="library_propose"),
    path("library/<int:pk>/approve/", views.LibraryApproveView.as_view(), name="library_approve"),
    path("library/<int:pk>/withdraw/", views.LibraryWithdrawView.as_view(), name="library_withdraw"),
    path("library/<int:pk>/lend/", views.MediaLendView.as_view(), name="media_lend"),
    path("library/loans/<int:pk>/return/", views.MediaReturnView.as_view(), name="media_return"),
    path("<int:pk>/", views.ReleaseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReleaseUpdateView.as_view(), name="edit"),
    path("<int:pk>/waves/", views.WaveAddView.as_view(), name="wave_add"),
    path("<int:pk>/rollout/", views.RolloutRecordView.as_view(), name="rollout"),
    path("<int:pk>/<slug:action>/", views.ReleaseTransitionView.as_view(), name="transition"),
]

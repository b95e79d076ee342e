from django.urls import path

from changes import cab_views, schedule_views, views

app_name = "changes"

urlpatterns = [
    path("", views.ChangeListView.as_view(), name="list"),
    path("new/", views.ChangeCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ChangeEditView.as_view(), name="edit"),
    path("<int:pk>/assess/", views.ChangeAssessView.as_view(), name="assess"),
    path("<int:pk>/vote/", views.ChangeVoteView.as_view(), name="vote"),
    path("<int:pk>/schedule/", views.ChangeScheduleView.as_view(), name="schedule"),
    path("<int:pk>/review/", views.ChangeReviewView.as_view(), name="review"),
    # The forward schedule of change and the windows it is planned around (changes/schedule_views.py).
    path("schedule/", schedule_views.ScheduleView.as_view(), name="forward_schedule"),
    path("schedule.ics", schedule_views.ScheduleCalendarView.as_view(), name="forward_schedule_ics"),
    path("freezes/", schedule_views.FreezeListView.as_view(), name="freeze_list"),
    path("freezes/new/", schedule_views.FreezeCreateView.as_view(), name="freeze_create"),
    path("freezes/<int:pk>/", schedule_views.FreezeUpdateView.as_view(), name="freeze_edit"),
    path("freezes/<int:pk>/delete/", schedule_views.FreezeDeleteView.as_view(), name="freeze_delete"),
    path("maintenance-windows/", schedule_views.MaintenanceListView.as_view(), name="maintenance_list"),
    path("maintenance-windows/new/", schedule_views.MaintenanceCreateView.as_view(), name="maintenance_create"),
    path("maintenance-windows/<int:pk>/", schedule_views.MaintenanceUpdateView.as_view(), name="maintenance_edit"),
    path(
        "maintenance-windows/<int:pk>/delete/",
        schedule_views.MaintenanceDeleteView.as_view(),
        name="maintenance_delete",
    ),
    # Change advisory boards, their meetings, and the standard change library (changes/cab_views.py).
    path("boards/", cab_views.BoardListView.as_view(), name="board_list"),
    path("boards/new/", cab_views.BoardCreateView.as_view(), name="board_create"),
    path("boards/<int:pk>/", cab_views.BoardDetailView.as_view(), name="board_detail"),
    path("boards/<int:pk>/edit/", cab_views.BoardUpdateView.as_view(), name="board_edit"),
    path("boards/<int:pk>/meetings/new/", cab_views.MeetingScheduleView.as_view(), name="meeting_schedule"),
    path("meetings/<int:pk>/", cab_views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/minutes/", cab_views.MeetingRecordView.as_view(), name="meeting_record"),
    path("meetings/<int:pk>/vote/", cab_views.MeetingVoteView.as_view(), name="meeting_vote"),
    path("templates/", cab_views.TemplateListView.as_view(), name="template_list"),
    path("templates/new/", cab_views.TemplateCreateView.as_view(), name="template_create"),
    path("templates/<int:pk>/", cab_views.TemplateUpdateView.as_view(), name="template_edit"),
    path("templates/<int:pk>/retire/", cab_views.TemplateRetireView.as_view(), name="template_retire"),
    path("templates/<int:pk>/reinstate/", cab_views.TemplateReinstateView.as_view(), name="template_reinstate"),
    path("<int:pk>/<slug:action>/", views.ChangeTransitionView.as_view(), name="transition"),
]

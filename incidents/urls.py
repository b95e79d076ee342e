from django.urls import path

from incidents import config_views, phone_views, portal_views, task_views, timetable_views, views, work_views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    # The portal, phone calls, safeguarding, attachments, the timetable (portal_views, phone_views, timetable_views).
    path("new/", portal_views.PortalLogView.as_view(), name="create"),
    path("mine/", portal_views.MyTicketsView.as_view(), name="mine"),
    path("lookup/rooms/", portal_views.room_lookup, name="lookup_rooms"),
    path("lookup/devices/", portal_views.device_lookup, name="lookup_devices"),
    path("lookup/lesson/", portal_views.lesson_hint, name="lesson_hint"),
    path("phone/", phone_views.PhoneLogView.as_view(), name="phone"),
    path("phone/callers/", phone_views.caller_lookup, name="phone_callers"),
    path("phone/priority/", phone_views.priority_preview, name="phone_priority"),
    path("timetable/", timetable_views.TimetableView.as_view(), name="timetable"),
    path("timetable/import/", timetable_views.TimetableImportView.as_view(), name="timetable_import"),
    path(
        "timetable/import/confirm/",
        timetable_views.TimetableImportConfirmView.as_view(),
        name="timetable_import_confirm",
    ),
    path("timetable/rooms/<int:pk>/", timetable_views.RoomTimetableView.as_view(), name="timetable_room"),
    path("timetable/rooms/<int:pk>/new/", timetable_views.LessonCreateView.as_view(), name="lesson_create"),
    path("timetable/lessons/<int:pk>/", timetable_views.LessonEditView.as_view(), name="lesson_edit"),
    path("timetable/lessons/<int:pk>/delete/", timetable_views.LessonDeleteView.as_view(), name="lesson_delete"),
    path("<int:pk>/confirm/", portal_views.IncidentConfirmView.as_view(), name="confirm"),
    path("<int:pk>/attachments/", portal_views.IncidentAttachView.as_view(), name="attach"),
    path("<int:pk>/attachments/<int:attachment>/", portal_views.AttachmentDownloadView.as_view(), name="attachment"),
    path("<int:pk>/safeguarding/flag/", portal_views.IncidentFlagView.as_view(), name="flag_safeguarding"),
    path("<int:pk>/safeguarding/unflag/", portal_views.IncidentUnflagView.as_view(), name="unflag_safeguarding"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<int:pk>/assign/", views.IncidentAssignView.as_view(), name="assign"),
    path("<int:pk>/comment/", views.IncidentCommentView.as_view(), name="comment"),
    # Groups and escalation, time, merging, major incidents (incidents/work_views.py), before the transitions.
    path("<int:pk>/escalate/", work_views.EscalateView.as_view(), name="escalate"),
    path("<int:pk>/take-back/", work_views.TakeBackView.as_view(), name="take_back"),
    path("<int:pk>/service/", work_views.SetServiceView.as_view(), name="set_service"),
    path("<int:pk>/category/", work_views.SetCategoryView.as_view(), name="set_category"),
    path("<int:pk>/supplier-reference/", work_views.SupplierReferenceView.as_view(), name="supplier_reference"),
    path("<int:pk>/time/", work_views.LogTimeView.as_view(), name="log_time"),
    path("<int:pk>/merge/", work_views.MergeView.as_view(), name="merge"),
    path("<int:pk>/declare-major/", work_views.DeclareMajorView.as_view(), name="declare_major"),
    path("<int:pk>/link-major/", work_views.LinkToMajorView.as_view(), name="link_major"),
    path("<int:pk>/link-child/", work_views.LinkChildView.as_view(), name="link_child"),
    path("<int:pk>/unlink-major/", work_views.UnlinkFromMajorView.as_view(), name="unlink_major"),
    path("<int:pk>/major-update/", work_views.MajorUpdateView.as_view(), name="major_update"),
    # The desk's configuration: categories, support groups, the priority matrix (incidents/config_views.py).
    path("config/", config_views.ConfigHomeView.as_view(), name="config"),
    path("config/categories/", config_views.CategoryListView.as_view(), name="category_list"),
    path("config/categories/new/", config_views.CategoryCreateView.as_view(), name="category_create"),
    path("config/categories/<int:pk>/", config_views.CategoryUpdateView.as_view(), name="category_edit"),
    path("config/groups/", config_views.GroupListView.as_view(), name="group_list"),
    path("config/groups/new/", config_views.GroupCreateView.as_view(), name="group_create"),
    path("config/groups/<int:pk>/", config_views.GroupUpdateView.as_view(), name="group_edit"),
    path("config/priorities/", config_views.PriorityMatrixView.as_view(), name="priority_matrix"),
    # Tasks: planned work (preventative maintenance, capacity warnings, raised by hand) (incidents/task_views.py).
    path("tasks/", task_views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", task_views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<int:pk>/", task_views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", task_views.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/assign/", task_views.TaskAssignView.as_view(), name="task_assign"),
    path("tasks/<int:pk>/steps/<int:step>/", task_views.TaskStepView.as_view(), name="task_step"),
    path("tasks/<int:pk>/<slug:action>/", task_views.TaskTransitionView.as_view(), name="task_transition"),
    path("<int:pk>/<slug:action>/", views.IncidentTransitionView.as_view(), name="transition"),
]

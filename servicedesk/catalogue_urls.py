"""URLs of the service catalogue (namespace "catalogue"): request something, approvals, tasks, the editor."""

from django.urls import path

from servicedesk import catalogue_views as views

app_name = "catalogue"

urlpatterns = [
    path("request/", views.CatalogueView.as_view(), name="index"),
    path("request/<int:pk>/", views.RequestCreateView.as_view(), name="request"),
    path("requests/approvals/", views.ApprovalListView.as_view(), name="approvals"),
    path("requests/<int:pk>/approve/", views.RequestDecisionView.as_view(decision="approve"), name="approve"),
    path("requests/<int:pk>/decline/", views.RequestDecisionView.as_view(decision="decline"), name="decline"),
    path("requests/<int:pk>/tasks/", views.TaskAddView.as_view(), name="task_add"),
    path("requests/tasks/<int:pk>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("requests/tasks/<int:pk>/reopen/", views.TaskReopenView.as_view(), name="task_reopen"),
    path("requests/tasks/<int:pk>/assign/", views.TaskAssignView.as_view(), name="task_assign"),
    path("catalogue/", views.RequestTypeListView.as_view(), name="type_list"),
    path("catalogue/new/", views.RequestTypeCreateView.as_view(), name="type_create"),
    path("catalogue/preview/", views.RequestTypePreviewView.as_view(), name="type_preview"),
    path("catalogue/<int:pk>/", views.RequestTypeEditView.as_view(), name="type_edit"),
    path("catalogue/<int:pk>/retire/", views.RequestTypeStateView.as_view(retire=True), name="type_retire"),
    path("catalogue/<int:pk>/reinstate/", views.RequestTypeStateView.as_view(retire=False), name="type_reinstate"),
]

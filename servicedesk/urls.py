from django.urls import include, path

from servicedesk import views
from servicedesk import workbench_views as workbench

urlpatterns = [
    path("", views.home, name="home"),
    path("knowledge/", views.ArticleListView.as_view(), name="knowledge_list"),
    path("knowledge/new/", views.ArticleCreateView.as_view(), name="knowledge_create"),
    path("knowledge/suggest/", views.article_suggest, name="knowledge_suggest"),
    path("knowledge/<int:pk>/", views.ArticleDetailView.as_view(), name="knowledge_detail"),
    path("knowledge/<int:pk>/edit/", views.ArticleEditView.as_view(), name="knowledge_edit"),
    path("knowledge/<int:pk>/<slug:action>/", views.ArticleTransitionView.as_view(), name="knowledge_transition"),
    # The service catalogue and requests (servicedesk/catalogue_urls.py, namespace "catalogue")
    path("", include("servicedesk.catalogue_urls")),
    # E-mail intake: inbound mail and the support mailbox (servicedesk/mail_urls.py, namespace "mail")
    path("mail/", include("servicedesk.mail_urls")),
    # The technician's workbench (servicedesk/workbench_views.py)
    path("workbench/", workbench.WorkbenchView.as_view(), name="workbench"),
    path("workbench/poll/", workbench.WorkbenchPollView.as_view(), name="workbench_poll"),
    path("workbench/filter-lists/", workbench.WorkbenchFilterListsView.as_view(), name="workbench_filter_lists"),
    path("workbench/bulk/", workbench.WorkbenchBulkView.as_view(), name="workbench_bulk"),
    path("workbench/filters/", workbench.SavedFilterCreateView.as_view(), name="saved_filter_create"),
    path(
        "workbench/filters/<int:pk>/rename/",
        workbench.SavedFilterActionView.as_view(action="rename"),
        name="saved_filter_rename",
    ),
    path(
        "workbench/filters/<int:pk>/move/",
        workbench.SavedFilterActionView.as_view(action="move"),
        name="saved_filter_move",
    ),
    path(
        "workbench/filters/<int:pk>/delete/",
        workbench.SavedFilterActionView.as_view(action="delete"),
        name="saved_filter_delete",
    ),
]

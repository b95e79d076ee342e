from django.urls import path

from servicedesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("knowledge/", views.ArticleListView.as_view(), name="knowledge_list"),
    path("knowledge/new/", views.ArticleCreateView.as_view(), name="knowledge_create"),
    path("knowledge/suggest/", views.article_suggest, name="knowledge_suggest"),
    path("knowledge/<int:pk>/", views.ArticleDetailView.as_view(), name="knowledge_detail"),
    path("knowledge/<int:pk>/edit/", views.ArticleEditView.as_view(), name="knowledge_edit"),
    path("knowledge/<int:pk>/<slug:action>/", views.ArticleTransitionView.as_view(), name="knowledge_transition"),
]

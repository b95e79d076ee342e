from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from fits.admin import ScopedAdminMixin
from servicedesk.models import KnowledgeArticle


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Read-mostly: articles are written and published through the knowledge pages and the API."""

    list_display = ("title", "school", "audience", "status", "author", "updated_at")
    list_filter = ("school", "status", "audience")
    list_select_related = ("school", "author")
    search_fields = ("title", "summary")
    readonly_fields = ("status", "published_at")
    raw_id_fields = ("author",)

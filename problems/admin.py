from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from fits.admin import ScopedAdminMixin
from problems.models import KnownError, Problem


@admin.register(Problem)
class ProblemAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Read-mostly: problems change through the Problem Management pages and the API, not here."""

    list_display = ("reference", "title", "school", "status", "assignee", "created_at")
    list_filter = ("school", "status")
    list_select_related = ("school", "assignee")
    search_fields = ("reference", "title")
    readonly_fields = ("reference", "status", "root_cause", "resolution", "resolved_at", "closed_at")
    raw_id_fields = ("logged_by", "assignee", "ci")


@admin.register(KnownError)
class KnownErrorAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("symptom", "problem", "school", "published", "created_at")
    list_filter = ("school", "published")
    list_select_related = ("school", "problem")
    search_fields = ("symptom", "workaround")
    raw_id_fields = ("problem", "recorded_by")

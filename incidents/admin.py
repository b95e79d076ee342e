from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from fits.admin import ScopedAdminMixin
from incidents.models import Incident


@admin.register(Incident)
class IncidentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Read-mostly: incidents change through the service desk pages and the API, not here."""

    list_display = ("reference", "title", "school", "priority", "status", "assignee", "created_at")
    list_filter = ("school", "status", "priority", "channel")
    list_select_related = ("school", "assignee")
    search_fields = ("reference", "title")
    readonly_fields = ("reference", "status", "priority", "resolution", "resolved_at", "closed_at")
    raw_id_fields = ("reporter", "logged_by", "assignee")

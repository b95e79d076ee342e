"""The incident queue as a django-tables2 table (sorting, pagination, per-column rendering)."""

import django_tables2 as tables

from fits.templatetags.fits_ui import priority_badge, status_badge
from incidents.models import Incident


class IncidentTable(tables.Table):
    reference = tables.Column(linkify=True, verbose_name="Ref.")
    title = tables.Column(linkify=True, verbose_name="Summary")
    school = tables.Column(order_by=("school__name",))
    priority = tables.Column()
    status = tables.Column()
    reporter = tables.Column(order_by=("reporter__first_name", "reporter__last_name"))
    assignee = tables.Column(default="Unassigned", order_by=("assignee__first_name",))
    created_at = tables.DateTimeColumn(verbose_name="Logged", format="j M, H:i")
    resolution_due_at = tables.Column(verbose_name="Due", default="")

    class Meta:
        model = Incident
        fields = ("reference", "title", "school", "priority", "status", "reporter", "assignee", "created_at",
                  "resolution_due_at")  # fmt: skip
        order_by = ("priority", "-created_at")
        empty_text = "No incidents match. Clear the filters, or log a new incident."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_priority(self, record):
        return priority_badge(record)

    def render_status(self, record):
        return status_badge(record)

    def render_resolution_due_at(self, record):
        from servicelevels.sla import due_badge

        return due_badge(record)

    def order_resolution_due_at(self, queryset, is_descending):
        """Soonest due first; tickets with no due time (the clock stopped) last either way."""
        from servicelevels.sla import order_by_due

        return order_by_due(queryset, descending=is_descending), True

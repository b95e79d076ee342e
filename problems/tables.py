"""Problems and known errors as django-tables2 tables."""

import django_tables2 as tables

from fits.templatetags.fits_ui import status_badge
from problems.models import KnownError, Problem


class ProblemTable(tables.Table):
    reference = tables.Column(linkify=True, verbose_name="Ref.")
    title = tables.Column(linkify=True, verbose_name="Summary")
    school = tables.Column(order_by=("school__name",))
    status = tables.Column()
    incident_count = tables.Column(verbose_name="Incidents", orderable=True)
    assignee = tables.Column(default="Unassigned", order_by=("assignee__first_name",))
    created_at = tables.DateTimeColumn(verbose_name="Logged", format="j M, H:i")

    class Meta:
        model = Problem
        fields = ("reference", "title", "school", "status", "incident_count", "assignee", "created_at")
        order_by = ("-created_at",)
        empty_text = "No problems match. Clear the filters, or log a new problem."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_status(self, record):
        return status_badge(record)


class KnownErrorTable(tables.Table):
    symptom = tables.Column(linkify=True)
    workaround = tables.Column(orderable=False)
    problem = tables.Column(linkify=True, order_by=("problem__reference",), verbose_name="Problem")
    school = tables.Column(order_by=("school__name",))
    created_at = tables.DateTimeColumn(verbose_name="Recorded", format="j M Y")

    class Meta:
        model = KnownError
        fields = ("symptom", "workaround", "problem", "school", "created_at")
        order_by = ("-created_at",)
        empty_text = "No known errors match."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_problem(self, record):
        return record.problem.reference

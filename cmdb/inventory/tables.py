"""The list of inventories received, as a django-tables2 table."""

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from cmdb.inventory.services import describe
from cmdb.models import ConfigurationItem, InventorySubmission


def ci_url(ci: ConfigurationItem | None) -> str | None:
    """The CI's page, when the CMDB pages are routed."""
    if ci is None:
        return None
    try:
        return ci.get_absolute_url()
    except NoReverseMatch:
        return None


OUTCOME_COLOURS = {InventorySubmission.Outcome.ACCEPTED: "green", InventorySubmission.Outcome.REJECTED: "red"}


class InventorySubmissionTable(tables.Table):
    received_at = tables.DateTimeColumn(
        verbose_name="Received",
        format="j M Y, H:i",
        linkify=lambda record: reverse("inventory:submission_detail", kwargs={"pk": record.pk}),
    )
    school = tables.Column(order_by=("school__name",))
    device_id = tables.Column(verbose_name="Agent", default="Unknown agent")
    format = tables.Column()
    outcome = tables.Column()
    ci = tables.Column(verbose_name="Computer", default="", order_by=("ci__name",))
    summary = tables.Column(verbose_name="What happened", orderable=False, empty_values=())

    class Meta:
        model = InventorySubmission
        fields = ("received_at", "school", "device_id", "format", "outcome", "ci", "summary")
        order_by = ("-received_at",)
        empty_text = "No inventories match. Clear the filters, or run an agent with the command on the settings page."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_outcome(self, record):
        colour = OUTCOME_COLOURS.get(record.outcome, "secondary")
        return format_html('<span class="badge bg-{}-lt">{}</span>', colour, record.get_outcome_display())

    def render_ci(self, record):
        url = ci_url(record.ci)
        return format_html('<a href="{}">{}</a>', url, record.ci.name) if url else record.ci.name

    def render_summary(self, record):
        if record.outcome == InventorySubmission.Outcome.REJECTED:
            error = record.error if len(record.error) <= 140 else record.error[:139] + "…"
            return format_html('<span class="text-danger">{}</span>', error)
        return describe(record.summary) if record.summary else ""

"""Compact figures for the workbench's dense list."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from fits.templatetags.fits_ui import PRIORITY_COLOURS, day_and_time

register = template.Library()


@register.filter
def age(value: datetime | None, now: datetime | None = None) -> str:
    """How old, in one short unit: "40 min", "5 h", "3 d", "7 wk"."""
    if value is None:
        return ""
    minutes = max(int(((now or timezone.now()) - value).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    return f"{days} d" if days < 28 else f"{days // 7} wk"


@register.simple_tag
def age_cell(row, now: datetime | None = None) -> str:
    """The Age column: how old the ticket is and when it was last updated, each with its exact time on hover (as
    `date:'c'` and `date:"j M Y, H:i"` wrote them, without the general date formatter: fifty rows, four dates each)."""
    logged, updated = timezone.localtime(row.created_at), timezone.localtime(row.updated_at)
    return format_html(
        '<time datetime="{}" title="Logged {}">{}</time>\n            <div class="wb-meta"><time datetime="{}" '
        'title="Last updated {}"><abbr title="last updated">upd.</abbr> {}</time></div>',
        logged.isoformat(),
        day_and_time(logged),
        age(row.created_at, now),
        updated.isoformat(),
        day_and_time(updated),
        age(row.updated_at, now),
    )


@register.simple_tag
def due_cell(row, now: datetime | None = None) -> str:
    """The resolution clock of a row: "in 3 h" / "40 min over" / "Paused" / "Met", coloured by its state."""
    from servicelevels.sla import due_badge

    return due_badge(row, now)


@register.filter
def priority_colour(value: int) -> str:
    """The badge colour of a priority, as on every other page."""
    return PRIORITY_COLOURS.get(value, "secondary")

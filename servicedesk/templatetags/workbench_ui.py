"""Compact figures for the workbench's dense list."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from fits.templatetags.fits_ui import PRIORITY_COLOURS

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
def due_cell(row, now: datetime | None = None) -> str:
    """The resolution clock of a row: "in 3 h" / "40 min over" / "Paused" / "Met", coloured by its state."""
    from servicelevels.sla import due_badge

    return due_badge(row, now)


@register.filter
def priority_colour(value: int) -> str:
    """The badge colour of a priority, as on every other page."""
    return PRIORITY_COLOURS.get(value, "secondary")

"""Small filters for the service-level dashboards: figures that may be missing, rates, traffic lights."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()

LIGHT_WORDS = {"green": "on target", "amber": "near target", "red": "below target"}


@register.filter
def pct(value) -> str:
    """A rate in per cent ("87.5 %"), or a dash when there was nothing to measure."""
    return "—" if value is None else f"{value:.1f} %"


@register.filter
def figure(value, places: int = 1) -> str:
    """A number that may be missing (a mean, a ratio), or a dash."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{int(places)}f}"


@register.filter
def mins(value) -> str:
    """Minutes in words: "2 d 4 h", "3 h 20 min", "12 min"; a dash when missing."""
    if value is None:
        return "—"
    days, minutes = divmod(int(value), 60 * 24)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def light_dot(colour: str) -> str:
    """A Tabler status dot with the words for screen readers; nothing when there is no figure."""
    if not colour:
        return ""
    return format_html(
        '<span class="status-dot status-{} me-1" aria-hidden="true"></span><span class="visually-hidden">{}</span>',
        colour,
        LIGHT_WORDS.get(colour, ""),
    )


@register.filter
def light_cell(colour: str) -> str:
    """The background class of a traffic-lighted table cell."""
    return f"bg-{colour}-lt" if colour else ""


@register.filter
def lookup(mapping, key):
    return (mapping or {}).get(key)

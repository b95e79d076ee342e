"""Small pieces of the CMDB pages: lifecycle and warranty badges, kind icons."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

from cmdb.models import Kind

register = template.Library()

WARRANTY_SOON_DAYS = 90  # a warranty ending within this many days "Ends soon"

LIFECYCLE_COLOURS = {
    "ordered": "azure",
    "in_stock": "blue",
    "live": "green",
    "in_repair": "orange",
    "retired": "secondary",
    "disposed": "secondary",
}
# The vendored sprite has a few dozen icons: the nearest one for each kind.
KIND_ICONS = {
    Kind.SWITCH: "switch-horizontal",
    Kind.ROUTER: "switch-horizontal",
    Kind.FIREWALL: "lock",
    Kind.ACCESS_POINT: "api",
    Kind.PATCH_PANEL: "list",
    Kind.WALL_SOCKET: "circle",
    Kind.SERVER: "building",
    Kind.STORAGE: "inbox",
    Kind.PRINTER: "clipboard-list",
    Kind.SERVICE: "headset",
    Kind.SOFTWARE: "book",
    Kind.OPERATING_SYSTEM: "book",
}


@register.simple_tag
def lifecycle_badge(ci) -> str:
    colour = LIFECYCLE_COLOURS.get(ci.status, "secondary")
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, ci.get_status_display())


@register.simple_tag
def kind_icon(kind: str, css: str = "") -> str:
    from fits.templatetags.fits_ui import icon

    return icon(KIND_ICONS.get(kind, "device-desktop"), css)


@register.simple_tag
def warranty_badge(end) -> str:
    """Expired (red), ending within 90 days (yellow), or nothing."""
    if not end:
        return ""
    today = timezone.localdate()
    if end < today:
        return format_html('<span class="badge bg-red-lt">{}</span>', "Expired")
    if end <= today + timedelta(days=WARRANTY_SOON_DAYS):
        return format_html('<span class="badge bg-yellow-lt">{}</span>', "Ends soon")
    return ""


@register.filter
def seat_colour(used: int, bought: int | None) -> str:
    """Licence use: over the seats bought is red, nine tenths or more yellow, otherwise green."""
    if not bought:
        return "green"
    if used > bought:
        return "red"
    return "yellow" if used >= 0.9 * bought else "green"


@register.filter
def percent_of(used: int, bought: int | None) -> int:
    if not bought:
        return 0
    return min(100, round(100 * used / bought))

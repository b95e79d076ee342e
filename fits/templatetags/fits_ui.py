"""Small pieces of the UI used on every page: icons, status and priority badges, timeline text."""

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.timesince import timesince

register = template.Library()


@register.simple_tag
def icon(name: str, css: str = "") -> str:
    """An icon from the vendored Tabler sprite; decorative, so hidden from screen readers."""
    return _icon(name, css, _sprite_url())


# A page draws hundreds of icons (one per timeline entry): each is made once per process (and static
# settings, which tests may override).
_SPRITE_URLS: dict[tuple[str, int], str] = {}


def _sprite_url() -> str:
    key = (settings.STATIC_URL, id(settings.STORAGES))
    if key not in _SPRITE_URLS:
        _SPRITE_URLS[key] = static("vendor/tabler-icons/sprite.svg")
    return _SPRITE_URLS[key]


@functools.lru_cache(maxsize=1024)
def _icon(name: str, css: str, sprite: str) -> str:
    return format_html(
        '<svg class="icon {}" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><use href="{}#{}"></use></svg>',
        css,
        sprite,
        name,
    )


@register.filter(expects_localtime=True)
def time_element(value) -> str:
    """`<time datetime="…">24 Nov 2026, 09:05</time>`: what `date:'c'` and `date:"j M Y, H:i"` give, without
    Django's general date formatter (a timeline draws hundreds of them: they were half its cost)."""
    if not value:
        return format_html('<time datetime=""></time>')
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), day_and_time(value))


def day_and_time(value) -> str:
    """What `date:"j M Y, H:i"` gives ("24 Nov 2026, 09:05") for a local time, without the general formatter."""
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}, {value.hour:02d}:{value.minute:02d}"


STATUS_COLOURS = {
    "pending_approval": "purple",
    "new": "blue",
    "assigned": "azure",
    "in_progress": "indigo",
    "on_hold": "yellow",
    "resolved": "green",
    "closed": "secondary",
    "reopened": "orange",
}
PRIORITY_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "azure", 5: "secondary"}


@register.simple_tag
def status_badge(record) -> str:
    colour = STATUS_COLOURS.get(record.status, "secondary")
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, record.get_status_display())


@register.simple_tag
def priority_badge(record) -> str:
    colour = PRIORITY_COLOURS.get(record.priority, "secondary")
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, record.get_priority_display())


@register.filter
def status_label(value: str, record) -> str:
    """The label of a status value of `record`'s model, for timeline entries."""
    return dict(record.__class__._meta.get_field("status").choices).get(value, value)


@register.filter
def duration(value) -> str:
    """A timedelta in words a school reads easily: "2 d 4 h", "3 h 20 min", "12 min"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 60 * 24)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def minutes(value) -> str:
    """A number of minutes of work in words: "1 h 30 min", "45 min"."""
    if value in (None, ""):
        return ""
    from datetime import timedelta

    return duration(timedelta(minutes=int(value)))


@register.filter
def ago(value) -> str:
    """How long ago, to the largest unit only: "4 days ago", "12 hours ago", "just now"."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def percent_step(value) -> int:
    """A share as a whole percent from 0 to 100, for the bar classes of fits.css (`pct-w-{{ share|percent_step }}`):
    the Content-Security-Policy allows no inline style attribute, so a bar's width is one of 101 classes."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return 0
    if not number.is_finite():
        return 0
    number = max(Decimal(0), min(Decimal(100), number))
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # as floatformat:0 rounds

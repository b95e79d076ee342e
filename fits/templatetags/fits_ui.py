"""Small pieces of the UI used on every page: icons, status and priority badges, timeline text."""

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaksbr
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime

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
        return format_html('<time datetime="{}"></time>', "")
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
    return _status_labels(record.__class__).get(value, value)


@functools.cache
def _status_labels(model) -> dict:
    return dict(model._meta.get_field("status").choices)


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


# =============================================================================
# The timeline (templates/includes/timeline.html), written in one pass
# =============================================================================
# Every process's page shows one, some hundreds of entries long: the template's loop, with its nested
# conditions and filters per entry, took a quarter of a busy ticket's page (issue 11). This writes the very
# same HTML (spacing included), reading each entry's `changes` as the template language would.

TIMELINE_ICONS = {
    "comment": "message",
    "status": "refresh",
    "assignment": "user-check",
    "created": "plus",
    "link": "arrow-right",
}
TIMELINE_OTHER_ICON, TIMELINE_INTERNAL_ICON = "tool", "eye-off"  # any other kind; an internal entry's badge
_INTERNAL_BADGE = '<span class="badge bg-yellow-lt ms-1">{} Internal: not shown to the caller</span>'


class _Missing:
    """A step of `changes.a.b` that is not there: false in a condition, "" when shown (as in a template)."""

    def __bool__(self) -> bool:
        return False


_MISSING = _Missing()


def _at(value, *keys: str):
    """`value.k1.k2` as a template reads JSON: a key, else a list index (`status.0`); `_MISSING` if absent."""
    for key in keys:
        try:
            value = value[key]
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            try:
                value = value[int(key)]
            except (TypeError, AttributeError, KeyError, ValueError, IndexError):
                return _MISSING
    return value


def _show(value) -> str:
    """`{{ value }}`: localized, escaped; nothing for a missing value."""
    if value is _MISSING:
        return ""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


# Every branch but the last of the template's chain keeps the newline and indent that follow it there.
_AFTER = "\n      "


def _what_happened(entry, record, changes) -> str:
    """The words after the actor's name: the template's chain of conditions, in its order."""
    kind, at = entry.kind, _at
    if kind == "status":
        labels = _status_labels(record.__class__)

        def label(value):
            value = "" if value is _MISSING else value
            return _show(labels.get(value, value))

        reason = at(changes, "reason")
        return format_html(
            "moved it from {} to <strong>{}</strong>{}" + _AFTER,
            label(at(changes, "status", "0")),
            label(at(changes, "status", "1")),
            format_html(' <span class="badge bg-secondary-lt">{}</span>', _show(reason)) if reason else "",
        )
    if kind == "assignment":
        group, to = at(changes, "group"), at(changes, "assignee", "1")
        to_group = to_person = ""
        if group:
            if at(changes, "escalated"):
                verb = "escalated it to"
            elif at(changes, "taken_back"):
                verb = "took it back from"
            elif at(group, "1"):
                verb = "passed it to the group"
            else:
                verb = "took it out of the group"
            name = at(group, "1") or at(group, "0")
            to_group = format_html("{} <strong>{}</strong>{}", verb, _show(name) if name else "", " and " if to else "")
        if to or not group:
            to_person = format_html("assigned it to <strong>{}</strong>", _show(to or "nobody"))
        return format_html("{}{}" + _AFTER, to_group, to_person)
    if kind == "comment":
        if major := at(changes, "major_update"):
            return format_html("posted an update on major incident <strong>{}</strong>" + _AFTER, _show(major))
        return "commented" + _AFTER if entry.public else "added an internal note" + _AFTER
    if kind == "link" and at(changes, "merged"):
        return "merged a duplicate call into it" + _AFTER
    if kind == "link" and at(changes, "child"):
        return "linked a call to it" + _AFTER
    if kind == "link" and at(changes, "major"):
        return format_html("linked it to a <strong>{}</strong>" + _AFTER, "major incident")
    if kind == "link" and at(changes, "unlinked"):
        return "unlinked it" + _AFTER
    if spent := at(changes, "time_spent"):
        return format_html("logged <strong>{}</strong> of work" + _AFTER, _show(minutes(spent)))
    if at(changes, "supplier_reference"):
        reference = at(changes, "supplier_reference", "1") or "(none)"
        return format_html("recorded the supplier's reference <strong>{}</strong>" + _AFTER, _show(reference))
    if at(changes, "is_major"):
        priority = format_html(" (priority {})", _show(at(changes, "priority", "1"))) if at(changes, "priority") else ""
        return format_html("declared it a <strong>{}</strong>{}" + _AFTER, "major incident", priority)
    if task := at(changes, "task"):
        return format_html("{} a fulfilment step" + _AFTER, _show(at(task, "1")))
    if kind == "created":
        said = entry.text
        if said and said[:6] != "Logged":
            return format_html("{}" + _AFTER, said.lower().replace(".", ""))
        how = said.replace("Logged ", "").replace(".", "") if said and said != "Logged." else ""
        return format_html("logged it{}" + _AFTER, format_html(" ({})", how) if how else "")
    return _show(str(entry.get_kind_display()).lower())


_ENTRY = (
    '\n  <li class="timeline-item kind-{}{}">\n'
    '    <span class="timeline-dot" aria-hidden="true">{}</span>\n'
    '    <div class="meta">\n'
    "      <strong>{}</strong>\n"
    "      {}\n"
    "      · {}\n"
    "      {}\n"
    "    </div>\n"
    "    {}\n"
    "  </li>\n"
)


def _entry(entry, record, sprite: str) -> str:
    kind, public, text = entry.kind, entry.public, entry.text
    return format_html(
        _ENTRY,
        _show(kind),
        "" if public else " internal",
        _icon(TIMELINE_ICONS.get(kind, TIMELINE_OTHER_ICON), "", sprite),
        _show(entry.actor or "System"),
        _what_happened(entry, record, entry.changes),
        time_element(template_localtime(entry.created_at)),
        "" if public else format_html(_INTERNAL_BADGE, _icon(TIMELINE_INTERNAL_ICON, "", sprite)),
        format_html('<div class="entry-text">{}</div>', linebreaksbr(text)) if text and kind != "created" else "",
    )


@register.simple_tag
def timeline_items(entries, record) -> str:
    """The `<li>` of each entry of `record`'s timeline, oldest first (or "Nothing yet.")."""
    sprite = _sprite_url()
    items = format_html_join("", "{}", ((_entry(entry, record, sprite),) for entry in entries or ()))
    return items or format_html('\n  <li class="text-secondary">{}</li>\n', "Nothing yet.")

"""Compact figures for the workbench's dense list."""

from __future__ import annotations

import html
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString

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


def age_cell(row, now: datetime | None = None) -> str:
    """The Age column: how old the ticket is and when it was last updated, each with its exact time on hover (as
    `date:'c'` and `date:"j M Y, H:i"` wrote them, without the general date formatter: fifty rows, four dates each)."""
    logged, updated = timezone.localtime(row.created_at), timezone.localtime(row.updated_at)
    return _html(
        '<time datetime="{}" title="Logged {}">{}</time>\n            <div class="wb-meta"><time datetime="{}" '
        'title="Last updated {}"><abbr title="last updated">upd.</abbr> {}</time></div>',
        logged.isoformat(),
        day_and_time(logged),
        age(row.created_at, now),
        updated.isoformat(),
        day_and_time(updated),
        age(row.updated_at, now),
    )


@register.filter
def priority_colour(value: int) -> str:
    """The badge colour of a priority, as on every other page."""
    return PRIORITY_COLOURS.get(value, "secondary")


# One ticket of the list. The busiest page of the product draws fifty of these on every view and every refresh:
# written once here, with each value escaped by _html, they cost half the template loop they replaced.
_ROW = """
        <tr class="wb-row" data-id="{pk}" data-href="{url}" tabindex="-1" aria-label="{reference} {title}">
          {check}<td class="wb-ref">
            <span class="wb-kind" title="{kind}">{kind_icon}<span class="visually-hidden">{kind}</span></span>
            <a href="{url}" data-wb-open>{reference}</a>
          </td>
          <td class="wb-priority">{priority_cell}</td>
          <td class="wb-summary">
            <a href="{url}" class="wb-title" tabindex="-1">{title}</a>
            {badges}<div class="wb-meta">
              {school}<span class="d-xxl-none">{user_icon}{reporter}</span>
              {place}{ci}
            </div>
          </td>
          <td class="wb-person d-none d-xxl-table-cell">{reporter}</td>
          <td class="wb-person">
            {assignee}{group}
          </td>
          <td>{status}{hold}</td>
          <td class="wb-due">{due}</td>
          <td class="wb-age">
            {age}
          </td>
        </tr>"""
_PRIORITY = '<span class="badge bg-{}-lt" title="{}">P{}<span class="visually-hidden"> {}</span></span>'
_CHECK = (
    '<td class="wb-check"><input type="checkbox" class="form-check-input" name="ticket" value="{}" form="wb-bulk" '
    'data-wb-select aria-label="Choose {}"></td>\n          '
)
_MAJOR = '<span class="badge bg-red-lt ms-1">{}</span>\n            '
_SAFEGUARDING = '<span class="badge bg-purple-lt ms-1" title="{}">{}</span>\n            '
_SAFEGUARDING_TITLE = "Visible only to the safeguarding leads, leaders and whoever works it"


@register.simple_tag
def ticket_rows(rows, now: datetime, *, can_act: bool = False, show_school: bool = False) -> str:
    """The list's rows (`<tr>`s): reference, priority, summary with caller, place and CI, who has it, status, the
    resolution clock and age. `can_act`: a checkbox for the bulk actions; `show_school`: the school's name."""
    from fits.templatetags.fits_ui import icon, status_badge
    from servicelevels.sla import due_badge

    return SafeString("".join(_row(row, now, can_act, show_school, icon, status_badge, due_badge) for row in rows))


def _html(template: str, *args, **kwargs) -> SafeString:
    """format_html without its per-call overhead (fifty rows of twenty values): every value escaped unless it is
    markup already (SafeData), exactly as Django's conditional_escape does."""
    return SafeString(template.format(*map(_escaped, args), **{key: _escaped(v) for key, v in kwargs.items()}))


def _escaped(value) -> str:
    return value if isinstance(value, SafeData) else html.escape(str(value))


def _row(row, now, can_act, show_school, icon, status_badge, due_badge) -> str:
    url = row.get_absolute_url()
    kind = row.get_kind_display()
    priority = row.get_priority_display()
    location = row.location
    if location is not None:
        where = f"{location.name}, {row.room}" if row.room else location.name
        place = _html("<span>{}{}</span>", icon("building"), where)
    else:
        place = _html("<span>{}{}</span>", icon("building"), row.room) if row.room else ""
    assignee = row.assignee
    return _html(
        _ROW,
        pk=row.pk,
        url=url,
        reference=row.reference,
        title=row.title,
        check=_html(_CHECK, row.pk, row.reference) if can_act else "",
        kind=kind,
        kind_icon=icon("clipboard-list" if row.kind == "request" else "alert-circle"),
        priority_cell=_html(_PRIORITY, priority_colour(row.priority), priority, row.priority, priority[3:]),
        badges=_html(
            "{}{}",
            _html(_MAJOR, "Major") if row.is_major else "",
            _html(_SAFEGUARDING, _SAFEGUARDING_TITLE, "Safeguarding") if row.safeguarding else "",
        ),
        school=_html("<span>{}</span>", row.school.name) if show_school else "",
        user_icon=icon("user"),
        reporter=row.reporter,
        place=place,
        ci=_html("<span>{}{}</span>", icon("device-desktop"), row.ci.name) if row.ci is not None else "",
        assignee=assignee if assignee is not None else _html('<span class="text-secondary">{}</span>', "Unassigned"),
        group=_html('\n            <div class="wb-meta">{}</div>', row.group.name) if row.group is not None else "",
        status=status_badge(row),
        hold=_html('<div class="wb-meta">{}</div>', row.get_hold_reason_display()) if row.hold_reason else "",
        due=due_badge(row, now),
        age=age_cell(row, now),
    )

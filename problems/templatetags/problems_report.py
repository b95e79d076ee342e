"""Small helpers of the monthly problem report's figures and SVG bars (no inline styles: CSP)."""

from django import template

register = template.Library()

BAR_WIDTH = 240
ROW_HEIGHT = 24


@register.filter
def bar_width(value: int, largest: int) -> int:
    """The length of a bar for `value` when the largest bar is BAR_WIDTH long."""
    return round(BAR_WIDTH * value / largest) if largest else 0


@register.filter
def half(value: int) -> int:
    return round(value * 200 / BAR_WIDTH)


@register.filter
def band_y(index: int) -> int:
    return index * ROW_HEIGHT


@register.filter
def band_chart_height(rows: int) -> int:
    return rows * ROW_HEIGHT


@register.filter
def headline_figures(report) -> list[tuple[str, int, str]]:
    share = report.linked_share
    return [
        ("Open at the start", report.backlog_start, ""),
        ("Opened", report.opened, ""),
        ("Resolved", report.resolved, f"{report.closed} closed"),
        ("Open at the end", report.backlog_end, f"{report.backlog_end - report.backlog_start:+d} backlog"),
        ("Known errors", report.known_errors, "recorded this month"),
        (
            "Incidents explained",
            f"{share}%" if share is not None else "—",
            f"{report.incidents_linked} of {report.incidents} linked to a problem",
        ),
    ]

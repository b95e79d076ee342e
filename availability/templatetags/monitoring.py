"""Monitoring's badges: a state (up, down, degraded, unknown, unreachable) in its colour, with words."""

from django import template
from django.utils.html import format_html

from availability.models import State

register = template.Library()

STATE_COLOURS = {
    State.UP: "green",
    State.DOWN: "red",
    State.DEGRADED: "yellow",
    State.UNKNOWN: "secondary",
    State.UNREACHABLE: "orange",
}


@register.simple_tag
def state_badge(state: str) -> str:
    """The state as a badge; the colour repeats the word, it never replaces it."""
    label = dict(State.choices).get(state, state or "Unknown")
    return format_html('<span class="badge bg-{}-lt">{}</span>', STATE_COLOURS.get(state, "secondary"), label)

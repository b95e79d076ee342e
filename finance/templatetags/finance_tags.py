"""Money as the finance pages show it: £1,234.50, and a minus sign before the pound sign (−£250.00)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


def _format(value, places: int) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    text = f"£{abs(amount):,.{places}f}"
    return f"−{text}" if amount < 0 else text


@register.filter
def pounds(value) -> str:
    """£1,234.50; −£250.00 for a negative amount."""
    return _format(value, 2)


@register.filter
def pounds0(value) -> str:
    """£1,235 (whole pounds)."""
    return _format(value, 0)

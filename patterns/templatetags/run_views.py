"""Filters for a run's timeline and cost (patterns/_timeline.html, patterns/_cost.html)."""

from decimal import Decimal

from django import template

from patterns.costs import usd as usd_format

register = template.Library()


@register.filter
def usd(amount) -> str:
    return usd_format(Decimal(amount))


@register.filter
def quantity(amount) -> str:
    """A bill's quantity without trailing zeros: 3, 0.5, 32,587.5, 0.0000143."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    if amount >= 1:
        return f"{amount.normalize():,f}"
    return f"{float(amount):.3g}"


@register.filter
def percent(value) -> str:
    """A CSS percentage with a dot whatever the locale."""
    return f"{float(value):.3f}%"


@register.filter
def indent_marks(depth) -> str:
    """A nested hop's depth as dashes, for the timeline's text form."""
    return "– " * int(depth)

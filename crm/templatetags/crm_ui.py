from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """12345.5 -> '12,345.50' in every language (amounts are CNY; the zh-Hans
    number format has no thousands separator, which makes large sums hard to read)."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value):,.2f}"

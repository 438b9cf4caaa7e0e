from django import template

from reviews.metrics import CATALOGUE

register = template.Library()


@register.filter
def metric_name(key: str) -> str:
    """The catalogue's (translated) name of a metric key; "—" for none."""
    metric = CATALOGUE.get(key or "")
    return str(metric.name) if metric else "—"

from django import template
from django.utils.translation import gettext as _

from core.formulas import nps_class
from surveys.models import Question

register = template.Library()


@register.filter
def score(value):
    """A number for display; "—" when there is no value (never a fake 0)."""
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


@register.filter
def percent(value):
    return "—" if value is None else f"{100 * value:.0f}%"


@register.filter
def bar(value, top):
    if value is None:
        return 0
    return max(0, min(100, round(100 * float(value) / float(top))))


@register.filter
def dimension_label(key):
    return dict(Question.Dimension.choices).get(key, key)


@register.filter
def nps_badge(nps):
    if nps is None:
        return "badge-muted"
    return {"promoter": "badge-ok", "detractor": "badge-danger"}.get(nps_class(nps), "badge-muted")


@register.filter
def followup_state(followup):
    if followup is None:
        return ""
    return _("done") if followup.done_at else _("open")

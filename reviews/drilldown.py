"""Reads of the metric drill-down: the records behind one part of one metric,
scoped to the caller, and their rows as the API, the list page and the XLSX
export show them. The records are the part's own queryset (``metric_parts``), so
the list has exactly as many rows as the part counts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext, pgettext_lazy

from core import access
from crm.models import Customer, Transaction
from reviews.metrics import CATALOGUE, GROUPS, Metric, Part, Period, Scope, group_path, metric_parts
from reviews.metrics.distributions import DISTRIBUTIONS

PART_LABELS = {
    "numerator": gettext_lazy("numerator"), "denominator": gettext_lazy("denominator"),
    "promoters": gettext_lazy("promoters"), "passives": gettext_lazy("passives"),
    "detractors": gettext_lazy("detractors"), "responses": gettext_lazy("responses"),
    "count": pgettext_lazy("metric part", "count"), "sum": pgettext_lazy("metric part", "sum"),
    "customers": gettext_lazy("customers"), "churned": gettext_lazy("customers who went quiet"),
    "active": gettext_lazy("customers active at the start"),
}


def _distribution_label(key: str, part: str) -> str | None:
    from reviews.labels import tier_choices

    if key == "tier_mix":
        return str(dict(tier_choices()).get(part, part))
    if key == "ticket_categories":
        from tickets.models import Category

        return str(dict(Category.choices).get(part, part))
    if key == "value_engagement":
        value, band = part.split(":")
        return _("%(value)s value × %(band)s engagement") % {"value": VALUE_LABELS[value], "band": VALUE_LABELS[band]}
    return None


VALUE_LABELS = {"high": pgettext_lazy("level", "high"), "medium": pgettext_lazy("level", "medium"),
                "low": pgettext_lazy("level", "low")}


def part_label(*, metric: Metric, part: str) -> str:
    """What a part counts, in the reader's language (the catalogue's own words for
    numerator and denominator; a tier, a category or a grid cell for a distribution)."""
    if metric.key in DISTRIBUTIONS:
        return _distribution_label(metric.key, part)
    if part == "numerator":
        return str(metric.numerator)
    if part == "denominator" and metric.key != "contact_frequency":
        return str(metric.denominator)
    return str(PART_LABELS.get(part, part))


def default_part(key: str) -> str:
    """The part a KPI opens: the customers or tickets the rate is about (the
    numerator), NPS's detractors, an average's records."""
    if key in DISTRIBUTIONS:
        return ""
    if key == "nps":
        return "detractors"
    if CATALOGUE[key].unit in ("min", "h", "score", "count"):
        return "count"
    return "numerator"


def records_url(*, key: str, period: Period, part: str | None = None, scope: Scope | None = None,
                group: str = "", api: bool = False) -> str:
    """The list page of a part's records (the link of a KPI, chart point, review
    row, people-page figure), or with ``api`` the records endpoint. ``group`` is
    "owner:<id>", "agent:<id>" or "department:<id>" (``group_parse``)."""
    params = {"start": period.start.isoformat(), "end": period.end.isoformat(), "part": part or default_part(key)}
    if scope is not None:
        params.update({k: v for k, v in (("team", scope.team_id), ("owner", scope.owner_id), ("tier", scope.tier))
                       if v not in (None, "")})
    if group:
        params["group"] = group
    name = "api-metric-records" if api else "reviews:metric-records"
    path = _records_path(name, key, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    return path + "?" + urlencode(params)


@lru_cache(maxsize=512)
def _records_path(name: str, key: str, root_urlconf: str, urlconf: str | None, script_prefix: str) -> str:
    """The path of a metric's records page: the same few per key, reversed once (a dashboard links
    each KPI, chart point and grid cell: ~150 reversals a page). The URL configuration and script
    prefix in the key keep it right under a changed ROOT_URLCONF or a per-request urlconf."""
    return reverse(name, kwargs={"key": key})


def group_parse(value: str | None) -> tuple[str, int] | None:
    """"owner:5" → ("owner", 5); None for none; Http404 for anything else."""
    if not value:
        return None
    name, _sep, member = value.partition(":")
    if name not in GROUPS or not member.isdigit():
        raise Http404
    return name, int(member)


GROUP_LABELS = {"owner": gettext_lazy("Account manager"), "agent": gettext_lazy("Support agent"),
                "department": gettext_lazy("Department")}


def group_label(group: str) -> str:
    """"Account manager: bob" for "owner:5" (one query); "" for no group."""
    member = group_parse(group)
    if member is None:
        return ""
    name, pk = member
    if name == "department":
        from tickets.models import Department

        who = Department.objects.filter(pk=pk).first()
    else:
        from crm.models import User

        who = User.objects.filter(pk=pk).first()
    return f"{GROUP_LABELS[name]}: {who if who is not None else pk}"


@dataclass(frozen=True)
class Drill:
    metric: Metric
    part_key: str
    part: Part
    period: Period
    scope: Scope
    parts: tuple[str, ...]
    group: str = ""

    @property
    def model(self):
        return self.part.records.model

    @property
    def kind(self) -> str:
        return RECORD_KINDS.get(self.model._meta.label, self.model._meta.model_name)


RECORD_KINDS = {"crm.Customer": "customer", "surveys.SurveyResponse": "survey_answer", "tickets.Ticket": "ticket",
                "crm.Transaction": "transaction", "crm.Interaction": "interaction", "crm.FollowUp": "followup"}
_RELATED = {"customer": ["owner", "team"], "survey_answer": ["customer", "customer__owner"],
            "ticket": ["customer", "customer__owner", "assignee"], "transaction": ["customer", "customer__owner"],
            "interaction": ["customer", "customer__owner", "staff"], "followup": ["customer", "customer__owner", "owner"]}


def drill_get(*, key: str, part: str, period: Period, scope: Scope, group: str = "") -> Drill:
    """The part of a metric (404 for an unknown metric or part, or a metric whose
    data app does not exist); with ``group`` only the records of that member, as
    ``metric_grouped`` counts them (404 for a part that does not split by it)."""
    metric = CATALOGUE.get(key) or DISTRIBUTIONS.get(key)
    if metric is None:
        raise Http404
    parts = metric_parts(key=key, period=period, scope=scope)
    part = part or next(iter(parts or {}), "")
    if not parts or part not in parts:
        raise Http404
    chosen = parts[part]
    member = group_parse(group)
    if member is not None:
        path = group_path(group=member[0], model=chosen.records.model)
        if path is None:
            raise Http404
        chosen = Part(chosen.records.filter(**{path: member[1]}), sum_of=chosen.sum_of, convert=chosen.convert)
    return Drill(metric=metric, part_key=part, part=chosen, period=period, scope=scope, parts=tuple(parts),
                 group=group or "")


def drill_records_for_user(*, user, drill: Drill) -> QuerySet:
    """The part's records the caller may see, ordered by id, related rows preloaded;
    sum parts carry each record's ``part_value``. Support staff see no money."""
    qs = drill.part.record_values()
    if drill.model is Transaction and not access.can_see_money(user):
        qs = qs.none()
    qs = access.scope_by_customer(qs, user, via="" if drill.model is Customer else "customer")
    return qs.select_related(*_RELATED.get(drill.kind, [])).order_by("pk")


def drill_customers_for_user(*, user, drill: Drill) -> QuerySet[Customer]:
    """The customers of the caller's records (each once): what the bulk follow-up and
    survey campaign act on."""
    records = drill_records_for_user(user=user, drill=drill)
    if drill.model is Customer:
        return Customer.objects.filter(pk__in=records.values("pk"))
    return Customer.objects.filter(pk__in=records.values("customer_id"))


def _at(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _owner(customer) -> str:
    return customer.owner.username if customer is not None and customer.owner_id else ""


def record_row(obj, *, drill: Drill) -> dict:
    """One record as data (no personal fields): id, customer, owner, date, what it is, and
    its contribution to a sum part."""
    kind = drill.kind
    customer = obj if kind == "customer" else obj.customer
    row = {"kind": kind, "id": obj.pk, "customer_id": customer.pk, "customer": customer.name,
           "owner": _owner(customer)}
    if kind == "customer":
        row.update({"team": obj.team.name if obj.team_id else "", "date": "", "detail": ""})
    elif kind == "survey_answer":
        row.update({"date": _at(obj.answered_at), "nps": obj.nps, "overall": obj.overall,
                    "detail": f"NPS {obj.nps if obj.nps is not None else '—'} · {obj.overall or '—'}/10"})
    elif kind == "ticket":
        row.update({"date": _at(obj.created_at), "number": obj.number or "", "subject": obj.subject,
                    "status": obj.status, "assignee": obj.assignee.username if obj.assignee_id else "",
                    "detail": f"{obj.number or obj.pk} {obj.subject} ({obj.get_status_display()})"})
    elif kind == "transaction":
        row.update({"date": _at(obj.occurred_on), "transaction_kind": obj.kind, "amount": float(obj.amount),
                    "due_on": _at(obj.due_on), "paid_on": _at(obj.paid_on),
                    "detail": f"{obj.get_kind_display()} {obj.amount}"})
    elif kind == "interaction":
        row.update({"date": _at(obj.occurred_at), "channel": obj.channel,
                    "detail": f"{obj.get_channel_display()}: {obj.summary[:80]}"})
    elif kind == "followup":
        state = pgettext("follow-up", "done") if obj.done_at else pgettext("follow-up", "open")
        row.update({"date": _at(obj.due_at), "done_at": _at(obj.done_at),
                    "followup_owner": obj.owner.username if obj.owner_id else "",
                    "detail": f"{obj.reason[:80]} ({state})"})
    if drill.part.sum_of is not None:
        row["value"] = round(drill.part.convert(obj.part_value), 2) if obj.part_value is not None else None
    return row


def detail_url(row: dict) -> str:
    """The page of a record (the ticket page for tickets, else the customer page)."""
    if row["kind"] == "ticket":
        return reverse("tickets:detail", kwargs={"pk": row["id"]})
    return reverse("customer-detail", kwargs={"pk": row["customer_id"]})

"""The one metrics catalogue (DESIGN "Metrics catalogue"): every KPI is defined
here once — key, name, unit, direction, formula, numerator and denominator — and
the dashboards, review reports, exports and API all call ``metric_compute``.

Rates are percentages (0–100) so targets are typed as people say them ("5 %").
A value of None means "no data": nothing to count in the period and scope, or
the app that holds the data has not recorded any."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from reviews.metrics import crm_metrics as c
from reviews.metrics import service_metrics as s
from reviews.metrics.base import (HIGHER, LOWER, NO_DATA, Metric, MetricValue, Part, Period, Scope, month_period,
                                 quarter_label, quarter_period)

__all__ = ["CATALOGUE", "HIGHER", "LOWER", "NO_DATA", "Metric", "MetricValue", "Part", "Period", "Scope",
           "metric_get", "metric_compute", "metric_describe", "metric_parts", "metric_grouped", "group_path",
           "GROUPS", "month_period", "quarter_period", "quarter_label", "deviation"]

_METRICS = [
    Metric("nps", _("NPS"), "pts", HIGHER,
           _("% promoters (9–10) − % detractors (0–6) of survey answers in the period, −100…100"),
           _("promoters − detractors"), _("survey answers with an NPS score"), "surveys", s.nps),
    Metric("avg_satisfaction", _("Average satisfaction"), "score", HIGHER,
           _("Average overall survey rating (1–10) × 10, on the 0–100 scale"),
           _("sum of satisfaction (0–100)"), _("survey answers with an overall rating"), "surveys",
           s.avg_satisfaction),
    Metric("churn_rate", _("Churn rate"), "%", LOWER,
           _("Customers active at the period start (a transaction, interaction or ticket in the 90 days "
             "before it) with no activity in the 90 days before the period end ÷ customers active at the start"),
           _("customers who went quiet"), _("customers active at the period start"), "crm", c.churn_rate,
           default_target=5.0),
    Metric("retention_rate", _("Customers kept"), "%", HIGHER,
           _("Customers active at the period start still active in the 90 days before the period end ÷ "
             "customers active at the start (churn's complement)"),
           _("customers kept"), _("customers active at the period start"), "crm", c.retention_rate),
    Metric("repurchase_rate", _("Repurchase rate"), "%", HIGHER,
           _("Customers with ≥ 2 purchases in the period ÷ customers with ≥ 1 purchase in the period"),
           _("customers with ≥ 2 purchases"), _("customers with ≥ 1 purchase"), "crm", c.repurchase_rate,
           default_target=40.0),
    Metric("clv", _("Customer lifetime value"), "CNY", HIGHER,
           _("Yearly net spend per buying customer (net spend in the period, annualised, ÷ customers with a "
             "purchase in the 90 days up to the period end) × expected lifetime in years (1 ÷ yearly churn: the "
             "churn rate of the 90 days up to the period end × 365.25 ÷ 90; at most 5 years; no data without "
             "churn data)"),
           _("net spend (purchases − refunds)"), _("customers with a purchase in the 90 days up to the period end"),
           "crm", c.clv),
    Metric("first_response_minutes", _("Average first response time"), "min", LOWER,
           _("Average minutes from ticket creation to the first staff response, tickets created in the period"),
           _("total minutes to first response"), _("tickets with a first response"), "tickets",
           s.first_response_minutes),
    Metric("resolution_hours", _("Average resolution time"), "h", LOWER,
           _("Average hours from ticket creation to resolution, tickets resolved in the period"),
           _("total hours to resolution"), _("tickets resolved"), "tickets", s.resolution_hours),
    Metric("sla_compliance", _("SLA compliance"), "%", HIGHER,
           _("Tickets created in the period without any SLA breach ÷ tickets created in the period"),
           _("tickets without a breach"), _("tickets created"), "tickets", s.sla_compliance),
    Metric("contact_frequency", _("Contact frequency"), "per_customer_month", HIGHER,
           _("Interactions in the period ÷ (customers × months in the period)"),
           _("interactions"), _("customer-months"), "crm", c.contact_frequency),
    Metric("activation_30d", _("New customer 30-day activation rate"), "%", HIGHER,
           _("Customers created in the period with a purchase within 30 days of creation ÷ customers created "
             "in the period"),
           _("activated new customers"), _("new customers"), "crm", c.activation_30d,
           default_target=80.0),
    Metric("winback_rate", _("Win-back rate"), "%", HIGHER,
           _("Customers in the churn-risk tier at the period start who made a purchase in the period ÷ "
             "churn-risk customers at the start"),
           _("churn-risk customers who bought again"), _("churn-risk customers at the start"), "segmentation",
           c.winback_rate, default_target=50.0),
    Metric("collection_rate", _("Payment collection rate"), "%", HIGHER,
           _("Purchases due in the period paid on or before the due date ÷ purchases due in the period"),
           _("paid on time"), _("purchases due"), "crm", c.collection),
    Metric("repeat_complaint_rate", _("Repeat complaint rate"), "%", LOWER,
           _("Complaint tickets created in the period flagged as repeat (same customer and category within "
             "30 days) ÷ complaint tickets created in the period"),
           _("repeat complaints"), _("complaints"), "tickets", s.repeat_complaint_rate),
    Metric("high_value_satisfaction", _("High-value customer satisfaction"), "score", HIGHER,
           _("Average overall survey rating × 10 (0–100) of the answers in the period from customers in the "
             "high-value tier on the period's last day"),
           _("sum of satisfaction (0–100)"), _("survey answers of high-value customers with an overall rating"),
           "segmentation", s.high_value_satisfaction, default_target=90.0),
    Metric("followup_on_time", _("Follow-ups on time"), "%", HIGHER,
           _("Follow-ups due in the period done by their due time ÷ follow-ups due in the period"),
           _("follow-ups done on time"), _("follow-ups due"), "crm", c.followup_on_time),
    Metric("followups_overdue", _("Overdue follow-ups"), "count", LOWER,
           _("Follow-ups open and past their due time at the period end"),
           _("overdue follow-ups"), "—", "crm", c.followups_overdue),
    Metric("ticket_satisfaction", _("Ticket satisfaction"), "score", HIGHER,
           _("Average close rating (1–5) × 20, on the 0–100 scale, of tickets resolved in the period"),
           _("sum of ratings (0–100)"), _("rated tickets resolved"), "tickets", s.ticket_satisfaction),
    Metric("first_followup_rate", _("First follow-up timeliness"), "%", HIGHER,
           format_lazy(_("Customers whose first purchase was in the period with an interaction within {days} days "
                         "of it ÷ customers whose first purchase was in the period"), days=c.FIRST_FOLLOWUP_DAYS),
           _("new customers followed up in time"), _("customers with a first purchase in the period"), "crm",
           c.first_followup_rate),
    Metric("complaint_cycle_hours", _("Complaint cycle time"), "h", LOWER,
           _("Average hours from a complaint ticket's creation to its resolution, complaints resolved in the "
             "period"),
           _("total hours to resolve complaints"), _("complaints resolved"), "tickets", s.complaint_cycle_hours),
]

CATALOGUE: dict[str, Metric] = {m.key: m for m in _METRICS}

UNIT_LABELS = {"%": "%", "pts": _("pts"), "score": _("/100"), "min": _("min"), "h": _("h"), "CNY": _("CNY"),
               "per_customer_month": _("per customer per month"), "count": ""}


def metric_get(key: str) -> Metric:
    """The metric with this key; KeyError for an unknown key."""
    return CATALOGUE[key]


# Metric queries aggregate millions of rows; with PostgreSQL's default 4 MB
# work_mem their hash aggregates spill to disk in every parallel worker (minutes
# instead of seconds on the benchmark data). Raised for the metric's transaction only.
METRIC_WORK_MEM = "64MB"


def metric_parts(*, key: str, period: Period, scope: Scope) -> dict[str, Part] | None:
    """The metric's parts (their records and how each is measured): the drill-down
    reads the records of the very parts ``metric_compute`` measures. Also the
    dashboard's distributions (``distributions.DISTRIBUTIONS``)."""
    from reviews.metrics.distributions import DISTRIBUTIONS

    return (CATALOGUE.get(key) or DISTRIBUTIONS[key]).parts(period=period, scope=scope)


def metric_compute(*, key: str, period: Period, scope: Scope) -> MetricValue:
    from reviews.metrics.distributions import DISTRIBUTIONS

    metric = CATALOGUE.get(key) or DISTRIBUTIONS[key]
    if connection.vendor != "postgresql":
        return metric.compute(period=period, scope=scope)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{METRIC_WORK_MEM}'")
        return metric.compute(period=period, scope=scope)


def metric_describe(metric: Metric) -> dict:
    """The catalogue entry as data (names in both languages)."""
    names = {}
    for lang in ("en", "zh-hans"):
        with override(lang):
            names[lang] = str(metric.name)
    return {"key": metric.key, "name": str(metric.name), "names": names, "unit": metric.unit,
            "unit_label": str(UNIT_LABELS.get(metric.unit, metric.unit)),
            "direction": metric.direction, "formula": str(metric.formula), "numerator": str(metric.numerator),
            "denominator": str(metric.denominator), "source": metric.source,
            "default_target": metric.default_target}


def deviation(*, metric: Metric, actual: float | None, target: float | None) -> dict:
    """Deviation of an actual from its target, read by the metric's direction:
    ``deviation`` = actual − target, ``deviation_pct`` = deviation ÷ |target| × 100,
    ``on_target`` = actual ≥ target (higher is better) or ≤ target (lower is better)."""
    if actual is None or target is None:
        return {"deviation": None, "deviation_pct": None, "on_target": None}
    dev = round(actual - target, 2)
    dev_pct = round(dev / abs(target) * 100.0, 1) if target else None
    return {"deviation": dev, "deviation_pct": dev_pct, "on_target": metric.better(actual, target)}


# Who a grouped figure belongs to, by the kind of record a part counts: an account
# manager owns customers (and the follow-ups they are given), a support agent and a
# department hold tickets. A part whose records have no path for the group does
# not split by it.
GROUPS = {
    "owner": {"crm.Customer": "owner_id", "crm.FollowUp": "owner_id", "*": "customer__owner_id"},
    "agent": {"tickets.Ticket": "assignee_id"},
    "department": {"tickets.Ticket": "department_id"},
}


def group_path(*, group: str, model) -> str | None:
    """The column of ``model`` that says which ``group`` member a record belongs to."""
    paths = GROUPS[group]
    return paths.get(model._meta.label, paths.get("*"))


@dataclass(frozen=True)
class Grouped:
    """A metric's value per group member; ``of(member)`` for one, which for a member
    without records is the metric's own value of empty parts (no data for a rate,
    0 for a count)."""

    values: dict[int, MetricValue]
    empty: MetricValue
    has_records: bool = True  # False while the app holding the data has none (nothing to open)

    def of(self, member: int) -> MetricValue:
        return self.values.get(member, self.empty)

    def members(self) -> set[int]:
        return set(self.values)


def _grouped(metric: Metric, *, period: Period, scope: Scope, group: str) -> Grouped:
    parts = metric.parts(period=period, scope=scope)
    if parts is None:
        return Grouped({}, NO_DATA, has_records=False)
    empty = metric.definition.value(dict.fromkeys(parts, 0.0), period)
    measured: dict[int, dict[str, float]] = {}
    for name, part in parts.items():
        path = group_path(group=group, model=part.records.model)
        if path is None:
            return Grouped({}, NO_DATA)
        # The part's records as they are (annotations, filters), counted per member in one query.
        records = part.records.model._base_manager.filter(pk__in=part.records.order_by().values("pk"))
        total = Count("pk") if part.sum_of is None else Sum(part.sum_of)
        for row in records.order_by().values(path).annotate(total=total):
            if row[path] is None:
                continue
            numbers = measured.setdefault(row[path], dict.fromkeys(parts, 0.0))
            numbers[name] = 0.0 if row["total"] is None else (
                float(row["total"]) if part.sum_of is None else part.convert(row["total"]))
    return Grouped({member: metric.definition.value(numbers, period) for member, numbers in measured.items()}, empty)


def metric_grouped(*, key: str, period: Period, scope: Scope, group: str) -> Grouped:
    """The metric for each member of ``group`` ("owner", "agent", "department") at
    once: every part measured with one grouped query over the very records
    ``metric_compute`` counts, then the metric's own value function per member.
    ``drilldown`` filters a part by the same ``group_path``, so a figure and its
    records cannot disagree."""
    metric = CATALOGUE[key]
    if connection.vendor != "postgresql":
        return _grouped(metric, period=period, scope=scope, group=group)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{METRIC_WORK_MEM}'")
        return _grouped(metric, period=period, scope=scope, group=group)

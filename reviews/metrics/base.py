"""The shapes every metric shares: a period, a scope and a computed value."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum

from core.clock import day_end, day_start
from core.formulas import ratio

HIGHER = "higher"
LOWER = "lower"


@dataclass(frozen=True)
class Period:
    """Inclusive calendar dates [start, end] in the project's time zone."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("period end before start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length in average months (365.25 / 12 days)."""
        return self.days / (365.25 / 12)

    @property
    def start_at(self) -> dt.datetime:
        """The instant the period starts (start 00:00 local)."""
        return day_start(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The instant the period ends (exclusive: the day after ``end`` at 00:00 local)."""
        return day_end(self.end)

    def previous(self) -> Period:
        """The period just before, of the same length; whole calendar months map to
        the same number of calendar months before."""
        if self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1:
            n_months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            y, m = self.start.year, self.start.month - n_months
            while m < 1:
                m += 12
                y -= 1
            return Period(dt.date(y, m, 1), self.start - dt.timedelta(days=1))
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period(end - length, end)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def month_period(day: dt.date) -> Period:
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first, nxt - dt.timedelta(days=1))


def quarter_period(day: dt.date) -> Period:
    """The calendar quarter of ``day`` (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec)."""
    first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(first, month_period(dt.date(first.year, first.month + 2, 1)).end)


def quarter_label(period: Period) -> str:
    """"2026-Q2" for a quarter (its start)."""
    return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Scope:
    """Which customers a metric counts: all, a team's, an owner's, a tier's (combinable)."""

    team_id: int | None = None
    owner_id: int | None = None
    tier: str | None = None

    def customer_q(self, prefix: str = "") -> Q:
        """Filter on Customer (prefix "") or on a model with a ``customer`` FK (prefix "customer__")."""
        q = Q()
        if self.team_id is not None:
            q &= Q(**{f"{prefix}team_id": self.team_id})
        if self.owner_id is not None:
            q &= Q(**{f"{prefix}owner_id": self.owner_id})
        if self.tier:
            q &= Q(**{f"{prefix}segment__tier": self.tier})
        return q

    @property
    def key(self) -> str:
        parts = []
        if self.team_id is not None:
            parts.append(f"team:{self.team_id}")
        if self.owner_id is not None:
            parts.append(f"owner:{self.owner_id}")
        if self.tier:
            parts.append(f"tier:{self.tier}")
        return ",".join(parts) or "all"

    def as_dict(self) -> dict:
        return {"team": self.team_id, "owner": self.owner_id, "tier": self.tier or None}


@dataclass(frozen=True)
class MetricValue:
    """``value`` None means no data (nothing to count, or the data part is not built).
    ``parts`` are the measured parts the value was computed from (see ``Part``)."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    parts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator,
                "parts": dict(self.parts)}


NO_DATA = MetricValue(None, None, None)


def _as_number(value) -> float:
    return float(value)


@dataclass(frozen=True)
class Part:
    """One part of a metric value and the records behind it — the one definition
    both the value and the drill-down read. ``records`` is a QuerySet of what the
    metric counts (customers, survey answers, tickets, transactions or
    interactions); the part is their number, or with ``sum_of`` the sum of that
    expression over them (``convert`` turns the aggregate into a number, e.g. a
    duration into minutes)."""

    records: QuerySet
    sum_of: Any = None
    convert: Callable[[Any], float] = _as_number

    def measure(self) -> float:
        if self.sum_of is None:
            return self.records.count()
        total = self.records.order_by().aggregate(total=Sum(self.sum_of))["total"]
        return 0.0 if total is None else self.convert(total)

    def record_values(self) -> QuerySet:
        """The records with each one's contribution annotated as ``part_value`` (sum parts)."""
        if self.sum_of is None:
            return self.records
        return self.records.annotate(part_value=self.sum_of)


@dataclass(frozen=True)
class Definition:
    """How a metric is computed: ``parts(period=, scope=)`` gives its named parts
    (None while the app holding the data does not exist), ``value(parts, period)``
    turns their measured numbers into the MetricValue."""

    parts: Callable[..., dict[str, Part] | None]
    value: Callable[[dict[str, float], Period], MetricValue]


@dataclass(frozen=True)
class Metric:
    key: str
    name: object  # lazy translation; English msgid, zh-Hans in reviews/locale
    unit: str  # "%", "pts", "score", "min", "h", "CNY", "per_customer_month"
    direction: str  # HIGHER or LOWER is better
    formula: object
    numerator: object
    denominator: object
    source: str  # "crm" | "surveys" | "tickets" | "segmentation": where the data comes from
    definition: Definition
    # The sources' target (seeds 001, 004): what a new review report starts with, editable there.
    default_target: float | None = None

    def better(self, a: float | None, b: float | None) -> bool | None:
        """Is ``a`` better than (or as good as) ``b`` in this metric's direction?"""
        if a is None or b is None:
            return None
        return a >= b if self.direction == HIGHER else a <= b

    def parts(self, *, period: Period, scope: Scope) -> dict[str, Part] | None:
        return self.definition.parts(period=period, scope=scope)

    def compute(self, *, period: Period, scope: Scope) -> MetricValue:
        parts = self.parts(period=period, scope=scope)
        if parts is None:
            return NO_DATA
        return self.definition.value({k: p.measure() for k, p in parts.items()}, period)


def pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 2)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def rate(numerator: str = "numerator", denominator: str = "denominator", *, percent: bool = True,
         digits: int = 2) -> Callable[[dict[str, float], Period], MetricValue]:
    """The value of a share: parts[numerator] ÷ parts[denominator] (a percentage
    unless ``percent=False``); no data when the denominator is 0."""
    def value(parts: dict[str, float], period: Period) -> MetricValue:
        share = ratio(parts[numerator], parts[denominator])
        if share is None:
            return MetricValue(None, None, None, parts)
        shown = pct(share) if percent else rounded(share, digits)
        return MetricValue(shown, parts[numerator], parts[denominator], parts)
    return value


def average(*, scale: float = 1.0, digits: int = 2) -> Callable[[dict[str, float], Period], MetricValue]:
    """The value of an average: parts["sum"] ÷ parts["count"] (× scale); no data without records."""
    def value(parts: dict[str, float], period: Period) -> MetricValue:
        avg = ratio(parts["sum"], parts["count"])
        if avg is None:
            return MetricValue(None, None, None, parts)
        return MetricValue(rounded(avg * scale, digits), rounded(parts["sum"], digits), parts["count"], parts)
    return value

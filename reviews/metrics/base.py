"""The shapes every metric shares: a period, a scope and a computed value."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

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
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        """The instant the period ends (exclusive: the day after ``end`` at 00:00 local)."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

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
    """``value`` None means no data (nothing to count, or the data part is not built)."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


NO_DATA = MetricValue(None, None, None)


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
    compute: Callable[..., MetricValue]

    def better(self, a: float | None, b: float | None) -> bool | None:
        """Is ``a`` better than (or as good as) ``b`` in this metric's direction?"""
        if a is None or b is None:
            return None
        return a >= b if self.direction == HIGHER else a <= b


def pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 2)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)

"""Local calendar days as instants: the one definition of where a day starts and ends.

No function here reads the clock; callers pass the day (only the outermost caller
reads ``timezone.now()``)."""
from __future__ import annotations

import datetime as dt

from django.db import NotSupportedError
from django.db.models import DateTimeField, Func
from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in the project's time zone (TIME_ZONE), aware."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_deadline(day: dt.date) -> dt.datetime:
    """23:59 of ``day``, local: the time something due "on" a day falls due."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def day_end(day: dt.date) -> dt.datetime:
    """The instant ``day`` ends: 00:00 of the next day, local. Use it as an exclusive bound."""
    return day_start(day + dt.timedelta(days=1))


class LocalDayStart(Func):
    """``day_start`` in SQL: 00:00 local (TIME_ZONE) of a date expression, as an instant, so that
    "an instant on that local day or later" is a range an index on the instant column serves
    (``occurred_at >= LocalDayStart(d)``) instead of a date cast of every row. PostgreSQL only
    (``date::timestamp AT TIME ZONE 'zone'``); callers keep the ``__date`` comparison elsewhere."""

    arity = 1
    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("LocalDayStart is written for PostgreSQL")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::timestamp AT TIME ZONE %s)", (*params, timezone.get_current_timezone_name())

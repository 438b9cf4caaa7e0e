"""Local calendar days as instants: the one definition of where a day starts and ends.

No function here reads the clock; callers pass the day (only the outermost caller
reads ``timezone.now()``)."""
from __future__ import annotations

import datetime as dt

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

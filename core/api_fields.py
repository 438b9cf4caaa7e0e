"""Date-time parsing and rendering for the API that every app shares.

Python accepts UTC offsets up to ±23:59 and years 1–9999; PostgreSQL stores
offsets only up to ±15:59 and a conversion to UTC can step out of year 1 or
9999. Values are therefore taken to UTC on the way in (a value that cannot be is
a 400, not a database error). On the way out, a local time whose offset has
seconds (local mean time before the zone's standard time began, e.g.
+08:05:43 before 1901) is not an RFC 3339 date-time, so it is written in UTC."""
from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def _utc_or_none(value: dt.datetime) -> dt.datetime | None:
    try:
        return value.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        return None


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        return self.in_calendar(super().to_internal_value(value))

    def in_calendar(self, parsed: dt.datetime | None) -> dt.datetime | None:
        """The value in the local time zone (any offset PostgreSQL can store), or a 400 when it
        has no UTC equivalent. For subclasses that parse by their own rules."""
        if parsed is None or parsed.tzinfo is None:
            return parsed
        if _utc_or_none(parsed) is None:
            self.fail("overflow")
        return self.enforce_timezone(parsed)

    def to_representation(self, value):
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        if not value or isinstance(value, str) or output_format is None or output_format.lower() != ISO_8601:
            return super().to_representation(value)
        local = self.enforce_timezone(value)
        offset = local.utcoffset()
        if offset is not None and offset.total_seconds() % 60:
            local = value.astimezone(dt.timezone.utc)
        text = local.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class _IsoDateTimeFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        utc = _utc_or_none(parsed)
        if utc is None:
            raise forms.ValidationError(_("Enter a valid date/time."), code="invalid")
        return utc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``django_filters.IsoDateTimeFilter`` that hands the database a UTC value."""

    field_class = _IsoDateTimeFormField


# Reporting periods (metrics, reviews, NPS, as-of days): previous periods and local-day
# bounds are computed from them, so they stay well inside the calendar.
PERIOD_MIN = dt.date(1900, 1, 1)
PERIOD_MAX = dt.date(2199, 12, 31)


class PeriodDateField(serializers.DateField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not PERIOD_MIN <= parsed <= PERIOD_MAX:
            raise serializers.ValidationError(
                _("Enter a date between %(min)s and %(max)s.") % {"min": PERIOD_MIN.isoformat(),
                                                                   "max": PERIOD_MAX.isoformat()},
                code="out_of_range")
        return parsed

"""Reads of the surveys app.

CONTRACT used by segmentation (keep the name and the row shape):
``latest_satisfaction_by_customer(as_of=...)`` returns one dict per customer
with a survey answer on or before ``as_of``:
``{"customer_id", "satisfaction_100", "answered_at", "last_response_at"}``
where ``satisfaction_100`` = overall (1-10) × 10 of the latest answer.
Until the surveys app has models this returns no rows: there are no answers.
"""
from __future__ import annotations

from datetime import date


def latest_satisfaction_by_customer(*, as_of: date) -> list[dict]:
    return []

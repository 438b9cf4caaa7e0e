"""Reads of the tickets app.

CONTRACT used by segmentation (keep the name and the row shape):
``ticket_activity_by_customer(as_of=...)`` returns one dict per customer that
has any ticket created on or before ``as_of``:
``{"customer_id", "last_ticket_at", "open_complaints", "latest_satisfaction_100", "latest_satisfaction_at"}``
where ``latest_satisfaction_100`` is the latest close satisfaction (1-5) × 20.
Until the tickets app has models this returns no rows: there are no tickets.
"""
from __future__ import annotations

from datetime import date


def ticket_activity_by_customer(*, as_of: date) -> list[dict]:
    return []

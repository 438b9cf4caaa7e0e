"""Formulas that more than one app needs, defined once.

Pure functions on numbers (or pandas Series): no database, no clock. The metric
catalogue (reviews), segmentation's scores and survey results all call these."""
from __future__ import annotations

from decimal import Decimal

PROMOTER_MIN = 9  # NPS 9-10
DETRACTOR_MAX = 6  # NPS 0-6


def nps_class(score: int) -> str:
    if score >= PROMOTER_MIN:
        return "promoter"
    if score <= DETRACTOR_MAX:
        return "detractor"
    return "passive"


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> float | None:
    """% promoters − % detractors, −100…100; None (no value, not 0) without answers."""
    total = promoters + passives + detractors
    if total == 0:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


def satisfaction_100_from_overall(overall_1_10: float | int | None) -> float | None:
    """Satisfaction on the 0-100 scale = overall rating (1-10) × 10."""
    return None if overall_1_10 is None else float(overall_1_10) * 10


# A ticket's close rating (1-5) × this is its satisfaction on the 0-100 scale.
TICKET_RATING_TO_100 = 20


def satisfaction_100_from_ticket(rating_1_5: int | None) -> float | None:
    """A ticket's close rating (1-5) on the 0-100 scale: × 20."""
    return None if rating_1_5 is None else float(rating_1_5) * TICKET_RATING_TO_100


def ratio(numerator: float | int | Decimal, denominator: float | int | Decimal) -> float | None:
    """numerator ÷ denominator, None when the denominator is 0 (no data, not 0 %)."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


def collection_rate(*, paid_on_time: int, due: int) -> float | None:
    """Payment collection rate (回款率): purchases paid on or before their due date ÷
    purchases due (due date within the window). None when nothing was due."""
    return ratio(paid_on_time, due)

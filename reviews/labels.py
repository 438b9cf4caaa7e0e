"""Labels shared by pages and exports."""
from __future__ import annotations


def tier_label(tier: str):
    try:
        from segmentation.models import Tier

        return Tier(tier).label
    except (ImportError, ValueError):
        return tier


def tier_choices() -> list[tuple[str, object]]:
    try:
        from segmentation.models import Tier

        return list(Tier.choices)
    except ImportError:
        return []

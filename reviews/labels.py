"""Labels shared by pages and exports."""
from __future__ import annotations


from segmentation.models import Tier


def tier_label(tier: str):
    try:
        return Tier(tier).label
    except ValueError:
        return tier


def tier_choices() -> list[tuple[str, object]]:
    return list(Tier.choices)

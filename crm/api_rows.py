"""The customer list API read from ``values()`` rows instead of model instances.

A page of 50 customers through ``CustomerSerializer(many=True)`` builds 150 model instances (the
customer, its segment, its churn score) and walks 38 fields per row: two thirds of the list's CPU
(bench/README.md, "Load"). ``customer_page_rows`` selects the same columns as plain dicts and
``customer_rows_json`` writes each row's JSON in one pass, rendering every value the way the
serializer's field does (dates, times, the decimal ``m``, the localised reasons and factors, the
points balance, masking and the reveal audit). ``crm/tests/test_api_rows.py`` holds it to the
serializer: for every customer of a varied data set and every role, the list's row is the
serializer's representation of the same customer, key for key.
"""
from __future__ import annotations

from functools import lru_cache

from django.db.models import QuerySet
from django.utils.translation import get_language

from core import access
from core.masking import mask
from crm.models import tags_decode

CUSTOMER_COLUMNS = ("id", "source", "external_id", "name", "kind", "industry", "size", "region", "owner_id",
                    "team_id", "first_deal_date", "preferred_channel", "tags", "phone", "email", "id_number",
                    "address", "birthday", "notes", "contact_window_start", "contact_window_end",
                    "preferred_topics", "settled_notes", "core_need", "sms_opt_out", "created_at",
                    "referred_by_id")
SEGMENT_COLUMNS = ("as_of", "tier", "tier_reason", "r_days", "f_count", "m_amount", "r_score", "f_score",
                   "m_score", "rfm_segment", "value_tier", "membership_level", "health_score", "next_contact_due",
                   "days_overdue")
# Annotations of crm.selectors.customer_list_for_api (the sort key and the points balance's two sums).
ANNOTATIONS = ("churn_probability", "points_net_spend", "points_ledger")
PERSONAL_FIELDS = ("phone", "email", "id_number", "address")


def customer_page_rows(queryset: QuerySet) -> QuerySet:
    """``queryset`` (crm.selectors.customer_list_for_api, filtered and ordered) as the dicts
    ``customer_rows_json`` reads: the customer's columns, its segment's and churn score's."""
    return queryset.values(*CUSTOMER_COLUMNS, *ANNOTATIONS,
                           *(f"segment__{c}" for c in SEGMENT_COLUMNS),
                           "churn_score__probability", "churn_score__factors")


@lru_cache(maxsize=1)
def _field_renderers():
    """The serializer's own fields for the values whose format DRF decides (its settings)."""
    from crm.api import CustomerSerializer

    fields = CustomerSerializer().fields
    return (fields["first_deal_date"].to_representation, fields["birthday"].to_representation,
            fields["contact_window_start"].to_representation, fields["created_at"].to_representation,
            fields["rfm"].fields["m"].to_representation)


def customer_rows_json(rows, *, user, revealed_ids: set) -> list[dict]:
    """The JSON of each row, as ``CustomerSerializer`` writes it for ``user``; the ids of the rows
    whose personal fields were shown unmasked are added to ``revealed_ids`` (the audit)."""
    from care.points_selectors import points_balance_from
    from segmentation.analytics import reason_text
    from segmentation.churn.features import factors_render

    date, birthday, time_of_day, datetime, money = _field_renderers()
    language = get_language()
    reveal = access.can_see_personal_data(user)
    see_money = access.can_see_money(user)
    out = []
    for row in rows:
        personal = [row["phone"], row["email"], row["id_number"], row["address"]]
        if reveal:
            if any(personal):
                revealed_ids.add(row["id"])
        else:
            personal = [mask(field, value) for field, value in zip(PERSONAL_FIELDS, personal)]
        first_deal, born = row["first_deal_date"], row["birthday"]
        start, end = row["contact_window_start"], row["contact_window_end"]
        has_segment = row["segment__as_of"] is not None
        due = row["segment__next_contact_due"]
        probability = row["churn_score__probability"]
        factors = None
        if probability is not None:
            factors = [{"feature": str(f["feature"]), "text": str(f["text"]), "contribution": f["contribution"]}
                       for f in factors_render(row["churn_score__factors"], language=language)]
        out.append({
            "id": row["id"],
            "source": row["source"],
            "external_id": row["external_id"],
            "name": row["name"],
            "kind": row["kind"],
            "industry": row["industry"],
            "size": row["size"],
            "region": row["region"],
            "owner": row["owner_id"],
            "team": row["team_id"],
            "first_deal_date": None if first_deal is None else date(first_deal),
            "preferred_channel": row["preferred_channel"],
            "tags": tags_decode(row["tags"]),
            "phone": personal[0],
            "email": personal[1],
            "id_number": personal[2],
            "address": personal[3],
            "birthday": None if born is None else birthday(born),
            "notes": row["notes"],
            "contact_window_start": None if start is None else time_of_day(start),
            "contact_window_end": None if end is None else time_of_day(end),
            "preferred_topics": row["preferred_topics"],
            "settled_notes": row["settled_notes"],
            "core_need": row["core_need"],
            "sms_opt_out": row["sms_opt_out"],
            "created_at": datetime(row["created_at"]),
            "tier": row["segment__tier"] if has_segment else None,
            "tier_reason": reason_text(row["segment__tier_reason"], language=language) if has_segment else None,
            "rfm": {
                "r": row["segment__r_days"],
                "f": row["segment__f_count"],
                "m": money(row["segment__m_amount"]),
                "r_score": row["segment__r_score"],
                "f_score": row["segment__f_score"],
                "m_score": row["segment__m_score"],
                "segment": row["segment__rfm_segment"],
            } if has_segment else None,
            "value_tier": row["segment__value_tier"] if has_segment else None,
            "membership_level": row["segment__membership_level"] if has_segment else None,
            "health_score": row["segment__health_score"],
            "next_contact_due": None if due is None else date(due),
            "days_overdue": row["segment__days_overdue"],
            "churn_probability": probability,
            "churn_factors": factors,
            "referred_by": row["referred_by_id"],
            "points_balance": (points_balance_from(row["points_net_spend"], row["points_ledger"])
                               if see_money else None),
        })
    return out

"""The framework floor of bench_load.py, served by the same gunicorn through
``bench.load_settings``: the customer list API's first page for the same user and
scope, with nothing but a token lookup, ``values()`` and ``JsonResponse`` (no DRF,
no serializer, no masking, localisation or audit row), so the ratio shows what the framework costs.

Two floors, measured in the same run:

- ``/bench/floor/customers/`` — the same page: every column the API's 38 fields are
  made from (the customer's, its segment's and churn score's through the same joins,
  and the points balance's two sums), as ``values()`` gives them;
- ``/bench/floor/customers/columns/`` — the customer table's own columns only (the
  floor of the measurements before 2026-12-08, kept for comparison).
"""
from __future__ import annotations

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.authtoken.models import Token

from care.points_selectors import points_balance_annotations
from crm.models import Customer

# The list API's model columns, the encrypted personal fields included (values() decrypts them too).
FIELDS = ["id", "source", "external_id", "name", "kind", "industry", "size", "region", "owner_id", "team_id",
          "first_deal_date", "preferred_channel", "tags", "phone", "email", "id_number", "address", "birthday",
          "notes", "created_at"]
# What the rest of the API's fields are made from.
PAGE_FIELDS = FIELDS + [
    "contact_window_start", "contact_window_end", "preferred_topics", "settled_notes", "core_need", "sms_opt_out",
    "referred_by_id", "segment__as_of", "segment__tier", "segment__tier_reason", "segment__r_days",
    "segment__f_count", "segment__m_amount", "segment__r_score", "segment__f_score", "segment__m_score",
    "segment__rfm_segment", "segment__value_tier", "segment__membership_level", "segment__health_score",
    "segment__next_contact_due", "segment__days_overdue", "churn_score__probability", "churn_score__factors",
    "points_net_spend", "points_ledger"]


def _user(request):
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    token = Token.objects.select_related("user").filter(key=key).first()
    return None if token is None else token.user


def customer_page_floor(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "Invalid token."}, status=401)
    rows = list(Customer.objects.for_user(user).annotate(**points_balance_annotations()).order_by("-id")
                .values(*PAGE_FIELDS)[:50])
    return JsonResponse({"next": None, "previous": None, "results": rows})


def customer_columns_floor(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "Invalid token."}, status=401)
    rows = list(Customer.objects.for_user(user).order_by("-id").values(*FIELDS)[:50])
    return JsonResponse({"next": None, "previous": None, "results": rows})


urlpatterns = [
    path("bench/floor/customers/", customer_page_floor),
    path("bench/floor/customers/columns/", customer_columns_floor),
    path("", include("config.urls")),
]

"""The framework floor of bench_load.py, served by the same gunicorn through
``bench.load_settings``: the customer list API's first page for the same user and
scope, with nothing but a token lookup, ``values()`` and ``JsonResponse`` (no DRF,
no serializer, no segment join, no masking or audit row), so the ratio shows what the framework costs."""
from __future__ import annotations

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.authtoken.models import Token

from crm.models import Customer

# The list API's model columns, the encrypted personal fields included (values() decrypts them too).
FIELDS = ["id", "source", "external_id", "name", "kind", "industry", "size", "region", "owner_id", "team_id",
          "first_deal_date", "preferred_channel", "tags", "phone", "email", "id_number", "address", "birthday",
          "notes", "created_at"]


def customer_page_floor(request):
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        return JsonResponse({"detail": "Invalid token."}, status=401)
    rows = list(Customer.objects.for_user(token.user).order_by("-id").values(*FIELDS)[:50])
    return JsonResponse({"next": None, "previous": None, "results": rows})


urlpatterns = [
    path("bench/floor/customers/", customer_page_floor),
    path("", include("config.urls")),
]

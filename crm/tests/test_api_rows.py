"""The customer list API writes its rows from ``values()`` (crm.api_rows): each row is exactly what
CustomerSerializer writes for the same customer and reader (the detail endpoint's JSON) — same keys
in the same order, same values and types — for every role, masked or not, with and without a
segment, a churn score, points and contact windows; the unmasked rows are audited like the detail's."""
import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.models import AuditLog
from crm import api_rows, selectors
from crm.api import CustomerSerializer
from crm.models import Customer, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(alice, bob, lena, make_customer, now):
    """Customers covering every branch of the row writer."""
    from care.models import PointsEntry, PointsKind
    from segmentation.churn.models import ChurnModel, ChurnScore
    from segmentation.models import CustomerSegment

    full = make_customer(owner=alice, name="Full Co", external_id="ERP-1", source="erp", kind="person",
                         size="small", industry="零售", region="华东", phone="13812345678", email="li@acme.cn",
                         id_number="110101199001011234", address="北京市朝阳区建国路88号", tags=",vip,north,",
                         birthday=dt.date(1990, 1, 1), first_deal_date=dt.date(2020, 2, 29), notes="=1+1",
                         preferred_channel="wechat", contact_window_start=dt.time(9, 30),
                         contact_window_end=dt.time(17, 45, 10), preferred_topics="价格", settled_notes="发票已解决",
                         core_need="准时交付", sms_opt_out=True)
    referred = make_customer(owner=bob, name="Referred", referred_by=full, phone="1234")
    # Local mean time before 1901: the DateTimeField writes it in UTC (core.api_fields).
    old = make_customer(owner=alice, name="Old Co", created_at=dt.datetime(1890, 1, 1, tzinfo=dt.timezone.utc))
    nobody = make_customer(owner=None, team=None, name="Nobody's")  # no owner, team, segment or score
    CustomerSegment.objects.create(customer=full, as_of=now.date(), tier="churn_risk",
                                   tier_reason="inactive:104;objection:1", r_days=None, f_count=3,
                                   m_amount=Decimal("1234.5"), r_score=None, f_score=2, m_score=5,
                                   rfm_segment="loyal", value_tier="high", membership_level="gold", health_score=31,
                                   next_contact_due=now.date(), days_overdue=7, computed_at=now)
    CustomerSegment.objects.create(customer=referred, as_of=now.date(), tier="active", tier_reason="",
                                   r_days=12, f_count=0, m_amount=Decimal("0"), r_score=3, f_score=1, m_score=1,
                                   rfm_segment="new", value_tier="low", membership_level="standard",
                                   health_score=55, next_contact_due=now.date() + dt.timedelta(days=30), days_overdue=0,
                                   computed_at=now)
    model = ChurnModel.objects.create(as_of=now.date(), horizon_days=90, trained_at=now, kind="logistic",
                                      artefact=b"", artefact_digest="x")
    ChurnScore.objects.create(customer=full, model=model, as_of=now.date(), probability=0.25, factors=[
        {"feature": "purchase_recency_days", "value": 138.0, "contribution": 2.1069},
        {"feature": "purchases", "value": 1, "contribution": -0.5},
        {"feature": "unknown_feature", "value": 3, "contribution": 0},
    ])
    ChurnScore.objects.create(customer=old, model=model, as_of=now.date(), probability=0.0, factors=[])
    for kind, amount in (("purchase", "1999.99"), ("purchase", "0.50"), ("refund", "300.00")):
        Transaction.objects.create(customer=full, kind=kind, amount=Decimal(amount), occurred_on=dt.date(2026, 1, 2))
    PointsEntry.objects.create(customer=full, kind=PointsKind.ADJUSTMENT, points=-40, reason="correction",
                               created_at=now)
    return [full, referred, old, nobody]


def _serializer_json(user, customer):
    request = Request(APIRequestFactory().get("/api/v1/customers/"))
    request.user = user
    instance = selectors.customer_list_for_api(user=user).get(pk=customer.pk)
    return CustomerSerializer(instance, context={"request": request, "today": dt.date(2026, 1, 5)}).data


@pytest.mark.parametrize("reader", ["alice", "lena", "sam", "ada"])
def test_each_listed_row_is_the_serializers_representation(reader, varied, request):
    user = request.getfixturevalue(reader)
    queryset = selectors.customer_list_for_api(user=user).order_by("pk")
    revealed = set()
    rows = api_rows.customer_rows_json(list(api_rows.customer_page_rows(queryset)), user=user, revealed_ids=revealed)
    assert len(rows) == queryset.count() > 0
    for row in rows:
        expected = _serializer_json(user, Customer(pk=row["id"]))
        assert list(row.items()) == list(expected.items())
        assert [type(v) for v in row.values()] == [type(v) for v in expected.values()]
    full = next((r for r in rows if r["name"] == "Full Co"), None)
    if full is not None:  # the branches above are really in the data compared
        assert full["rfm"]["m"] == "1234.50" and full["tags"] == ["vip", "north"]
        assert full["churn_factors"][2]["text"] == "unknown_feature 3"
        assert full["contact_window_end"] == "17:45:10"
        assert full["points_balance"] == (None if reader == "sam" else 1700 - 40)
        assert full["phone"] == ("138****5678" if reader == "sam" else "13812345678")
    # Only readers who see personal data reveal it; the customers with none are not audited.
    with_personal = {c.pk for c in varied if c.phone or c.email or c.id_number or c.address}
    listed = {r["id"] for r in rows}
    assert revealed == (set() if reader == "sam" else with_personal & listed)


def test_the_list_endpoint_equals_the_detail_endpoint_and_audits_the_same(alice, sam, varied, api_client_for):
    for user in (alice, sam):
        client = api_client_for(user)
        AuditLog.objects.all().delete()
        listed = client.get("/api/v1/customers/?ordering=id").json()["results"]
        audited = sorted(AuditLog.objects.values_list("object_id", flat=True))
        assert listed and all(client.get(f"/api/v1/customers/{row['id']}/").json() == row for row in listed)
        assert audited == ([] if user == sam else sorted(str(row["id"]) for row in listed if row["phone"]))


def test_the_listed_rows_follow_the_readers_language(alice, varied, api_client_for):
    client = api_client_for(alice)
    english = client.get("/api/v1/customers/?ordering=id", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    chinese = client.get("/api/v1/customers/?ordering=id", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert english["tier_reason"] != chinese["tier_reason"]
    assert english["churn_factors"][0]["text"] != chinese["churn_factors"][0]["text"]
    assert "138" in english["churn_factors"][0]["text"] and "138" in chinese["churn_factors"][0]["text"]

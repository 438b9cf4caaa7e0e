"""core.representation.represent gives exactly DRF's Serializer.to_representation (the customer
API renders through it): same keys in the same order, same values, for every field."""
import datetime as dt
from decimal import Decimal

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.representation import represent
from crm.api import CustomerSerializer
from crm.models import Customer, Team, User

pytestmark = pytest.mark.django_db


def _drf(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


def _child(user, instances):
    request = Request(APIRequestFactory().get("/api/v1/customers/"))
    request.user = user
    return CustomerSerializer(instances, many=True, context={"request": request, "today": dt.date(2026, 1, 5)}).child


def test_customer_rows_are_rendered_exactly_as_drf_renders_them(alice, make_customer, now):
    from segmentation.models import CustomerSegment

    full = make_customer(owner=alice, name="Full Co", external_id="ERP-1", kind="person", size="small",
                         industry="零售", region="华东", phone="13812345678", email="li@acme.cn",
                         id_number="110101199001011234", address="北京市朝阳区建国路88号", tags=",vip,north,",
                         birthday=dt.date(1990, 1, 1), first_deal_date=dt.date(2020, 2, 29), notes="=1+1")
    # Local mean time before 1901: the DateTimeField writes it in UTC (core.api_fields).
    make_customer(owner=alice, name="Old Co", created_at=dt.datetime(1890, 1, 1, tzinfo=dt.timezone.utc))
    make_customer(owner=None, team=None, name="Nobody's")  # no owner, no team, no segment
    CustomerSegment.objects.create(customer=full, as_of=now.date(), tier="churn_risk",
                                   tier_reason="inactive:104;objection:1", r_days=None, f_count=3,
                                   m_amount=Decimal("1234.5"), r_score=None, f_score=2, m_score=5,
                                   rfm_segment="loyal", value_tier="high", membership_level="gold", health_score=31,
                                   next_contact_due=now.date(), days_overdue=7, computed_at=now)
    customers = list(Customer.objects.select_related("segment").order_by("pk"))
    child = _child(alice, customers)
    for customer in customers:
        fast, drf = represent(child, customer), _drf(child, customer)
        assert list(fast.items()) == list(drf.items())
    full_row = represent(child, customers[0])
    # The cases the plan treats specially are really in the data compared above.
    assert full_row["owner"] == alice.pk and full_row["tags"] == ["vip", "north"]
    assert full_row["rfm"] == {"r": None, "f": 3, "m": "1234.50", "r_score": None, "f_score": 2, "m_score": 5,
                               "segment": "loyal"}
    assert represent(child, customers[2])["tier"] is None and represent(child, customers[2])["owner"] is None


def test_the_api_list_and_detail_go_through_it_and_keep_masking(alice, sam, make_customer, api_client_for):
    acme = make_customer(owner=alice, phone="13812345678", tags=",a,")
    for user, phone in ((alice, "13812345678"), (sam, "138****5678")):
        listed = api_client_for(user).get("/api/v1/customers/").json()["results"][0]
        detail = api_client_for(user).get(f"/api/v1/customers/{acme.pk}/").json()
        assert listed == detail
        assert (listed["phone"], listed["tags"], listed["owner"]) == (phone, ["a"], alice.pk)


class _Thing:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def shout(self):
        return self.word.upper()


class _Nested(serializers.Serializer):
    n = serializers.IntegerField()


class _Mixed(serializers.Serializer):
    word = serializers.CharField()
    shout = serializers.CharField()  # a method: DRF calls it
    missing = serializers.CharField(required=False)  # absent attribute, not required: skipped
    fallback = serializers.CharField(default="dflt")  # absent attribute with a default
    nested = _Nested(allow_null=True)
    deep = serializers.IntegerField(source="nested.n", allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True)
    when = serializers.DateTimeField()


def test_objects_dicts_methods_defaults_and_missing_attributes_as_drf(north):
    when = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone.utc)
    rows = [
        _Thing(word="a", nested=_Thing(n=4), team=north, when=when),
        _Thing(word="b", nested=None, team=None, when=when),
        {"word": "c", "shout": "C!", "nested": {"n": 5}, "team": north, "when": when},
    ]
    serializer = _Mixed()
    for row in rows:
        assert list(represent(serializer, row).items()) == list(_drf(serializer, row).items())
    assert represent(serializer, rows[0])["shout"] == "A"
    assert "missing" not in represent(serializer, rows[0]) and represent(serializer, rows[0])["fallback"] == "dflt"
    assert represent(serializer, rows[1])["deep"] is None and represent(serializer, rows[2])["deep"] == 5


def test_a_model_relation_is_its_id_without_reading_the_related_row(alice, make_customer, django_assert_num_queries):
    make_customer(owner=alice)
    from crm.selectors import customer_list_for_api

    # Loaded as the API's list loads it: owner and team not joined, the points balance annotated.
    customer = customer_list_for_api(user=alice).get()
    child = _child(User.objects.get(pk=alice.pk), [customer])
    child.fields  # noqa: B018 - the fields are built (and their choices read) before counting
    with django_assert_num_queries(0):
        row = represent(child, customer)
    assert (row["owner"], row["team"]) == (alice.pk, alice.team_id)


def test_churn_factors_dates_and_choices_are_rendered_exactly_as_drf(alice, make_customer, now):
    """The nested list of churn factors (dicts read by key), the ISO dates, the float and the choice
    fields take the plan's shortcuts; the result is DRF's, key for key, value for value and type."""
    from segmentation.churn.models import ChurnModel, ChurnScore

    scored = make_customer(owner=alice, kind="company", size="large", preferred_channel="wechat",
                           first_deal_date=dt.date(2020, 2, 29))
    bare = make_customer(owner=alice, first_deal_date=None, size="", preferred_channel="")
    model = ChurnModel.objects.create(as_of=now.date(), horizon_days=90, trained_at=now, kind="logistic",
                                      artefact=b"", artefact_digest="x")
    ChurnScore.objects.create(customer=scored, model=model, as_of=now.date(), probability=0.25, factors=[
        {"feature": "purchase_recency_days", "value": 138.0, "contribution": 2.1069},
        {"feature": "purchases", "value": 1, "contribution": -0.5},
        {"feature": "unknown_feature", "value": 3, "contribution": 0},
    ])
    customers = list(Customer.objects.select_related("segment", "churn_score").order_by("pk"))
    child = _child(alice, customers)
    for customer in customers:
        fast, drf = represent(child, customer), _drf(child, customer)
        assert list(fast.items()) == list(drf.items())
        assert [type(v) for v in fast.values()] == [type(v) for v in drf.values()]
    row = represent(child, customers[0])
    assert row["churn_probability"] == 0.25 and row["first_deal_date"] == "2020-02-29"
    assert [f["feature"] for f in row["churn_factors"]] == ["purchase_recency_days", "purchases", "unknown_feature"]
    assert row["churn_factors"][2]["text"] == "unknown_feature 3"  # an int value stays an int in the fallback text
    assert represent(child, customers[1])["churn_factors"] is None


class _Choices(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("1", "one"), (2, "two")])
    day = serializers.DateField()
    day_text = serializers.DateField(format="%d/%m/%Y")
    items = _Nested(many=True)


def test_choices_dates_and_nested_lists_of_dicts_as_drf():
    rows = [
        {"kind": "1", "day": dt.date(2026, 1, 5), "day_text": dt.date(2026, 1, 5), "items": [{"n": 1}, {"n": "2"}]},
        {"kind": "2", "day": "2026-01-05", "day_text": dt.date(2026, 1, 5), "items": []},  # "2" is the choice 2
        {"kind": 2, "day": dt.date(2026, 1, 5), "day_text": dt.date(2026, 1, 5), "items": [{"n": 3}]},
        {"kind": "", "day": dt.date(2026, 1, 5), "day_text": dt.date(2026, 1, 5), "items": [{}]},
    ]
    serializer = _Choices()
    for row in rows[:3]:
        fast, drf = represent(serializer, row), _drf(serializer, row)
        assert list(fast.items()) == list(drf.items())
        assert [type(v) for v in fast.values()] == [type(v) for v in drf.values()]
    assert represent(serializer, rows[1])["kind"] == 2 and represent(serializer, rows[0])["day_text"] == "05/01/2026"
    with pytest.raises(KeyError):  # a dict without a required key: DRF's own error, raised the same way
        _drf(serializer, rows[3])
    with pytest.raises(KeyError):
        represent(serializer, rows[3])

"""Issue #11 item 6: referrals and points — the referral bonus on the referred
customer's first purchase (service, API, import), exactly once; the ledger and the
balance; redemption and adjustment rules; the membership level counts points earned."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from care import points_selectors, points_services
from care.models import CareSettings, PointsEntry, PointsKind, Reward
from crm import services as crm_services
from crm.importing import engine, reading, specs, writing
from crm.models import Transaction
from tests.imports import import_csv

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.timezone.utc)
TODAY = dt.date(2026, 6, 15)


def buy(customer, amount="1000", kind="purchase", on=TODAY):
    return crm_services.transaction_save(txn=Transaction(customer=customer),
                                         data={"amount": Decimal(amount), "occurred_on": on, "kind": kind})


def referral_lines():
    return sorted(PointsEntry.objects.filter(kind=PointsKind.REFERRAL).values_list("customer__name", "referred__name",
                                                                                    "points"))


@pytest.fixture
def pair(alice, make_customer):
    referrer = make_customer(owner=alice, name="Old friend")
    newcomer = make_customer(owner=alice, name="Newcomer", referred_by=referrer)
    return referrer, newcomer


def test_the_first_purchase_of_a_referred_customer_earns_both_the_configured_points_once(pair):
    referrer, newcomer = pair
    CareSettings.objects.create(pk=1, referral_points=800)
    buy(newcomer)
    assert referral_lines() == [("Newcomer", "Newcomer", 800), ("Old friend", "Newcomer", 800)]
    buy(newcomer, "50")  # a second purchase earns nothing more
    buy(newcomer, "20", kind="refund")
    assert len(referral_lines()) == 2
    # Looking again (e.g. a replayed event) changes nothing either.
    assert points_services.referral_bonuses_award(customer_ids=[newcomer.pk], now=NOW) == 0
    assert len(referral_lines()) == 2


def test_the_unique_key_refuses_a_second_referral_bonus_for_the_same_referred_customer(pair):
    referrer, newcomer = pair
    buy(newcomer)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(customer=referrer, referred=newcomer, kind=PointsKind.REFERRAL, points=1,
                                   created_at=NOW)


def test_a_refund_or_an_unreferred_customer_earns_no_referral_bonus(alice, pair, make_customer):
    _referrer, newcomer = pair
    buy(newcomer, kind="refund")
    buy(make_customer(owner=alice, name="Walk-in"))
    assert referral_lines() == []


def test_a_purchase_through_the_api_earns_the_bonus(pair, alice, api_client_for):
    _referrer, newcomer = pair
    response = api_client_for(alice).post("/api/v1/transactions/", {
        "customer": newcomer.pk, "amount": "300.00", "occurred_on": "2026-06-01", "kind": "purchase"}, format="json")
    assert response.status_code == 201, response.json()
    assert len(referral_lines()) == 2


def _import(actor, entity: str, text: str):
    return import_csv(actor, entity, text, today=TODAY, now=NOW)


def test_imported_purchases_earn_the_bonus_once_per_referred_customer(alice, make_customer):
    referrer = make_customer(owner=alice, name="Old friend", external_id="R1")
    make_customer(owner=alice, name="Newcomer", external_id="N1", referred_by=referrer)
    make_customer(owner=alice, name="Walk-in", external_id="W1")
    _import(alice, "transactions", "customer_external_id,amount,occurred_on,kind\n"
                                   "N1,100,2026-06-01,purchase\nN1,200,2026-06-02,purchase\nW1,100,2026-06-01,purchase\n")
    assert referral_lines() == [("Newcomer", "Newcomer", 500), ("Old friend", "Newcomer", 500)]
    _import(alice, "transactions", "customer_external_id,amount,occurred_on,kind\nN1,300,2026-06-03,purchase\n")
    assert len(referral_lines()) == 2


def test_the_referrer_is_a_customer_the_caller_can_see_not_itself_and_only_before_the_first_purchase(
        alice, charlie, make_customer, api_client_for):
    mine = make_customer(owner=alice, name="Mine")
    theirs = make_customer(owner=charlie, name="Theirs")
    newcomer = make_customer(owner=alice, name="Newcomer")
    client = api_client_for(alice)
    response = client.patch(f"/api/v1/customers/{newcomer.pk}/", {"referred_by": theirs.pk}, format="json")
    assert response.status_code == 400 and "referred_by" in response.json()
    response = client.patch(f"/api/v1/customers/{newcomer.pk}/", {"referred_by": newcomer.pk}, format="json")
    assert response.status_code == 400 and "referred_by" in response.json()
    response = client.patch(f"/api/v1/customers/{newcomer.pk}/", {"referred_by": mine.pk}, format="json")
    assert response.status_code == 200 and response.json()["referred_by"] == mine.pk
    bought = make_customer(owner=alice, name="Bought already")
    buy(bought)
    with pytest.raises(ValidationError) as exc:
        crm_services.customer_update(actor=alice, customer=bought, data={"referred_by": mine})
    assert "referred_by" in exc.value.message_dict
    # A referrer the customer already has stays acceptable on a later edit.
    buy(newcomer)
    newcomer.refresh_from_db()
    crm_services.customer_update(actor=alice, customer=newcomer, data={"referred_by": mine, "notes": "ok"})


def test_the_customer_form_sets_the_referrer_and_refuses_one_outside_the_scope(
        alice, charlie, make_customer, client):
    mine = make_customer(owner=alice, name="Mine")
    theirs = make_customer(owner=charlie, name="Theirs")
    newcomer = make_customer(owner=alice, name="Newcomer")
    client.force_login(alice)
    url = reverse("customer-edit", args=[newcomer.pk])
    data = {"name": "Newcomer", "kind": "company", "owner": alice.pk, "referred_by": theirs.pk}
    response = client.post(url, data)
    assert response.status_code == 200 and "referred_by" in response.context["form"].errors
    response = client.post(url, {**data, "referred_by": mine.pk})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.referred_by_id == mine.pk


# ---------------------------------------------------------------- ledger, balance, level


def test_balance_is_spend_points_plus_bonus_less_redemptions_and_the_level_counts_points_earned(
        pair, alice, lena, api_client_for):
    from segmentation import analytics, selectors as seg_selectors
    from segmentation.models import SegmentSettings

    referrer, newcomer = pair
    buy(newcomer, "9600.40")  # 9600 spend points + 500 referral bonus = 10,100 earned: silver from 10,000
    reward = Reward.objects.create(name="Gift", points=600)
    points_services.points_redeem(actor=alice, customer=newcomer, reward=reward, now=NOW)
    points_services.points_adjust(actor=lena, customer=newcomer, points=-100, reason="goodwill error", now=NOW)
    assert points_selectors.points_summary(customer=newcomer) == {
        "spend": 9600, "bonus": 500, "earned": 10100, "spent": 700, "balance": 9400}

    params = SegmentSettings()
    as_of = timezone.localdate()  # the bonus was written at the clock's now (the service takes no clock)
    inputs = seg_selectors.segment_inputs(as_of=as_of, params=params, lo=0, hi=10**9)
    scored = analytics.score_segments(inputs, as_of=as_of, params=params).set_index("customer_id")
    # The level follows the points earned (the redemption and the deduction do not lower it) ...
    assert scored.loc[newcomer.pk, "membership_points"] == 10100
    assert scored.loc[newcomer.pk, "membership_level"] == "silver"
    # ... and the referrer's bonus counts for them too.
    assert scored.loc[referrer.pk, "membership_points"] == 500
    customer = api_client_for(alice).get(f"/api/v1/customers/{newcomer.pk}/").json()
    assert customer["points_balance"] == 9400
    listed = {c["id"]: c["points_balance"] for c in api_client_for(alice).get("/api/v1/customers/").json()["results"]}
    assert listed == {referrer.pk: 500, newcomer.pk: 9400}


def test_redemption_refuses_more_than_the_balance_and_writes_nothing(pair, alice):
    _referrer, newcomer = pair
    buy(newcomer, "100")  # 100 + 500 bonus
    reward = Reward.objects.create(name="Gift", points=601)
    with pytest.raises(ValidationError) as exc:
        points_services.points_redeem(actor=alice, customer=newcomer, reward=reward, now=NOW)
    assert "reward" in exc.value.message_dict
    assert not PointsEntry.objects.filter(kind=PointsKind.REDEMPTION).exists()
    Reward.objects.filter(pk=reward.pk).update(points=600)
    reward.refresh_from_db()
    points_services.points_redeem(actor=alice, customer=newcomer, reward=reward, now=NOW)
    assert points_selectors.points_summary(customer=newcomer)["balance"] == 0


def test_only_a_lead_or_admin_adjusts_with_a_reason_and_not_below_zero(pair, alice, lena):
    _referrer, newcomer = pair
    with pytest.raises(PermissionDenied):
        points_services.points_adjust(actor=alice, customer=newcomer, points=10, reason="x", now=NOW)
    with pytest.raises(ValidationError) as exc:
        points_services.points_adjust(actor=lena, customer=newcomer, points=0, reason=" ", now=NOW)
    assert set(exc.value.message_dict) == {"points", "reason"}
    with pytest.raises(ValidationError) as exc:
        points_services.points_adjust(actor=lena, customer=newcomer, points=-1, reason="oops", now=NOW)
    assert "points" in exc.value.message_dict
    points_services.points_adjust(actor=lena, customer=newcomer, points=250, reason="event prize", now=NOW)
    assert points_selectors.points_summary(customer=newcomer)["earned"] == 250


def test_the_api_redeems_adjusts_and_answers_per_field(pair, alice, lena, api_client_for):
    _referrer, newcomer = pair
    reward = Reward.objects.create(name="Gift", points=50)
    client = api_client_for(alice)
    url = f"/api/v1/customers/{newcomer.pk}/points/redeem/"
    response = client.post(url, {"reward": reward.pk}, format="json")
    assert response.status_code == 400 and "reward" in response.json()
    assert client.post(f"/api/v1/customers/{newcomer.pk}/points/adjust/", {"points": 60, "reason": "x"},
                       format="json").status_code == 403
    response = api_client_for(lena).post(f"/api/v1/customers/{newcomer.pk}/points/adjust/",
                                         {"points": 60, "reason": "welcome"}, format="json")
    assert response.status_code == 201, response.json()
    response = client.post(url, {"reward": reward.pk}, format="json")
    assert response.status_code == 201 and response.json()["points"] == -50
    summary = client.get(f"/api/v1/customers/{newcomer.pk}/points/").json()
    assert summary == {"spend": 0, "bonus": 60, "earned": 60, "spent": 50, "balance": 10}
    lines = client.get("/api/v1/points/", {"customer": newcomer.pk}).json()["results"]
    assert [(line["kind"], line["points"]) for line in lines] == [("redemption", -50), ("adjustment", 60)]


def test_the_ledger_is_scoped_and_support_sees_no_points(pair, alice, charlie, sam, lena, api_client_for):
    _referrer, newcomer = pair
    points_services.points_adjust(actor=lena, customer=newcomer, points=60, reason="welcome", now=NOW)
    assert api_client_for(charlie).get("/api/v1/points/").json()["results"] == []
    assert api_client_for(charlie).get(f"/api/v1/customers/{newcomer.pk}/points/").status_code == 404
    assert api_client_for(charlie).post(f"/api/v1/customers/{newcomer.pk}/points/redeem/",
                                        {"reward": 1}, format="json").status_code == 404
    assert api_client_for(sam).get("/api/v1/points/").status_code == 403
    assert api_client_for(sam).get(f"/api/v1/customers/{newcomer.pk}/").json()["points_balance"] is None
    assert len(api_client_for(alice).get("/api/v1/points/").json()["results"]) == 1


def test_the_customer_page_shows_the_balance_and_redeems_with_the_error_beside_the_field(pair, alice, client):
    _referrer, newcomer = pair
    buy(newcomer, "100")
    cheap = Reward.objects.create(name="Coupon worth CNY 50", points=500)
    dear = Reward.objects.create(name="Branded gift box", points=3000)
    client.force_login(alice)
    page = client.get(reverse("customer-detail", args=[newcomer.pk])).content.decode()
    assert 'id="points-panel"' in page and '<strong class="points-balance">600</strong>' in page
    url = reverse("care:customer-points", args=[newcomer.pk])
    response = client.post(url, {"section": "redeem", "redeem-reward": dear.pk})
    assert response.status_code == 200 and "reward" in response.context["redeem_form"].errors
    response = client.post(url, {"section": "redeem", "redeem-reward": cheap.pk, "next": "customer"})
    assert response.status_code == 302 and response["Location"] == reverse("customer-detail", args=[newcomer.pk])
    assert points_selectors.points_summary(customer=newcomer)["balance"] == 100
    ledger = client.get(reverse("care:points-ledger")).content.decode()
    assert "Coupon worth CNY 50" in ledger


def test_the_referral_points_are_a_setting_a_lead_edits(lena, alice, client):
    from care import services

    services.care_settings_update(actor=lena, data={"referral_points": 1200}, perks={}, now=NOW)
    assert CareSettings.objects.get(pk=1).referral_points == 1200
    with pytest.raises(PermissionDenied):
        services.care_settings_update(actor=alice, data={"referral_points": 1}, perks={}, now=NOW)


# ---------------------------------------------------------------- two redemptions at once


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_cannot_take_the_balance_below_zero(alice, make_customer):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) need PostgreSQL; SQLite serialises whole-database writes")
    import threading

    customer = make_customer(owner=alice, name="Two tabs")
    buy(customer, "700")  # 700 points: one 500-point reward fits, two do not
    reward = Reward.objects.create(name="Gift", points=500)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run():
        try:
            barrier.wait(timeout=10)
            points_services.points_redeem(actor=alice, customer=customer, reward=reward, now=NOW)
            results.append("redeemed")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["redeemed", "refused"]
    assert points_selectors.points_summary(customer=customer)["balance"] == 200


def test_the_demo_has_referrals_with_their_bonus_and_redemptions(make_customer, alice, now):
    from care.demo import demo_generate

    customers = [make_customer(owner=alice, name=f"Demo {i}", source="demo", external_id=f"D{i}") for i in range(30)]
    for customer in customers:
        Transaction.objects.create(customer=customer, amount=Decimal("3000"), occurred_on=TODAY - dt.timedelta(days=9))
    summary = demo_generate(seed=7, now=now)
    assert "6 referrals" in summary
    assert PointsEntry.objects.filter(kind=PointsKind.REFERRAL).count() == 12  # both sides of six referrals
    redemptions = PointsEntry.objects.filter(kind=PointsKind.REDEMPTION)
    assert redemptions.count() == 5 and Reward.objects.count() == 4
    for entry in redemptions.select_related("customer"):
        assert points_selectors.points_summary(customer=entry.customer)["balance"] >= 0


def test_the_customer_import_names_the_referrer_by_external_id_with_the_services_rules(
        alice, charlie, make_customer):
    referrer = make_customer(owner=alice, name="Old friend", external_id="R1")
    make_customer(owner=charlie, name="Theirs", external_id="T1")
    bought = make_customer(owner=alice, name="Bought", external_id="B1")
    buy(bought)

    def validate(text):
        content = text.encode("utf-8")
        headers, _rows = reading.read_headers(content=content, filename="f.csv")
        return engine.import_validate(actor=alice, entity="customers", content=content, filename="f.csv",
                                      mapping=specs.auto_mapping(headers, "customers"), today=TODAY, now=NOW,
                                      default_team_id=alice.team_id)

    refused = validate("name,external_id,推荐人\nNew,N1,T1\nBought,B1,R1\nSelf,R1,R1\n")
    assert not refused.ok
    assert {(r["row"], r["field"]) for r in refused.errors.to_dict("records")} == {
        (2, "referred_by_external_id"), (3, "referred_by_external_id"), (4, "referred_by_external_id")}
    _import(alice, "customers", "name,external_id,推荐人\nNew,N1,R1\n")
    from crm.models import Customer

    newcomer = Customer.objects.get(external_id="N1")
    assert newcomer.referred_by_id == referrer.pk
    buy(newcomer)
    assert len(referral_lines()) == 2

"""Issue #11 item 5: "bought together" mined per team from its own history, with
support, confidence and lift computed by hand below on a known basket set.

Team North, ten customers with product lines (A, B, C, D):

    n1 A B   n2 A B   n3 A B C   n4 A C   n5 A   n6 B   n7 B C   n8 C   n9 D   n10 A B D

N = 10; n(A) = 6, n(B) = 6, n(C) = 4, n(D) = 2; n(AB) = 4, n(AC) = 2, n(BC) = 2,
n(AD) = 1, n(BD) = 1, n(CD) = 0. So A→B: support 4/10 = 0.4, confidence 4/6 = 0.667,
lift 0.667 / (6/10) = 1.111; A→C: support 0.2, confidence 2/6 = 0.333, lift 0.333 /
0.4 = 0.833; C→A: confidence 2/4 = 0.5, lift 0.5 / 0.6 = 0.833; D→A: confidence 1/2,
lift 0.5 / 0.6 = 0.833; A→D: confidence 1/6, lift (1/6) / 0.2 = 0.833.

Team South, three customers: s1 A D, s2 A D, s3 C. N = 3, n(A) = 2, n(D) = 2,
n(AD) = 2: A→D support 0.667, confidence 1.0, lift 1.0 / (2/3) = 1.5.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from crm.models import Product, Transaction, TransactionLine
from segmentation.models import CustomerSegment, Tier
from xsell import analytics, selectors, services
from xsell.models import CrossSellSettings, ProductAffinity
from xsell.tests.factories import buy_lines as _buy, segment_set as _segment

AS_OF = dt.date(2026, 6, 15)
NORTH = {"n1": "AB", "n2": "AB", "n3": "ABC", "n4": "AC", "n5": "A", "n6": "B", "n7": "BC", "n8": "C", "n9": "D",
         "n10": "ABD"}
SOUTH = {"s1": "AD", "s2": "AD", "s3": "C"}


def _frame(teams: dict[int, dict[str, str]]) -> pd.DataFrame:
    rows = [(team, name, product) for team, baskets in teams.items() for name, basket in baskets.items()
            for product in basket]
    return pd.DataFrame(rows, columns=["team_id", "customer_id", "product_id"])


def _rule(out: pd.DataFrame, team, a, b) -> dict:
    row = out[(out["team_id"] == team) & (out["antecedent_id"] == a) & (out["consequent_id"] == b)]
    assert len(row) == 1, (a, b)
    return row.iloc[0].to_dict()


def test_support_confidence_and_lift_are_those_computed_by_hand():
    out = analytics.affinities_mine(_frame({1: NORTH, 2: SOUTH}))
    ab = _rule(out, 1, "A", "B")
    assert (ab["customers"], ab["with_antecedent"], ab["with_both"]) == (10, 6, 4)
    assert ab["support"] == pytest.approx(0.4)
    assert ab["confidence"] == pytest.approx(4 / 6)
    assert ab["lift"] == pytest.approx((4 / 6) / 0.6)
    ac = _rule(out, 1, "A", "C")
    assert (ac["support"], ac["confidence"], ac["lift"]) == pytest.approx((0.2, 2 / 6, (2 / 6) / 0.4))
    ca = _rule(out, 1, "C", "A")
    assert (ca["confidence"], ca["lift"]) == pytest.approx((0.5, 0.5 / 0.6))
    ad = _rule(out, 1, "A", "D")
    assert (ad["support"], ad["confidence"], ad["lift"]) == pytest.approx((0.1, 1 / 6, (1 / 6) / 0.2))
    # Each team from its own customers only: South's A→D is not North's.
    south = _rule(out, 2, "A", "D")
    assert (south["customers"], south["support"], south["confidence"], south["lift"]) == pytest.approx(
        (3, 2 / 3, 1.0, 1.5))
    assert out[(out["team_id"] == 1) & (out["antecedent_id"] == "C") & (out["consequent_id"] == "D")].empty
    assert out[(out["team_id"] == 2) & (out["antecedent_id"] == "A") & (out["consequent_id"] == "C")].empty


def test_a_customer_buying_a_product_twice_counts_once():
    twice = pd.concat([_frame({1: NORTH}), _frame({1: {"n1": "AA"}})], ignore_index=True)
    assert _rule(analytics.affinities_mine(twice), 1, "A", "B")["with_antecedent"] == 6


def test_no_lines_mine_nothing():
    empty = pd.DataFrame(columns=["team_id", "customer_id", "product_id"])
    assert analytics.affinities_mine(empty).empty


# ---------------------------------------------------------------- through the database


@pytest.fixture
def catalogue(db) -> dict[str, Product]:
    return {code: Product.objects.create(code=code, name=f"{code}模块", line="modules") for code in "ABCD"}


@pytest.fixture
def history(catalogue, alice, charlie, make_customer) -> dict:
    customers = {}
    for owner, baskets in ((alice, NORTH), (charlie, SOUTH)):
        for name, basket in baskets.items():
            customers[name] = c = make_customer(owner=owner, name=name)
            # Bought on two days: a basket is the customer's, not one order's.
            _buy(c, [catalogue[basket[0]]])
            if basket[1:]:
                _buy(c, [catalogue[p] for p in basket[1:]], on=AS_OF - dt.timedelta(days=10))
            _segment(c, Tier.POTENTIAL)
    # A refund is not a purchase, and a line after the mining day is not history yet.
    _buy(customers["n5"], [catalogue["C"]], kind="refund")
    _buy(customers["n6"], [catalogue["D"]], on=AS_OF + dt.timedelta(days=1))
    return customers


def test_the_nightly_job_stores_each_teams_pairs(history, catalogue, north, south, now):
    job = services.affinities_mine(as_of=AS_OF, now=now)
    assert job.status == "succeeded" and job.summary["customers"] == 13
    ab = ProductAffinity.objects.get(team=north, antecedent=catalogue["A"], consequent=catalogue["B"])
    assert (ab.customers, ab.with_antecedent, ab.with_both) == (10, 6, 4)
    assert (ab.support, ab.confidence, ab.lift) == pytest.approx((0.4, 4 / 6, (4 / 6) / 0.6))
    south_ad = ProductAffinity.objects.get(team=south, antecedent=catalogue["A"], consequent=catalogue["D"])
    assert (south_ad.confidence, south_ad.lift) == pytest.approx((1.0, 1.5))
    # Run twice: the same rows, not twice as many.
    count = ProductAffinity.objects.count()
    services.affinities_mine(as_of=AS_OF, now=now)
    assert ProductAffinity.objects.count() == count


def _suggested(user, customer) -> list[str]:
    found = selectors.suggestions_by_customer(user=user, targets={customer.pk: (customer.team_id,
                                                                               customer.segment.tier)})
    return [s.product.code for s in found.get(customer.pk, [])]


def test_a_customer_is_offered_what_their_team_buys_with_what_they_have(history, alice, charlie, now):
    services.affinities_mine(as_of=AS_OF, now=now)
    # n5 has A: A→B passes the defaults (support 0.05, confidence 0.3, lift 1.0); A→C (lift 0.833) and
    # A→D (confidence 1/6) do not. South's A→D (confidence 1.0) is not North's history.
    assert _suggested(alice, history["n5"]) == ["B"]
    # n4 has A and C: B through A→B; nothing it already has.
    assert _suggested(alice, history["n4"]) == ["B"]
    assert _suggested(alice, history["n3"]) == []  # has A, B and C; nothing passes towards D
    assert _suggested(charlie, history["s1"]) == []  # has A and D already
    # n9 has D: D→A and D→B have lift 0.833 < 1.0.
    assert _suggested(alice, history["n9"]) == []


def test_the_thresholds_are_the_editable_settings(history, alice, now):
    services.affinities_mine(as_of=AS_OF, now=now)
    CrossSellSettings.objects.create(pk=1, min_support=0.05, min_confidence=0.5, min_lift=0.8)
    # D→A and D→B: confidence 0.5, lift 0.833; both now pass.
    assert sorted(_suggested(alice, history["n9"])) == ["A", "B"]
    # A→B (0.667) passes, A→C (0.333) not any more by confidence.
    assert _suggested(alice, history["n5"]) == ["B"]
    CrossSellSettings.objects.filter(pk=1).update(min_support=0.5)
    assert _suggested(alice, history["n5"]) == []  # A→B's support is 0.4


def test_only_potential_and_high_value_customers_get_suggestions(history, alice, now):
    services.affinities_mine(as_of=AS_OF, now=now)
    n5 = history["n5"]
    for tier, expected in ((Tier.HIGH_VALUE, ["B"]), (Tier.CHURN_RISK, []), (Tier.NEW, [])):
        CustomerSegment.objects.filter(customer=n5).update(tier=tier)
        n5.refresh_from_db()
        assert _suggested(alice, n5) == expected, tier


def test_an_inactive_product_is_not_suggested(history, catalogue, alice, now):
    services.affinities_mine(as_of=AS_OF, now=now)
    Product.objects.filter(pk=catalogue["B"].pk).update(active=False)
    assert _suggested(alice, history["n5"]) == []


def test_support_sees_no_suggestions(history, sam, now):
    services.affinities_mine(as_of=AS_OF, now=now)
    assert _suggested(sam, history["n5"]) == []


def test_the_evidence_reads_in_the_readers_language(history, alice, now):
    from django.utils import translation

    services.affinities_mine(as_of=AS_OF, now=now)
    n5 = history["n5"]
    [suggestion] = selectors.suggestions_by_customer(user=alice, targets={n5.pk: (n5.team_id, "potential")})[n5.pk]
    with translation.override("en"):
        assert suggestion.evidence == "67% of customers with A模块 also bought B模块 (4 of 6; lift 1.1)"
    with translation.override("zh-hans"):
        assert suggestion.evidence == "购买了A模块的客户中 67% 也购买了B模块（6 位中的 4 位；提升度 1.1）"

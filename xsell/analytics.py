"""Pure functions on DataFrames: which products a team's customers bought together.

A customer's *basket* is every product they ever bought (their purchase lines up to
the mining day), so "bought together" is per customer, not per order: a customer
who bought A in March and B in June bought both."""
from __future__ import annotations

import pandas as pd

AFFINITY_COLUMNS = ["team_id", "antecedent_id", "consequent_id", "customers", "with_antecedent", "with_both",
                    "support", "confidence", "lift"]


def affinities_mine(baskets: pd.DataFrame) -> pd.DataFrame:
    """Every ordered pair (A, B) of products bought by a customer of the same team.

    ``baskets``: rows ``(team_id, customer_id, product_id)`` (duplicates allowed).
    Per team, with N its customers with any line, n(A) those with A and n(AB) those
    with both: support = n(AB) / N, confidence = n(AB) / n(A), lift = confidence /
    (n(B) / N). Set-based: a self-join of the baskets on (team, customer)."""
    if baskets.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("support", "confidence", "lift") else "int64")
                             for c in AFFINITY_COLUMNS})
    b = baskets[["team_id", "customer_id", "product_id"]].drop_duplicates()
    customers = b.groupby("team_id")["customer_id"].nunique().rename("customers")
    having = b.groupby(["team_id", "product_id"]).size().rename("n")
    pairs = b.merge(b, on=["team_id", "customer_id"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["product_id_a"] != pairs["product_id_b"]]
    both = (pairs.groupby(["team_id", "product_id_a", "product_id_b"]).size().rename("with_both").reset_index()
            .rename(columns={"product_id_a": "antecedent_id", "product_id_b": "consequent_id"}))
    out = both.join(customers, on="team_id")
    out = out.join(having.rename("with_antecedent"), on=["team_id", "antecedent_id"])
    out = out.join(having.rename("with_consequent"), on=["team_id", "consequent_id"])
    out["support"] = out["with_both"] / out["customers"]
    out["confidence"] = out["with_both"] / out["with_antecedent"]
    out["lift"] = out["confidence"] / (out["with_consequent"] / out["customers"])
    return out[AFFINITY_COLUMNS].sort_values(["team_id", "antecedent_id", "consequent_id"]).reset_index(drop=True)


def passes(*, support: float, confidence: float, lift: float, settings) -> bool:
    """A rule worth suggesting under the editable thresholds (xsell.models.CrossSellSettings)."""
    return (support >= settings.min_support and confidence >= settings.min_confidence
            and lift >= settings.min_lift)

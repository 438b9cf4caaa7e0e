"""Reads of churn prediction.

Training inputs (every count reads records up to the snapshot's day only):
``recent_signal_counts(as_of=)`` (complaints, SLA breaches, detractor answers in
their windows, one frame row per customer with any) and
``active_customer_ids(after=, through=)`` (the label: who had any activity in
the days ``(after, through]``). Reads for pages and the API: the current model
(``churn_model_current``) and the caller's scores."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db.models import Count, QuerySet

from core.clock import day_end
from crm.models import Customer, Interaction, Transaction
from segmentation.churn import features
from segmentation.churn.models import ChurnModel, ChurnScore


def _counts(qs, column: str) -> pd.DataFrame:
    rows = list(qs.values_list(column).annotate(n=Count("pk")).order_by())
    return pd.DataFrame(rows, columns=["customer_id", "n"]).astype({"customer_id": "int64", "n": "int64"})


def recent_signal_counts(*, as_of: date) -> pd.DataFrame:
    """Per customer: complaint tickets opened in the last ``features.COMPLAINT_DAYS``
    days, SLA breaches (their deadline passed) in the last ``BREACH_DAYS`` and NPS
    detractor answers in the last ``DETRACTOR_DAYS``, all up to the end of ``as_of``.
    Three GROUP BY queries."""
    from core.formulas import DETRACTOR_MAX
    from surveys.models import SurveyResponse
    from tickets.models import SlaBreach, Ticket

    end = day_end(as_of)
    complaints = _counts(Ticket.objects.filter(is_complaint=True, created_at__lt=end,
                                               created_at__gte=end - timedelta(days=features.COMPLAINT_DAYS)),
                         "customer_id")
    breaches = _counts(SlaBreach.objects.filter(due_at__lt=end, due_at__gte=end - timedelta(days=features.BREACH_DAYS)),
                       "ticket__customer_id")
    detractors = _counts(SurveyResponse.objects.filter(
        nps__lte=DETRACTOR_MAX, answered_at__lt=end, answered_at__gte=end - timedelta(days=features.DETRACTOR_DAYS)),
        "customer_id")
    frames = [f.set_index("customer_id")["n"].rename(name) for f, name in (
        (complaints, "complaints_recent"), (breaches, "sla_breaches_recent"), (detractors, "detractors_recent"))]
    joined = pd.concat(frames, axis=1).fillna(0).astype("int64")
    if joined.empty:
        return features.empty_signals()
    joined.index.name = "customer_id"
    return joined.reset_index()


def active_customer_ids(*, after: date, through: date) -> np.ndarray:
    """Sorted ids of the customers with any activity — a transaction, an
    interaction, a ticket or a survey answer — on the local days after ``after``
    up to and including ``through`` (the label window of a snapshot at ``after``)."""
    from surveys.models import SurveyResponse
    from tickets.models import Ticket

    start, end = day_end(after), day_end(through)
    parts = [
        Transaction.objects.filter(occurred_on__gt=after, occurred_on__lte=through).values_list("customer_id"),
        Interaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list("customer_id"),
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end).values_list("customer_id"),
        SurveyResponse.objects.filter(answered_at__gte=start, answered_at__lt=end).values_list("customer_id"),
    ]
    ids: set[int] = set()
    for qs in parts:
        ids.update(cid for (cid,) in qs.order_by().distinct().iterator(chunk_size=20_000))
    return np.array(sorted(ids), dtype="int64")


def earliest_customer_since() -> date | None:
    """The first day anyone was a customer (snapshots before it are empty)."""
    from django.db.models import Min

    return Customer.objects.with_customer_since().aggregate(m=Min("customer_since"))["m"]


# ---------------------------------------------------------------- pages and API

def churn_model_current() -> ChurnModel | None:
    """The latest trained model (its scores are the ones in ChurnScore)."""
    return ChurnModel.objects.defer("artefact").order_by("-id").first()


def churn_model_versions(*, limit: int = 10) -> list[ChurnModel]:
    return list(ChurnModel.objects.defer("artefact").order_by("-id")[:limit])


def churn_score_list_for_user(*, user) -> QuerySet[ChurnScore]:
    return ChurnScore.objects.for_user(user)


def decile_counts_for_user(*, user) -> dict[int, int]:
    """Backtest decile → how many of the caller's customers it holds (one grouped query)."""
    rows = (churn_score_list_for_user(user=user).exclude(backtest_decile__isnull=True).order_by()
            .values_list("backtest_decile").annotate(n=Count("pk")))
    return {int(d): n for d, n in rows}


def top_risk_for_user(*, user, limit: int = 20) -> list[ChurnScore]:
    """The caller's customers most likely to churn (one query)."""
    return list(churn_score_list_for_user(user=user).select_related("customer", "customer__owner")
                .order_by("-probability", "customer_id")[:limit])

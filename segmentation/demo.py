"""Demo hook (crm's generate_demo_data): segments for today and, for history,
the last six month-ends, so the overview shows a trend and transitions and the
demo's survey answers (up to 180 days old) count under the tier their customer
had when answering (surveys' snapshots read the history); then the churn model
trained at today (its backtest reads the demo's hidden propensity through the
records it drove)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from segmentation import services

HISTORY_MONTHS = 6  # surveys.demo answers go back 180 days


def month_ends_before(day: date, count: int) -> list[date]:
    """The last ``count`` month-ends strictly before ``day``, oldest first."""
    ends = []
    cursor = day.replace(day=1) - timedelta(days=1)
    while len(ends) < count:
        ends.append(cursor)
        cursor = cursor.replace(day=1) - timedelta(days=1)
    return list(reversed(ends))


def demo_generate(*, seed: int, now: datetime, bulk: bool = False) -> str:
    """Deterministic: the recompute only reads the demo data (``seed`` is not needed).
    With ``bulk`` (large demo sets) the history is one month-end, not six."""
    today = timezone.localdate(now)
    history = month_ends_before(today, 1 if bulk else HISTORY_MONTHS)
    for as_of in history:
        services.segments_recompute(as_of=as_of, now=now)
    job = services.segments_recompute(as_of=today, now=now)
    tiers = ", ".join(f"{k} {v}" for k, v in sorted(job.summary.get("tier", {}).items()))
    return (f"{job.summary['customers']} customers segmented as of {today} ({tiers}); "
            f"history at {', '.join(d.isoformat() for d in history)}; {_churn_train(today=today, now=now)}")


def _churn_train(*, today: date, now: datetime) -> str:
    from segmentation.churn import services as churn_services

    try:
        job = churn_services.churn_train(as_of=today, now=now)
    except churn_services.NotEnoughHistory:
        return "churn model: not enough history to train"
    s = job.summary
    return f"churn model v{s['model']} ({s['kind']}): backtest AUC {s['auc']:.3f} vs tier baseline {s['baseline_auc']:.3f}"

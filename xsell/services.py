"""Writes of cross-sell: the nightly mining of what each team's customers bought
together, run as a core job (core.jobs) and stored whole (xsell.models.ProductAffinity)."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from django.db import transaction

from core import jobs
from core.models import Job
from xsell import analytics, selectors
from xsell.models import ProductAffinity

MINE_JOB_KIND = "xsell.mine"


def affinities_mine(*, as_of: date, now: datetime, clock=None) -> Job:
    """Mine here and now (the nightly schedule, the demo): one job row with its summary;
    re-raises a failure after recording it."""
    return jobs.job_run_now(kind=MINE_JOB_KIND, params={"as_of": as_of.isoformat()}, actor=None, now=now,
                            clock=clock)


@jobs.job_handler(MINE_JOB_KIND, idempotent=True)
def mine_job_run(*, job: Job, progress: jobs.Progress) -> dict:
    """Every team's product pairs at the job's ``as_of``, from one read of the purchase
    lines, replacing the stored ones in one transaction (readers see the old set or the
    new one). Idempotent: the same history gives the same rows. Every pair seen is kept;
    the thresholds are applied when suggestions are read, so a changed setting counts
    from the next page view."""
    as_of = date.fromisoformat(job.params["as_of"])
    baskets = pd.DataFrame(list(selectors.purchase_baskets(as_of=as_of)),
                           columns=["team_id", "customer_id", "product_id"])
    progress.update(0, total=2)
    mined = analytics.affinities_mine(baskets)
    progress.update(1)
    rows = [ProductAffinity(as_of=as_of, **{k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
            for rec in mined.to_dict("records")]
    progress.check()
    with transaction.atomic():
        ProductAffinity.objects.all().delete()
        ProductAffinity.objects.bulk_create(rows, batch_size=2_000)
    progress.update(2)
    return {"as_of": as_of.isoformat(), "customers": int(baskets["customer_id"].nunique()) if len(baskets) else 0,
            "pairs": len(rows)}

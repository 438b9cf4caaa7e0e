"""Writes of churn prediction: the training request (a core job), the training
itself (snapshots, backtest, model choice, the stored model and every
customer's score). See the package docstring for the method."""
from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, jobs
from core.models import Job
from segmentation import selectors as segment_selectors
from segmentation import services as segment_services
from segmentation.churn import features, learn, selectors
from segmentation.churn.models import DEFAULT_HORIZON_DAYS, TRAIN_JOB_KIND, ChurnModel, ChurnScore

log = logging.getLogger(__name__)

MIN_HORIZON_DAYS, MAX_HORIZON_DAYS = 7, 365
# Training snapshots at most (T − h … T − SNAPSHOTS·h); at least two are needed
# (one to learn from, one to backtest on).
SNAPSHOTS = 4
WRITE_BATCH = 2000


class NotEnoughHistory(Exception):
    """Fewer than two snapshots with both churned and retained customers."""


def _check(*, as_of: date, horizon_days: int, today: date) -> None:
    errors = {}
    if as_of > today:
        errors["as_of"] = _("The date cannot be in the future.")
    if not MIN_HORIZON_DAYS <= horizon_days <= MAX_HORIZON_DAYS:
        errors["horizon_days"] = _("Enter a horizon between %(low)s and %(high)s days.") % {
            "low": MIN_HORIZON_DAYS, "high": MAX_HORIZON_DAYS}
    if errors:
        raise ValidationError(errors)


def churn_train_request(*, actor, as_of: date, horizon_days: int = DEFAULT_HORIZON_DAYS, now: datetime) -> Job:
    """Queue a training at ``as_of`` (team lead or admin) as a core job."""
    if not access.can_manage_segments(actor):
        raise PermissionDenied("Only a team lead or an admin may train the churn model.")
    _check(as_of=as_of, horizon_days=horizon_days, today=timezone.localdate(now))
    return jobs.job_enqueue(kind=TRAIN_JOB_KIND, params={"as_of": as_of.isoformat(), "horizon_days": horizon_days},
                            actor=actor, now=now)


def churn_train(*, as_of: date, now: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS, snapshots: int = SNAPSHOTS,
                clock=None) -> Job:
    """Train here and now (the nightly schedule, the demo, benchmarks): the same job
    row and summary as a queued training; re-raises a failure after recording it."""
    return jobs.job_run_now(kind=TRAIN_JOB_KIND, params={"as_of": as_of.isoformat(), "horizon_days": horizon_days,
                                                        "snapshots": snapshots}, actor=None, now=now, clock=clock)


# ---------------------------------------------------------------- snapshots

def churn_snapshot(*, as_of: date, params=None):
    """The features of every customer at ``as_of`` from records up to ``as_of``
    only: ``(X frame indexed by customer id, churn_risk tier flags)``."""
    params = params or segment_selectors.segment_settings_get()
    scored = segment_services.segments_score(as_of=as_of, reasons=False)
    signals = selectors.recent_signal_counts(as_of=as_of)
    X = features.feature_frame(scored, signals, window_days=params.rfm_window_days)
    baseline = (scored["tier"].astype(str) == "churn_risk").to_numpy()
    return X, baseline


def churn_labels(ids: np.ndarray, *, as_of: date, horizon_days: int) -> np.ndarray:
    """1 where the customer had no activity in the ``horizon_days`` after ``as_of``."""
    active = selectors.active_customer_ids(after=as_of, through=as_of + timedelta(days=horizon_days))
    return (~np.isin(ids, active)).astype("int64")


# ---------------------------------------------------------------- training

@jobs.job_handler(TRAIN_JOB_KIND, idempotent=True)
def churn_train_job_run(*, job: Job, progress: jobs.Progress) -> dict:
    """Snapshots, backtest of every candidate, the chosen model refitted and stored
    as a new version, every customer scored at ``as_of`` (one transaction: the
    model row and the score table change together). Idempotent: a retry adds a
    version with the same numbers."""
    as_of = date.fromisoformat(job.params["as_of"])
    horizon = int(job.params.get("horizon_days") or DEFAULT_HORIZON_DAYS)
    count = int(job.params.get("snapshots") or SNAPSHOTS)
    now = job.started_at  # set by the job runner when it claimed the job
    params = segment_selectors.segment_settings_get()
    first = selectors.earliest_customer_since()
    dates = [as_of - timedelta(days=horizon * i) for i in range(1, count + 1)]
    dates = [d for d in dates if first is not None and d >= first]
    total = len(dates) + 1 + len(learn.CANDIDATES) + 3
    step = 0
    progress.update(step, total)

    snaps = []  # (date, X, y, baseline), newest first
    for d in dates:
        X, baseline = churn_snapshot(as_of=d, params=params)
        y = churn_labels(X.index.to_numpy(), as_of=d, horizon_days=horizon)
        snaps.append((d, X, y, baseline))
        step += 1
        progress.update(step)
    usable = [s for s in snaps if len(s[2]) and 0 < s[2].sum() < len(s[2])]
    if len(usable) < 2 or usable[0][0] != dates[0]:
        raise NotEnoughHistory(
            f"need two snapshots ({dates[:2]}) with both churned and retained customers; "
            f"found {[(str(d), int(y.sum()), len(y)) for d, _X, y, _b in snaps]}")
    test_date, X_test, y_test, base_test = usable[0]
    train = usable[1:]
    X_train = np.vstack([s[1].to_numpy() for s in train])
    y_train = np.concatenate([s[2] for s in train])

    candidates = {}
    best_name, best_auc, best_p = None, -1.0, None
    for name in learn.CANDIDATES:
        model = learn.fit(name, X_train, y_train)
        p = learn.predict(model, X_test.to_numpy())
        score = learn.auc(y_test, p) or 0.0
        candidates[name] = round(score, 4)
        if score > best_auc + 1e-9:
            best_name, best_auc, best_p = name, score, p
        step += 1
        progress.update(step)
    report = learn.backtest_report(y_test, best_p, base_test)
    test_deciles = learn.deciles(best_p)

    # The chosen candidate on every snapshot (labels all end by as_of), then today's scores.
    X_all = np.vstack([s[1].to_numpy() for s in usable])
    y_all = np.concatenate([s[2] for s in usable])
    final = learn.fit(best_name, X_all, y_all)
    reference = np.median(X_all[learn.sample_rows(len(X_all))], axis=0)
    del X_all, y_all, X_train, y_train
    step += 1
    progress.update(step)
    X_now, _baseline_now = churn_snapshot(as_of=as_of, params=params)
    values = X_now.to_numpy()
    p_now = learn.predict(final, values)
    contrib = learn.contributions(final, values, reference)
    factors = learn.top_factors(contrib, values, features.FEATURES)
    del contrib
    step += 1
    progress.update(step)
    artefact, digest = learn.artefact_dump(final, key=settings.SECRET_KEY)
    metrics = {**report, "candidates": candidates, "chosen": best_name, "test_as_of": test_date.isoformat(),
               "snapshots": [d.isoformat() for d, *_rest in usable], "train_rows": int(sum(len(s[2]) for s in train)),
               "scored": int(len(p_now))}
    backtest = {"ids": X_test.index.to_numpy(), "p": best_p, "decile": test_deciles, "churned": y_test}
    with transaction.atomic():
        model = ChurnModel.objects.create(
            as_of=as_of, horizon_days=horizon, trained_at=now, kind=best_name, features=list(features.FEATURES),
            metrics=metrics, reference=dict(zip(features.FEATURES, map(float, reference))), artefact=artefact,
            artefact_digest=digest, job_id=job.pk)
        _scores_write(model=model, ids=X_now.index.to_numpy(), p=p_now, factors=factors, backtest=backtest)
        progress.update(total)
    log.info("churn model v%s: %s auc %.3f (baseline %s)", model.pk, best_name, best_auc, report["baseline_auc"])
    return {"model": model.pk, "kind": best_name, "auc": report["auc"], "baseline_auc": report["baseline_auc"],
            "customers": int(len(p_now)), "as_of": as_of.isoformat(), "horizon_days": horizon}


def _scores_write(*, model: ChurnModel, ids: np.ndarray, p: np.ndarray, factors: list[list],
                  backtest: dict) -> None:
    """Replace every score row (caller holds the transaction)."""
    order = np.argsort(backtest["ids"])
    b_ids = backtest["ids"][order]
    pos = np.searchsorted(b_ids, ids)
    pos_ok = pos < len(b_ids)
    found = np.zeros(len(ids), dtype=bool)
    found[pos_ok] = b_ids[pos[pos_ok]] == ids[pos_ok]
    src = order[np.where(found, pos, 0)] if len(order) else np.zeros(len(ids), dtype="int64")
    b_p, b_d, b_c = backtest["p"], backtest["decile"], backtest["churned"]
    ChurnScore.objects.all().delete()
    if connection.vendor == "postgresql":
        _copy_scores(model=model, ids=ids, p=p, factors=factors, found=found, src=src, b_p=b_p, b_d=b_d, b_c=b_c)
        return
    for start in range(0, len(ids), WRITE_BATCH):
        rows = []
        for i in range(start, min(start + WRITE_BATCH, len(ids))):
            hit = found[i]
            rows.append(ChurnScore(
                customer_id=int(ids[i]), model=model, as_of=model.as_of, probability=float(p[i]), factors=factors[i],
                backtest_probability=float(b_p[src[i]]) if hit else None,
                backtest_decile=int(b_d[src[i]]) if hit else None,
                backtest_churned=bool(b_c[src[i]]) if hit else None))
        ChurnScore.objects.bulk_create(rows)


def _copy_scores(*, model, ids, p, factors, found, src, b_p, b_d, b_c) -> None:
    table = ChurnScore._meta.db_table
    columns = ["customer_id", "model_id", "as_of", "probability", "factors", "backtest_probability",
               "backtest_decile", "backtest_churned"]
    as_of = model.as_of.isoformat()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for start in range(0, len(ids), 200_000):
            buf = io.StringIO()
            writer = csv.writer(buf)
            for i in range(start, min(start + 200_000, len(ids))):
                hit = found[i]
                writer.writerow([int(ids[i]), model.pk, as_of, repr(float(p[i])),
                                 json.dumps(factors[i], separators=(",", ":")),
                                 repr(float(b_p[src[i]])) if hit else "", int(b_d[src[i]]) if hit else "",
                                 ("t" if b_c[src[i]] else "f") if hit else ""])
            buf.seek(0)
            raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buf)

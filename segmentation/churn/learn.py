"""The learning half of churn prediction: candidates, the backtest's metrics,
the factors of each prediction and the artefact's (de)serialization. Pure
functions on numpy arrays (no database, no clock).

Factors: the contribution of feature j to one prediction is
``logit(p(x)) − logit(p(x with x_j set to its reference value))`` (the training
median), in log-odds; above 0 the feature raises the risk. For the logistic
regression this is exactly ``coef_j × (x_j − ref_j) / scale_j``; the same
definition explains any candidate."""
from __future__ import annotations

import hashlib
import hmac
import io
import pickle

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from threadpoolctl import threadpool_limits

# Rows a fit reads at most (a seeded random sample above it): the curves flatten
# long before, and it bounds time and memory at a million customers per snapshot.
MAX_TRAIN_ROWS = 400_000
TOP_FACTORS = 3
ROC_POINTS = 101
BINS = 10
_EPS = 1e-6


def _logistic():
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def _spline_logistic():
    """Logistic regression on a cubic spline of each feature: still additive (each
    feature's effect is a curve of its own), so its factors stay exact."""
    return make_pipeline(StandardScaler(), SplineTransformer(n_knots=5, degree=3),
                         LogisticRegression(C=1.0, max_iter=1000))


def _boosting():
    return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15,
                                          l2_regularization=1.0, random_state=0)


# name -> factory; the backtest picks one (ties: the first, the simpler).
CANDIDATES = {"logistic_regression": _logistic, "spline_logistic_regression": _spline_logistic,
              "gradient_boosting": _boosting}
# One thread: on a shared machine OpenMP's spinning threads cost far more than they bring.
THREADS = 1


class ArtefactRejected(Exception):
    """The stored bytes are not ours (digest mismatch): never unpickled."""


def sample_rows(n: int, *, limit: int = MAX_TRAIN_ROWS, seed: int = 0) -> np.ndarray:
    """Indexes of at most ``limit`` of ``n`` rows (all of them, in order, when fewer)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def fit(name: str, X: np.ndarray, y: np.ndarray, *, limit: int = MAX_TRAIN_ROWS):
    rows = sample_rows(len(y), limit=limit)
    model = CANDIDATES[name]()
    with threadpool_limits(THREADS):
        model.fit(X[rows], y[rows])
    return model


def predict(model, X: np.ndarray) -> np.ndarray:
    if not len(X):
        return np.zeros(0)
    with threadpool_limits(THREADS):
        return model.predict_proba(X)[:, 1]


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC; None when only one class is present."""
    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, score))


def deciles(p: np.ndarray) -> np.ndarray:
    """Decile of each prediction, 1 = the riskiest tenth (by rank; ties by position)."""
    n = len(p)
    order = np.argsort(-p, kind="stable")
    out = np.empty(n, dtype="int64")
    out[order] = 1 + (np.arange(n) * 10) // max(n, 1)
    return out


def backtest_report(y: np.ndarray, p: np.ndarray, baseline: np.ndarray) -> dict:
    """The metrics of predictions ``p`` against outcomes ``y`` (1 = churned), and
    of the rule ``baseline`` (1 = churn_risk tier) as a predictor."""
    y = y.astype("int64")
    n = len(y)
    d = deciles(p)
    top = d == 1
    roc = {"fpr": [], "tpr": []}
    if len(np.unique(y)) == 2:
        fpr, tpr, _thr = roc_curve(y, p)
        pick = np.unique(np.linspace(0, len(fpr) - 1, min(ROC_POINTS, len(fpr))).round().astype(int))
        roc = {"fpr": [round(float(v), 4) for v in fpr[pick]], "tpr": [round(float(v), 4) for v in tpr[pick]]}
    bins = np.minimum((p * BINS).astype(int), BINS - 1)
    calibration = []
    for b in range(BINS):
        mask = bins == b
        if mask.any():
            calibration.append({"bin": b, "low": b / BINS, "high": (b + 1) / BINS, "customers": int(mask.sum()),
                                "predicted": round(float(p[mask].mean()), 4),
                                "observed": round(float(y[mask].mean()), 4)})
    table = []
    for k in range(1, 11):
        mask = d == k
        if mask.any():
            table.append({"decile": k, "customers": int(mask.sum()), "churned": int(y[mask].sum()),
                          "rate": round(float(y[mask].mean()), 4), "predicted": round(float(p[mask].mean()), 4),
                          "min_probability": round(float(p[mask].min()), 4)})
    return {
        "customers": n,
        "auc": auc(y, p),
        "top_decile_precision": round(float(y[top].mean()), 4) if top.any() else None,
        "base_rate": round(float(y.mean()), 4) if n else None,
        "baseline_auc": auc(y, baseline.astype("float64")),
        "roc": roc, "calibration": calibration, "deciles": table,
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def contributions(model, X: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(rows, features) log-odds contributions (see the module docstring)."""
    base = _logit(predict(model, X))
    out = np.zeros(X.shape, dtype="float64")
    moved = np.array(X, dtype="float64", copy=True)
    for j in range(X.shape[1]):
        if np.all(X[:, j] == reference[j]):
            continue
        moved[:, j] = reference[j]
        out[:, j] = base - _logit(predict(model, moved))
        moved[:, j] = X[:, j]
    return out


def top_factors(contrib: np.ndarray, X: np.ndarray, features: list[str], *, k: int = TOP_FACTORS) -> list[list]:
    """Per row, the ``k`` largest contributions by size (sign kept), zero ones left out:
    ``[{"feature", "value", "contribution"}]``."""
    order = np.argsort(-np.abs(contrib), axis=1)[:, :k]
    out = []
    for i, cols in enumerate(order):
        out.append([{"feature": features[j], "value": round(float(X[i, j]), 4),
                     "contribution": round(float(contrib[i, j]), 4)} for j in cols if contrib[i, j] != 0])
    return out


def artefact_dump(model, *, key: str) -> tuple[bytes, str]:
    """(bytes, HMAC-SHA256 hex digest with ``key``) of a fitted estimator."""
    buf = io.BytesIO()
    pickle.dump(model, buf, protocol=pickle.HIGHEST_PROTOCOL)
    data = buf.getvalue()
    return data, hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


def artefact_load(data: bytes, digest: str, *, key: str):
    """The estimator back, only if ``digest`` is the HMAC we wrote (never unpickle others' bytes)."""
    data = bytes(data)
    expected = hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest or ""):
        raise ArtefactRejected("churn model artefact digest mismatch")
    return pickle.loads(data)  # noqa: S301 - our own artefact, authenticated above

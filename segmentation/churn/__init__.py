"""Churn prediction: who will go quiet in the next ``horizon_days``.

Label: a customer *churns* after ``as_of`` when no activity (transaction,
interaction, ticket, survey answer) falls in the ``horizon_days`` (default 90)
after it. Features come from the inputs the segment recompute already reads
(``segmentation.services.segments_score`` at the snapshot's date: recency,
frequency and its trend, spend, tenure, satisfaction, open complaints and
objections, contact regularity, payment collection) plus recent complaints,
SLA breaches and detractor answers (``selectors.recent_signal_counts``), each
read only from records up to the snapshot's date.

Training at ``T``: snapshots at ``T − h``, ``T − 2h``, … (``h`` = horizon).
The backtest fits every candidate (``learn.CANDIDATES``) on the snapshots up to
``T − 2h`` (their labels end by ``T − h``) and predicts the snapshot ``T − h``
(labels in ``(T − h, T]``); the candidate with the best AUC is refitted on every
snapshot and scores each customer at ``T``. ``baseline_auc`` is the rule-based
``churn_risk`` tier at ``T − h`` used as the predictor.

Modules: ``models`` (the versioned model rows and the per-customer scores),
``features`` and ``learn`` (pure: no database, no clock), ``selectors``,
``services`` (the training job), ``api``, ``views``.
"""

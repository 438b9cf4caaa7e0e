"""The stored churn models (one row per training, versioned by id, with the
backtest metrics and the serialized estimator) and the latest score of each
customer. Written only by ``segmentation.churn.services``."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access

# The core.Job kind of a training (handler: segmentation.churn.services.churn_train_job_run).
TRAIN_JOB_KIND = "segmentation.churn_train"
DEFAULT_HORIZON_DAYS = 90


class ChurnModel(models.Model):
    """One trained model: what it was trained on, how it did in the backtest
    (``metrics``) and the estimator itself (``artefact``, our own pickle, loaded
    only after its HMAC ``artefact_digest`` checks out)."""

    as_of = models.DateField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("horizon (days)"))
    trained_at = models.DateTimeField(_("trained at"))
    kind = models.CharField(pgettext_lazy("churn", "model"), max_length=40)
    features = models.JSONField(pgettext_lazy("churn", "features"), default=list)
    # auc, top_decile_precision, base_rate, baseline_auc, candidates, roc, calibration,
    # deciles, snapshots, test_as_of, train_rows (see services.churn_train_job_run).
    metrics = models.JSONField(pgettext_lazy("churn", "metrics"), default=dict)
    reference = models.JSONField(_("reference values"), default=dict)
    artefact = models.BinaryField(_("serialized model"))
    artefact_digest = models.CharField(_("artefact digest"), max_length=64)
    job_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("churn model")
        verbose_name_plural = _("churn models")

    def __str__(self) -> str:
        return f"churn model v{self.pk} ({self.as_of}, {self.kind})"

    @property
    def version(self) -> int:
        return self.pk


class ChurnScore(models.Model):
    """The latest churn probability of one customer (one row per customer; the
    whole table is replaced by each training) and its top factors, stored as
    ``[{"feature", "value", "contribution"}]`` and put in words when read
    (``features.factor_text``). ``backtest_*``: the same customer in the
    model's backtest (its probability at ``T − h``, decile 1 = riskiest tenth,
    and whether it then churned)."""

    # No database FK (the ORM still cascades): the table is rewritten in bulk.
    customer = models.OneToOneField("crm.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="churn_score", db_constraint=False, verbose_name=_("customer"))
    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    as_of = models.DateField(_("as of"))
    probability = models.FloatField(_("churn probability"))
    factors = models.JSONField(_("churn factors"), default=list)
    backtest_probability = models.FloatField(null=True, blank=True)
    backtest_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    backtest_churned = models.BooleanField(null=True, blank=True)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("churn score")
        verbose_name_plural = _("churn scores")
        indexes = [models.Index(fields=["probability"], name="churn_score_probability"),
                   models.Index(fields=["backtest_decile"], name="churn_score_backtest_decile")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.probability:.3f}"

    @property
    def factor_texts(self) -> list[dict]:
        """The factors in the active language: ``[{"feature", "text", "contribution"}]``."""
        from segmentation.churn.features import factors_render

        return factors_render(self.factors)

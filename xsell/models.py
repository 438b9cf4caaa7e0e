"""What each team's customers bought together (mined nightly, xsell.services) and
the thresholds a pair must pass to be suggested."""
from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

_SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class CrossSellSettings(models.Model):
    """A singleton (pk 1): defaults until an admin saves it."""

    min_support = models.FloatField(_("minimum support"), default=0.05, validators=_SHARE,
                                    help_text=_("Share of the team's buying customers who bought both products."))
    min_confidence = models.FloatField(_("minimum confidence"), default=0.3, validators=_SHARE,
                                       help_text=_("Share of the customers with the first product who also bought "
                                                   "the second."))
    min_lift = models.FloatField(_("minimum lift"), default=1.0, validators=[MinValueValidator(0.0)],
                                 help_text=_("How much likelier the second product is with the first than "
                                             "without it (1: no more likely)."))

    class Meta:
        verbose_name = _("cross-sell settings")
        verbose_name_plural = _("cross-sell settings")

    def __str__(self) -> str:
        return str(_("cross-sell settings"))


class ProductAffinity(models.Model):
    """A rule "customers of ``team`` with ``antecedent`` also bought ``consequent``"
    from the team's purchase history at ``as_of``: ``support`` = customers with
    both / customers with any product line, ``confidence`` = with both / with the
    antecedent, ``lift`` = confidence / share of customers with the consequent.
    Replaced as a whole per team by each nightly run."""

    team = models.ForeignKey("crm.Team", on_delete=models.CASCADE, related_name="+")
    antecedent = models.ForeignKey("crm.Product", on_delete=models.CASCADE, related_name="+")
    consequent = models.ForeignKey("crm.Product", on_delete=models.CASCADE, related_name="+")
    customers = models.PositiveIntegerField()  # the team's customers with any product line
    with_antecedent = models.PositiveIntegerField()
    with_both = models.PositiveIntegerField()
    support = models.FloatField()
    confidence = models.FloatField()
    lift = models.FloatField()
    as_of = models.DateField()

    class Meta:
        ordering = ["team", "-lift", "-confidence", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "antecedent", "consequent"], name="xsell_affinity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.antecedent_id} -> {self.consequent_id} ({self.confidence:.2f})"

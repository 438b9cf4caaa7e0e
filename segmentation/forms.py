from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Customer
from segmentation.models import SegmentSettings


class QueueLogForm(forms.Form):
    """One-click logging of the contact that clears a queue item."""

    customer_id = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("channel"), choices=Customer.Channel.choices, initial=Customer.Channel.PHONE)
    summary = forms.CharField(label=_("note"), max_length=500, required=False)


class RecomputeForm(forms.Form):
    as_of = forms.DateField(label=_("as of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class SegmentSettingsForm(forms.ModelForm):
    class Meta:
        model = SegmentSettings
        exclude = ["updated_at", "updated_by"]

    GROUPS = [
        (_("Tiers"), ["churn_inactivity_days", "churn_satisfaction_below", "new_customer_days",
                      "high_value_top_percent", "high_value_age_days"]),
        (_("RFM, value tier and membership"), ["rfm_window_days", "value_high_percent", "value_medium_percent",
                                               "silver_points", "gold_points", "platinum_points"]),
        (_("Maintenance cadence"), ["new_daily_days", "new_interval_days", "high_value_interval_days",
                                    "churn_risk_interval_days", "potential_interval_days"]),
        (_("Follow-up queue weights"), ["value_weight_high", "value_weight_medium", "value_weight_low"]),
        (_("Health score weights"), ["health_weight_recency", "health_weight_frequency_trend",
                                     "health_weight_collection", "health_weight_satisfaction",
                                     "health_weight_complaints", "health_weight_contact"]),
    ]

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

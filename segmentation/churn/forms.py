"""The training form of the churn model page."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from segmentation.churn import services


class ChurnTrainForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    horizon_days = forms.IntegerField(label=_("Horizon (days)"), min_value=services.MIN_HORIZON_DAYS,
                                      max_value=services.MAX_HORIZON_DAYS, initial=90)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

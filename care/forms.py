"""Forms of the care pages. They parse; care.services writes."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from care.models import CareSettings, Holiday


class CareSettingsForm(forms.ModelForm):
    class Meta:
        model = CareSettings
        fields = ["birthday_days_ahead", "holiday_days_ahead", "birthday_greeting", "referral_points"]
        widgets = {"birthday_greeting": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, perks: dict, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        from segmentation.models import MembershipLevel

        self.levels = list(MembershipLevel.choices)
        for level, label in self.levels:
            perk = perks[level]
            self.fields[f"birthday_perk_{level}"] = forms.CharField(
                label=_("%(level)s: birthday perk") % {"level": label}, max_length=200, required=False,
                initial=perk.birthday_perk)
            self.fields[f"holiday_perk_{level}"] = forms.CharField(
                label=_("%(level)s: holiday perk") % {"level": label}, max_length=200, required=False,
                initial=perk.holiday_perk)

    def _post_clean(self):
        """Model validation is the service's job (care.services.care_settings_update)."""

    def perk_rows(self) -> list[tuple]:
        return [(label, self[f"birthday_perk_{level}"], self[f"holiday_perk_{level}"]) for level, label in self.levels]

    def to_service_data(self) -> tuple[dict, dict]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        perks = {level: (self.cleaned_data[f"birthday_perk_{level}"], self.cleaned_data[f"holiday_perk_{level}"])
                 for level, _label in self.levels}
        return data, perks


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "greeting"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "greeting": forms.TextInput}

    def _post_clean(self):
        """Checked as a whole by care.services.holiday_calendar_update."""


HolidayFormSet = forms.modelformset_factory(Holiday, form=HolidayForm, extra=2, can_delete=True)


def holiday_rows(formset) -> list[dict]:
    rows = []
    for position, form in enumerate(formset.forms):
        if not form.has_changed() and form.instance.pk is None:
            continue
        data = form.cleaned_data
        rows.append({"id": form.instance.pk, "date": data.get("date"), "name": data.get("name", ""),
                     "greeting": data.get("greeting", ""), "delete": bool(data.get("DELETE")), "form": position})
    return rows


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


class TalkingPointsForm(forms.Form):
    """One text per tier, a point per line."""

    def __init__(self, *args, points: dict, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        from segmentation.models import Tier

        self.tiers = list(Tier.choices)
        for tier, label in self.tiers:
            self.fields[f"points_{tier}"] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 4}),
                initial=points[tier].points, help_text=_("One point per line."))

    def to_service_data(self) -> dict[str, str]:
        return {tier: self.cleaned_data[f"points_{tier}"] for tier, _label in self.tiers}


class GiveUpForm(forms.Form):
    """Give up a customer / close it as lost: why (seed 000 "流失原因") and what happened."""

    reason = forms.ChoiceField(label=_("Why did the customer leave?"), required=False)
    note = forms.CharField(label=_("Details of the loss"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Required when the reason is “Other”."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        from care.models import LossReason

        self.fields["reason"].choices = [("", "—"), *LossReason.choices]


class RedeemForm(forms.Form):
    """Redeem a customer's points for a reward of the catalogue."""

    reward = forms.ModelChoiceField(label=_("Reward"), queryset=None, empty_label=None)

    def __init__(self, *args, rewards, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = rewards
        self.fields["reward"].label_from_instance = lambda r: _("%(reward)s (%(points)s points)") % {
            "reward": r.label, "points": r.points}


class PointsAdjustForm(forms.Form):
    """A manual adjustment by a team lead or admin: points (negative to deduct) and why."""

    points = forms.IntegerField(label=_("Points"), min_value=-1_000_000, max_value=1_000_000,
                                help_text=_("Negative to deduct."))
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

"""Browser forms of the reviews app."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import Team
from reviews.labels import tier_choices
from reviews.metrics import CATALOGUE
from reviews.models import Review, ReviewAction, ReviewFinding
from reviews.services import DEFAULT_METRICS

DateInput = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    period_kind = forms.ChoiceField(label=_("Period"), choices=Review.PeriodKind.choices, required=False,
                                    initial=Review.PeriodKind.MONTH,
                                    help_text=_("A monthly or quarterly report covers the month or quarter of its "
                                                "start date."))
    period_start = forms.DateField(label=_("Period start"), widget=DateInput)
    period_end = forms.DateField(label=_("Period end"), widget=DateInput, required=False,
                                 help_text=_("Only for a custom period."))
    scope_kind = forms.ChoiceField(label=_("Scope"), choices=Review.ScopeKind.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    summary = forms.CharField(label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants = forms.ModelMultipleChoiceField(label=_("Participants"), queryset=None, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    data_sources = forms.MultipleChoiceField(label=_("Data sources"), choices=Review.DataSource.choices,
                                             required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, is_admin: bool, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = participants
        self.fields["participants"].label_from_instance = lambda u: f"{u} · {u.role_label}"
        from reviews.services.reports import default_data_sources

        self.fields["data_sources"].initial = default_data_sources(DEFAULT_METRICS)
        self.fields["tier"].choices = [("", "—"), *tier_choices()]
        if not is_admin:
            del self.fields["team"]
            self.fields["scope_kind"].choices = [c for c in Review.ScopeKind.choices if c[0] != "all"]
        self.metric_fields = []
        for key, metric in CATALOGUE.items():
            self.fields[f"use_{key}"] = forms.BooleanField(label=metric.name, required=False,
                                                           initial=key in DEFAULT_METRICS)
            self.fields[f"target_{key}"] = forms.FloatField(label=_("Target"), required=False,
                                                            initial=metric.default_target)
            self.metric_fields.append((metric, f"use_{key}", f"target_{key}"))

    def clean(self):
        d = super().clean()
        d["period_kind"] = d.get("period_kind") or Review.PeriodKind.CUSTOM  # dates given, no kind: those dates
        if d["period_kind"] == Review.PeriodKind.CUSTOM:
            if d.get("period_start") and not d.get("period_end") and "period_end" not in self.errors:
                self.add_error("period_end", _("This field is required."))
            elif d.get("period_start") and d.get("period_end") and d["period_end"] < d["period_start"]:
                self.add_error("period_end", _("The period must end on or after its start."))
        return d

    def metric_rows(self):
        return [{"metric": m, "use": self[u], "target": self[t]} for m, u, t in self.metric_fields]

    def targets(self) -> list[dict]:
        d = self.cleaned_data
        return [{"metric": key, "target": d.get(f"target_{key}")} for key in CATALOGUE if d.get(f"use_{key}")]


class ReviewRowsForm(forms.Form):
    """Targets and analysis of the report's rows, plus a metric to add."""

    add_metric = forms.ChoiceField(label=_("Add a metric"), required=False)

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        present = []
        self.row_fields = []
        for row in review.metric_rows.all():
            present.append(row.metric)
            self.fields[f"target_{row.metric}"] = forms.FloatField(
                label=_("Target"), required=False, initial=row.target)
            self.fields[f"analysis_{row.metric}"] = forms.CharField(
                label=_("Analysis"), required=False, initial=row.analysis, widget=forms.Textarea(attrs={"rows": 2}))
            self.row_fields.append(row.metric)
        self.fields["add_metric"].choices = [("", "—"), *[(k, m.name) for k, m in CATALOGUE.items()
                                                            if k not in present]]

    def rows(self) -> list[dict]:
        d = self.cleaned_data
        rows = [{"metric": k, "target": d.get(f"target_{k}"), "analysis": d.get(f"analysis_{k}", "")}
                for k in self.row_fields]
        if d.get("add_metric"):
            rows.append({"metric": d["add_metric"], "analysis": ""})  # starts with the sources' target
        return rows


class FindingForm(forms.Form):
    prefix = "finding"
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewFinding.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    detail = forms.CharField(label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cause = forms.CharField(label=_("Cause"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ActionForm(forms.Form):
    prefix = "action"
    title = forms.CharField(label=_("Improvement action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
    metric = forms.ChoiceField(label=_("Linked metric"), required=False)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["metric"].choices = [("", "—"), *[(k, m.name) for k, m in CATALOGUE.items()]]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ReviewAction.Status.choices)


class MonthForm(forms.Form):
    """``?month=YYYY-MM`` of the dashboard and the metric pages: any month up to the current one."""

    month = forms.CharField(label=pgettext_lazy("dashboard", "Month"), required=False,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["month"].widget.attrs["max"] = today.strftime("%Y-%m")

    def clean_month(self) -> dt.date | None:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return None
        try:
            month = dt.datetime.strptime(raw, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2025-03.")) from None
        if month > self.today.replace(day=1):
            raise forms.ValidationError(_("Pick the current month or an earlier one."))
        return month


class RecordsQueryForm(forms.Form):
    """The drill-down list's query: a period, a part, a scope (checked by metric_scope_for_user)."""

    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    part = forms.CharField(required=False)
    team = forms.CharField(required=False)
    owner = forms.CharField(required=False)
    tier = forms.CharField(required=False)
    group = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period must end on or after its start."))
        return data


class DrillFollowUpForm(forms.Form):
    due_on = forms.DateField(label=pgettext_lazy("drilldown", "Due"), widget=DateInput)
    reason = forms.CharField(label=pgettext_lazy("drilldown", "Reason"), max_length=300)


class DrillAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=pgettext_lazy("drilldown", "Assign to"), queryset=None)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class DrillCampaignForm(forms.Form):
    survey = forms.ModelChoiceField(label=pgettext_lazy("drilldown", "Survey"), queryset=None)
    name = forms.CharField(label=pgettext_lazy("drilldown", "Campaign name"), max_length=200)

    def __init__(self, *args, surveys, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys

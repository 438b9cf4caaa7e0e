"""Browser forms of surveys: they parse input into the dicts the services take."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from segmentation.models import Tier
from surveys.models import Question

TIER_CHOICES = [("", _("All tiers")), *Tier.choices]


class SurveyForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    intro_zh = forms.CharField(label=_("Introduction (Chinese)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    intro_en = forms.CharField(label=_("Introduction (English)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class QuestionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    dimension = forms.ChoiceField(label=_("Dimension"), choices=Question.Dimension.choices, required=False,
                                  help_text=_("Which score a rating fills, or which text a free-text question holds."))
    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=300, required=False)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    help_zh = forms.CharField(label=_("Help (Chinese)"), max_length=300, required=False)
    help_en = forms.CharField(label=_("Help (English)"), max_length=300, required=False)
    choices_text = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Choice questions only: one choice per line, “中文 | English”."))
    required = forms.BooleanField(label=_("Required"), required=False)

    def to_service(self) -> dict:
        data = dict(self.cleaned_data)
        choices = []
        for i, line in enumerate((data.pop("choices_text") or "").splitlines(), start=1):
            if not line.strip():
                continue
            zh, _sep, en = line.partition("|")
            choices.append({"value": str(i), "zh": zh.strip(), "en": en.strip()})
        data["choices"] = choices
        data.pop("DELETE", None)
        return data

    @staticmethod
    def initial_for(question: Question) -> dict:
        return {"id": question.pk, "kind": question.kind, "dimension": question.dimension,
                "text_zh": question.text_zh, "text_en": question.text_en, "help_zh": question.help_zh,
                "help_en": question.help_en, "required": question.required,
                "choices_text": "\n".join(f"{c.get('zh', '')} | {c.get('en', '')}" for c in question.choices or [])}


QuestionFormSet = forms.formset_factory(QuestionForm, extra=0, can_delete=True)

# Form field → service error key: "questions[i].choices" is shown beside choices_text.
SERVICE_TO_FORM_FIELD = {"choices": "choices_text"}


def _score(label, low, high):
    return forms.IntegerField(label=label, min_value=low, max_value=high, required=False,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class PhoneSurveyForm(forms.Form):
    """Seed 001 template 2 typed in during a phone call (电话回访)."""

    survey = forms.ModelChoiceField(label=_("Survey"), queryset=None)
    answered_at = forms.DateTimeField(label=_("Answered at"),
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    quality = _score(_("Product/service quality (1–10)"), 1, 10)
    speed = _score(_("Response speed (1–10)"), 1, 10)
    resolution = _score(_("Resolution (1–10)"), 1, 10)
    care = _score(_("Care experience (1–10)"), 1, 10)
    overall = _score(_("Overall satisfaction (1–10)"), 1, 10)
    nps = _score(_("Likelihood to recommend, NPS (0–10)"), 0, 10)
    ces = _score(_("Customer effort (1–7)"), 1, 7)
    reason = forms.CharField(label=_("Reason for the NPS score"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    suggestions = forms.CharField(label=_("Suggestions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, surveys=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys


class CampaignForm(forms.Form):
    survey = forms.ModelChoiceField(label=_("Survey"), queryset=None)
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    tier = forms.ChoiceField(label=_("Tier"), choices=TIER_CHOICES, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("All owners"))
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)

    def __init__(self, *args, surveys=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys
        self.fields["owner"].queryset = owners

    def filters(self) -> dict:
        d = self.cleaned_data
        return {"tier": d.get("tier") or "", "owner": d["owner"].pk if d.get("owner") else None,
                "region": (d.get("region") or "").strip(), "tag": (d.get("tag") or "").strip()}


class ResultsFilterForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("survey results period", "From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("survey results period", "To"), widget=forms.DateInput(attrs={"type": "date"}))
    tier = forms.ChoiceField(label=_("Tier"), choices=TIER_CHOICES, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("All teams"))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("All owners"))
    ticket_category = forms.ChoiceField(label=_("Ticket category"), required=False)
    group_by = forms.ChoiceField(label=_("Break down by"), required=False, choices=[
        ("tier", _("Tier")), ("team", _("Team")), ("owner", _("Owner")), ("ticket_category", _("Ticket category"))])

    def __init__(self, *args, teams=None, owners=None, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["owner"].queryset = owners
        self.fields["ticket_category"].choices = [("", _("All categories")), *categories]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


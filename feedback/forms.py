"""Forms of the feedback pages (validation of the shape only; the rules are in the services)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import ThemeEntry


class ThemeEntryForm(forms.ModelForm):
    class Meta:
        model = ThemeEntry
        fields = ["team", "name_zh", "name_en", "keywords_zh", "keywords_en", "is_active"]
        widgets = {"keywords_zh": forms.Textarea(attrs={"rows": 2}), "keywords_en": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, teams, allow_global: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].required = not allow_global
        self.fields["team"].empty_label = _("Every team") if allow_global else None

    def _get_validation_exclusions(self):
        # The service checks a name taken in the scope (its error stands beside ``name_zh``).
        return {*super()._get_validation_exclusions(), "name_zh"}

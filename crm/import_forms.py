"""Forms of the import pages: the upload (step 1) and the column mapping (step 2)."""
from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core import access
from crm import importing
from crm.importing.specs import ENTITY_MODELS
from crm.models import Team

ENTITY_LABELS = {
    "customers": _("Customers"),
    "contacts": _("Contacts"),
    "transactions": _("Transactions"),
    "interactions": _("Follow-ups"),
    "transaction_lines": _("Transaction lines"),
}
EXTRA_LABELS = {"customer_external_id": _("Customer external ID"),
                "referred_by_external_id": _("Referred by (the referrer's external ID)"),
                "transaction_external_id": _("Transaction external ID"), "product_code": _("Product code")}
# Labels of one import's own columns (a line's source is its transaction's).
ENTITY_EXTRA_LABELS = {"transaction_lines": {"source": _("Transaction source system")}}


def field_label(*, entity: str, field_name: str) -> str:
    """The human name of an import field: the model's verbose name, else our own label."""
    if field_name in ENTITY_EXTRA_LABELS.get(entity, {}):
        return str(ENTITY_EXTRA_LABELS[entity][field_name])
    if field_name in EXTRA_LABELS:
        return str(EXTRA_LABELS[field_name])
    try:
        return capfirst(str(ENTITY_MODELS[entity]._meta.get_field(field_name).verbose_name))
    except (FieldDoesNotExist, KeyError):
        return field_name


def _same(a: str, b: str) -> bool:
    return a.strip().lower().replace(" ", "_") == b.strip().lower().replace(" ", "_")


def choice_label(*, entity: str, field_name: str) -> str:
    """'Phone (phone)' would say one word twice: then only 'Phone'."""
    label = field_label(entity=entity, field_name=field_name)
    return label if _same(label, field_name) else f"{label} ({field_name})"


def error_label(*, entity: str, field_name: str, mapping: dict[str, str]) -> str:
    """The column a row error is about, as the user named it: '电话 (Phone)',
    or just 'kind' when the column header is the field's own name."""
    label = field_label(entity=entity, field_name=field_name)
    header = next((h for h, f in mapping.items() if f == field_name), None)
    if header is None or _same(header, field_name) or _same(header, label):
        return label if header is None else header
    return f"{header} ({label})"


class ImportUploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("What to import"), choices=list(ENTITY_LABELS.items()),
                               initial="customers")
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or GB18030/GBK) or Excel .xlsx. "
                                                        "The first row holds the column headers."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xlsm"}))
    team = forms.ModelChoiceField(label=_("Team of new customers"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("My team (none for an admin)"),
                                  help_text=_("Used when the file has no team column."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if access.is_admin(user):
            self.fields["team"].queryset = access.assignable_teams_for(user)
        else:
            del self.fields["team"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(importing.ACCEPTED_SUFFIXES):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        return upload


class ColumnMappingForm(forms.Form):
    """One select per column header of the file: the field it fills, or ignore."""

    def __init__(self, *args, entity: str, headers: list[str], mapping: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.headers = headers
        choices = [("", _("— ignore —"))] + [
            (f, choice_label(entity=entity, field_name=f)) for f in importing.ENTITY_FIELDS[entity]]
        # The mapping chosen last (when a preview is mapped again), else the headers recognised.
        auto = mapping if mapping is not None else importing.auto_mapping(headers, entity)
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(label=header, choices=choices, required=False,
                                                            initial=auto.get(header, ""))

    def column_fields(self):
        return [(header, self[f"col_{i}"]) for i, header in enumerate(self.headers)]

    def clean(self):
        cleaned = super().clean()
        used: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            target = cleaned.get(f"col_{index}")
            if not target:
                continue
            if target in used:
                self.add_error(f"col_{index}", _("Column “%(other)s” already fills this field.")
                               % {"other": used[target]})
            used[target] = header
        if not used:
            raise forms.ValidationError(_("Choose a field for at least one column."))
        return cleaned

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound else {n: f.initial for n, f in self.fields.items()}
        return {h: data[f"col_{i}"] for i, h in enumerate(self.headers) if data.get(f"col_{i}")}

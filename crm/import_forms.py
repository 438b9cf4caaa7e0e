"""Forms of the import pages: the upload (step 1) and the column mapping (step 2)."""
from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from crm import importing
from crm.api_import import MAX_UPLOAD_BYTES
from crm.models import Contact, Customer, Interaction, Transaction

ENTITY_LABELS = {
    "customers": _("Customers"),
    "contacts": _("Contacts"),
    "transactions": _("Transactions"),
    "interactions": _("Follow-ups"),
}
ENTITY_MODELS = {"customers": Customer, "contacts": Contact, "transactions": Transaction,
                 "interactions": Interaction}
EXTRA_LABELS = {"customer_external_id": _("Customer external ID")}
ACCEPTED_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def field_label(*, entity: str, field_name: str) -> str:
    """The human name of an import field: the model's verbose name, else our own label."""
    if field_name in EXTRA_LABELS:
        return str(EXTRA_LABELS[field_name])
    try:
        return capfirst(str(ENTITY_MODELS[entity]._meta.get_field(field_name).verbose_name))
    except FieldDoesNotExist:
        return field_name


class ImportUploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("What to import"), choices=list(ENTITY_LABELS.items()),
                               initial="customers")
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or GB18030) or Excel .xlsx, at most 20 MB. "
                                                        "The first row holds the column headers."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xlsm"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_SUFFIXES):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            rows = importing.read_table(content=upload.read(), filename=upload.name)
        except Exception:  # noqa: BLE001 - any unreadable file is the user's error, reported plainly
            raise forms.ValidationError(_("The file could not be read as CSV or XLSX.")) from None
        if not rows:
            raise forms.ValidationError(_("The file has no data rows."))
        self.rows = rows
        return upload


class ColumnMappingForm(forms.Form):
    """One select per column header of the file: the field it fills, or ignore."""

    def __init__(self, *args, entity: str, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.headers = headers
        choices = [("", _("— ignore —"))] + [
            (f, f"{field_label(entity=entity, field_name=f)} ({f})") for f in importing.ENTITY_FIELDS[entity]]
        allowed = set(importing.ENTITY_FIELDS[entity])
        auto = importing.auto_mapping(headers)
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False,
                initial=auto.get(header) if auto.get(header) in allowed else "")

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
        """Header → field, from the submitted selects (or the pre-filled ones when unbound)."""
        data = self.cleaned_data if self.is_bound else {n: f.initial for n, f in self.fields.items()}
        return {h: data[f"col_{i}"] for i, h in enumerate(self.headers) if data.get(f"col_{i}")}

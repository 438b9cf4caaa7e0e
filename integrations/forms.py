"""Browser forms of the integrations app (parse only; services decide)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import WEBHOOK_EVENTS, Mailbox


class MailboxForm(forms.ModelForm):
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("Stored encrypted. Leave blank to keep the current password."))

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "use_tls", "username", "password", "folder", "active"]


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("Events"), choices=[(e, e) for e in WEBHOOK_EVENTS],
                                       widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(label=_("Secret"), required=False, max_length=200,
                             help_text=_("Leave blank to generate one. It is shown once, after saving."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the customer"), max_length=100, required=False)


class TriageAssignForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    remember_sender = forms.BooleanField(label=_("Add the sender as a contact of this customer"), required=False,
                                         initial=True)


class TriageCreateForm(forms.Form):
    name = forms.CharField(label=_("New customer's name"), max_length=200)

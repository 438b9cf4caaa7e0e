"""Browser forms. They parse and validate input; writes go through crm.services."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core import access
from core.keyset import KeysetSort
from crm import selectors, validation
from crm.models import Contact, Customer, Interaction, Team, Transaction, User
from segmentation.models import Tier

# Customers without a first deal sort last either way (PostgreSQL puts NULL first in DESC).
SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "first_deal": (F("first_deal_date").asc(nulls_last=True), "id"),
    "-first_deal": (F("first_deal_date").desc(nulls_last=True), "-id"),
}
DEFAULT_SORT = "-created"
# The same sorts for keyset paging of the HTML list (core.keyset): column, direction, NULLs last.
KEYSET_SORTS = {
    "name": KeysetSort("name"),
    "-name": KeysetSort("name", descending=True),
    "created": KeysetSort("created_at"),
    "-created": KeysetSort("created_at", descending=True),
    "first_deal": KeysetSort("first_deal_date", nullable=True),
    "-first_deal": KeysetSort("first_deal_date", descending=True, nullable=True),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SharedDateField(forms.DateField):
    """Dates read by crm.validation.date_parse (1990-02-30 is "not a valid date")."""

    widget = DateInput

    def to_python(self, value):
        try:
            return validation.date_parse(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages, code="invalid") from None


def apply_rules(form: forms.Form, check, fields: tuple[str, ...], **kwargs) -> None:
    """Run a crm.validation record check on the form's cleaned fields: normalised
    values replace the typed ones, messages go beside their fields."""
    data = {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}
    data, errors = check(data, **kwargs)
    for field, messages in errors.items():
        form.add_error(field if field in form.fields else None, messages)
    form.cleaned_data.update({k: v for k, v in data.items() if k not in errors})


def list_choices_in_errors(form: forms.Form) -> None:
    """A bad choice names the valid ones."""
    for field in form.fields.values():
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            field.error_messages["invalid_choice"] = validation.choice_message(field.choices)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class CustomerFilterForm(forms.Form):
    """The filters of the customer list (GET). Invalid values are ignored, not fatal."""

    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name, external ID or phone"), "type": "search"}))
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                            empty_label=_("All owners"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("All teams"))
    industry = forms.CharField(label=_("Industry"), required=False)
    region = forms.CharField(label=_("Region"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Customer.Kind.choices])
    tag = forms.CharField(label=_("Tag"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[])
    # Churn prediction (latest model): the model page's decile rows link here.
    churn_probability_min = forms.FloatField(label=_("Churn probability at least"), required=False,
                                             min_value=0, max_value=1, widget=forms.NumberInput(attrs={"step": "0.05"}))
    churn_decile = forms.IntegerField(label=_("Churn decile"), required=False, min_value=1, max_value=10)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS], widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = access.owners_visible_to(user)
        if access.sees_all_customers(user):
            self.fields["team"].queryset = access.teams_visible_to(user)
        else:
            del self.fields["team"]
        tier_choices = _tier_choices()
        if tier_choices:
            self.fields["tier"].choices = [("", _("All tiers")), *tier_choices]
        else:
            del self.fields["tier"]

    def filter(self, queryset):
        self.is_valid()
        data = self.cleaned_data  # only the fields that validated
        queryset = selectors.customer_search(queryset, data.get("q") or "")
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        if data.get("team"):
            queryset = queryset.filter(team=data["team"])
        for field in ("industry", "region"):
            if value := (data.get(field) or "").strip():
                queryset = queryset.filter(**{f"{field}__iexact": value})
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if tag := (data.get("tag") or "").strip():
            queryset = queryset.filter(tags__contains=f",{tag},")
        if data.get("tier"):
            queryset = queryset.filter(segment__tier=data["tier"])
        if data.get("churn_probability_min") is not None:
            queryset = queryset.filter(churn_score__probability__gte=data["churn_probability_min"])
        if data.get("churn_decile"):
            queryset = queryset.filter(churn_score__backtest_decile=data["churn_decile"])
        return queryset.order_by(*SORTS[self.sort_key])

    @property
    def sort_key(self) -> str:
        self.is_valid()
        value = self.cleaned_data.get("sort")
        return value if value in SORTS else DEFAULT_SORT


def _tier_choices():
    return list(Tier.choices)


PREFERENCE_FIELDS = ("contact_window_start", "contact_window_end", "preferred_topics", "settled_notes", "core_need",
                     "sms_opt_out")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


CUSTOMER_FORM_FIELDS = [
    "name", "kind", "external_id", "industry", "size", "region", "owner", "team", "first_deal_date",
    "preferred_channel", "phone", "email", "id_number", "address", "birthday", "notes",
    *PREFERENCE_FIELDS, "referred_by",
]


class CustomerForm(forms.Form):
    """Create / edit a customer. ``team`` only for admins (others: it follows the owner)."""

    tags = forms.CharField(label=_("Tags"), required=False, max_length=500,
                           help_text=_("Separate tags with commas, e.g. VIP, key account"))

    def __init__(self, *args, user, today, customer: Customer | None = None, **kwargs):
        self.today = today
        self.customer = customer
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = customer_initial(customer)
        super().__init__(*args, **kwargs)
        generated = fields_for_model(Customer, fields=CUSTOMER_FORM_FIELDS, widgets={
            "first_deal_date": DateInput, "birthday": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}), "address": forms.TextInput,
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "contact_window_start": TimeInput, "contact_window_end": TimeInput,
            "settled_notes": forms.Textarea(attrs={"rows": 2}),
        }, field_classes={"owner": UserChoiceField, "first_deal_date": SharedDateField,
                          "birthday": SharedDateField})
        generated["email"] = forms.CharField(label=capfirst(Customer._meta.get_field("email").verbose_name),
                                             required=False, max_length=254,
                                             widget=forms.TextInput(attrs={"inputmode": "email"}))
        for name, choices in (("size", Customer.Size.choices), ("preferred_channel", Customer.Channel.choices)):
            generated[name].choices = [("", "—"), *choices]
        tags = self.fields.pop("tags")
        self.fields.update(generated)
        self.fields["tags"] = tags
        owners = access.assignable_users_for(user)
        if customer is not None and customer.owner_id:
            owners = (owners | User.objects.filter(pk=customer.owner_id)).distinct().order_by("username")
        self.fields["owner"].queryset = owners
        if access.is_admin(user):
            self.fields["team"].queryset = access.assignable_teams_for(user)
        else:
            del self.fields["team"]
        self.order_fields(["name", "kind", "external_id", "owner", "team", "industry", "size", "region",
                           "first_deal_date", "preferred_channel", "tags", "phone", "email", "id_number",
                           "address", "birthday", "notes", *PREFERENCE_FIELDS])
        self.fields["preferred_topics"].help_text = _("What they like to talk about, e.g. industry trends, new modules")
        self.fields["settled_notes"].help_text = _("Questions already settled with the customer: not to be asked again")
        self.fields["core_need"].help_text = _("What the customer needs most from us")
        referrers = selectors.referrer_choices_for(user)
        if customer is not None and customer.referred_by_id:
            referrers = referrers | Customer.objects.filter(pk=customer.referred_by_id)
        self.fields["referred_by"] = forms.ModelChoiceField(
            queryset=referrers, required=False, label=capfirst(Customer._meta.get_field("referred_by").verbose_name),
            widget=forms.NumberInput(attrs={"min": 1}),
            help_text=_("The ID of the customer who referred this one (shown on their page), before the first "
                        "purchase: both earn the referral points when it lands."))
        list_choices_in_errors(self)

    def clean(self):
        cleaned = super().clean()
        apply_rules(self, validation.customer_check, ("phone", "email", "id_number", "birthday", "kind",
                                                      "contact_window_start", "contact_window_end"),
                    today=self.today, kind=self.customer.kind if self.customer else None)
        return cleaned

    FIELDSETS = [
        (_("Basics"), ["name", "kind", "external_id", "owner", "team", "industry", "size", "region",
                       "first_deal_date", "preferred_channel", "tags"]),
        (_("Personal data"), ["phone", "email", "id_number", "address", "birthday"]),
        (_("Preferences and core need"), list(PREFERENCE_FIELDS)),
        (_("Referral"), ["referred_by"]),
        (_("Notes"), ["notes"]),
    ]

    def fieldsets(self) -> list[tuple[str, list]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.FIELDSETS]

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].replace("，", ",").split(",") if t.strip()]

    def to_service_data(self, *, only_changed: bool) -> dict:
        names = self.changed_data if only_changed else list(self.fields)
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


def customer_initial(customer: Customer) -> dict:
    initial = {name: getattr(customer, name) for name in CUSTOMER_FORM_FIELDS
               if name not in ("owner", "team", "referred_by")}
    initial["referred_by"] = customer.referred_by_id
    initial["owner"] = customer.owner_id
    initial["team"] = customer.team_id
    initial["tags"] = ", ".join(customer.tag_list)
    return initial


class CustomerRowForm(forms.ModelForm):
    """A contact or a transaction under a customer: the shared field rules
    (``check`` from crm.validation, on ``rule_fields``) run against ``today``; model
    validation is the save service's job (crm.services.contact_save /
    transaction_save)."""

    check = None
    rule_fields: tuple[str, ...] = ()

    def __init__(self, *args, today, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)
        list_choices_in_errors(self)

    def clean(self):
        cleaned = super().clean()
        apply_rules(self, type(self).check, self.rule_fields, today=self.today)
        return cleaned

    def _post_clean(self):
        """Model validation is the service's job."""

    def to_service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactForm(CustomerRowForm):
    check = staticmethod(validation.contact_check)
    rule_fields = ("phone", "email", "birthday")
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254,
                            widget=forms.TextInput(attrs={"inputmode": "email"}))

    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "is_primary", "birthday", "sms_opt_out"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}
        field_classes = {"birthday": SharedDateField}
        help_texts = {"birthday": _("The primary contact's birthday opens a care task in the owner's queue.")}


class TransactionForm(CustomerRowForm):
    check = staticmethod(validation.transaction_check)
    rule_fields = ("amount", "occurred_on", "paid_on")
    amount = forms.DecimalField(label=_("Amount (CNY)"), max_digits=14, decimal_places=2)

    class Meta:
        model = Transaction
        fields = ["kind", "amount", "occurred_on", "due_on", "paid_on", "notes"]
        field_classes = {"occurred_on": SharedDateField, "due_on": SharedDateField, "paid_on": SharedDateField}


class InteractionForm(forms.ModelForm):
    """A follow-up record (回访记录). Channel defaults to the customer's preferred
    channel and the time to now, so logging one is: open, type, save."""

    next_action_owner = UserChoiceField(label=_("Next action owner"), queryset=User.objects.none(),
                                        required=False)

    class Meta:
        model = Interaction
        fields = ["occurred_at", "channel", "summary", "feedback", "next_action", "next_action_owner",
                  "next_action_due", "is_objection"]
        widgets = {
            "occurred_at": DateTimeInput,
            "next_action_due": DateInput,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "feedback": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"next_action_due": SharedDateField}

    def __init__(self, *args, user, customer: Customer, now, **kwargs):
        self.now = now
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "channel": customer.preferred_channel or Customer.Channel.PHONE,
                "occurred_at": timezone.localtime(self.now).replace(second=0, microsecond=0),
            }
        super().__init__(*args, **kwargs)
        self.fields["next_action_owner"].queryset = access.assignable_users_for(user)
        self.fields["next_action_owner"].empty_label = _("Me")
        self.fields["summary"].widget.attrs["placeholder"] = _("What was discussed?")
        list_choices_in_errors(self)

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        # A record dated ahead would close follow-ups that are still pending.
        if occurred_at > self.now + timedelta(minutes=5):
            raise ValidationError(_("A follow-up cannot be logged in the future."), code="future")
        return occurred_at

    def clean(self):
        cleaned = super().clean()
        apply_rules(self, validation.interaction_check, ("occurred_at",), today=timezone.localdate(self.now))
        if cleaned.get("next_action_due") and not cleaned.get("next_action"):
            self.add_error("next_action", _("Say what the next action is, or clear its due date."))
        if cleaned.get("next_action_due") and cleaned["next_action_due"] < timezone.localdate(self.now):
            self.add_error("next_action_due", _("The next action cannot be due in the past."))
        return cleaned

    def _post_clean(self):
        """Model validation is the service's job (crm.services.interaction_log)."""

    def to_service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

"""Browser forms of the tickets app (parse only; services decide)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core import access
from crm.models import Customer, User
from tickets.models import Category, Channel, Department, Urgency


class VersionForm(forms.Form):
    """A ticket action's form; ``user`` is the person acting (choices depend on it)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class TicketCreateForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.OTHER)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    is_complaint = forms.BooleanField(label=_("This is a complaint"), required=False,
                                      help_text=_("The Complaint category always is."))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.for_user(user)


class QuickTicketForm(forms.Form):
    """The customer page's "New ticket" form: subject, category, urgency."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.OTHER)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)


class ReplyForm(VersionForm):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.BooleanField(label=_("Public reply (the customer sees it)"), required=False, initial=True)


class CommitForm(VersionForm):
    committed_resolution_at = forms.DateTimeField(
        label=_("Committed resolution time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])


class ResolveForm(VersionForm):
    resolution = forms.CharField(label=_("Resolution (sent to the customer)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(VersionForm):
    satisfaction = forms.TypedChoiceField(label=_("Satisfaction"), coerce=int, required=False, empty_value=None,
                                          choices=[("", _("Not given")), *[(i, f"{i} ★") for i in range(5, 0, -1)]])
    feedback = forms.CharField(label=_("Feedback"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), required=False)


class AssignForm(VersionForm):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False,
                                      empty_label=_("Unassigned"))
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].queryset = access.ticket_assignees_for(user)


class QueueForm(forms.Form):
    SCOPES = [("mine", _("Mine")), ("department", _("Department")), ("unassigned", _("Unassigned")),
              ("all", _("All open"))]
    SORTS = [("sla", _("SLA time left")), ("-created", _("Newest")), ("created", _("Oldest")),
             ("urgency", _("Urgency"))]
    scope = forms.ChoiceField(label=_("Queue"), choices=SCOPES, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False,
                                        empty_label=_("All departments"))
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)
    breached = forms.BooleanField(label=_("Breached only"), required=False)


class RoutingForm(forms.Form):
    """One department per category, and each department's supervisor."""

    def __init__(self, *args, rules: dict, departments, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = list(departments)
        for value, label in Category.choices:
            self.fields[f"route_{value}"] = forms.ModelChoiceField(label=label, queryset=Department.objects.all(),
                                                                   initial=rules.get(value))
        for dept in self.departments:
            self.fields[f"supervisor_{dept.pk}"] = forms.ModelChoiceField(
                label=str(dept), queryset=users, required=False, initial=dept.supervisor_id,
                empty_label=_("No supervisor"))

    def route_fields(self):
        return [self[f"route_{v}"] for v in Category.values]

    def supervisor_fields(self):
        return [self[f"supervisor_{d.pk}"] for d in self.departments]


class PolicyForm(forms.Form):
    # The blank choice lets the formset's empty extra row stay unchanged (and be skipped).
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", "—"), *Urgency.choices])
    tier = forms.ChoiceField(label=_("Customer tier"), required=False)
    first_response_minutes = forms.IntegerField(label=_("First response (minutes)"), min_value=1)
    commitment_minutes = forms.IntegerField(label=_("Solution or committed time (minutes)"), min_value=1)
    update_minutes = forms.IntegerField(label=_("Customer update every (minutes)"), min_value=1)
    calendar = forms.ModelChoiceField(label=_("Business calendar"), required=False, queryset=None,
                                      empty_label=_("24×7"))

    def __init__(self, *args, **kwargs):
        from tickets.models import BusinessCalendar, tier_choices

        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices()
        self.fields["calendar"].queryset = BusinessCalendar.objects.all()


PolicyFormSet = forms.formset_factory(PolicyForm, extra=1)

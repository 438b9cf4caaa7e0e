import django_filters
from django.utils import timezone

from core.api_fields import IsoDateTimeFilter
from tickets import selectors
from tickets.models import OPEN_STATUSES, Category, Clock, SlaBreach, Status, Ticket, Urgency


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="open (not resolved or closed)")
    breached = django_filters.BooleanFilter(method="filter_breached", label="has a recorded SLA breach")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Ticket
        fields = ["status", "urgency", "category", "department", "assignee", "customer", "is_complaint",
                  "is_repeat", "channel"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_breached(self, queryset, name, value):
        # Recorded breaches, plus open tickets whose next unrecorded due time has
        # passed (the scan records them within a minute): current at read time.
        breached = selectors.breached_q(now=timezone.now())
        return queryset.filter(breached) if value else queryset.exclude(breached)


class SlaBreachFilter(django_filters.FilterSet):
    clock = django_filters.ChoiceFilter(choices=Clock.choices)
    recorded_after = IsoDateTimeFilter(field_name="recorded_at", lookup_expr="gte")
    recorded_before = IsoDateTimeFilter(field_name="recorded_at", lookup_expr="lt")
    department = django_filters.NumberFilter(field_name="ticket__department")

    class Meta:
        model = SlaBreach
        fields = ["clock", "ticket"]

import django_filters
from rest_framework.filters import SearchFilter

from core.api_fields import IsoDateTimeFilter
from crm.models import Contact, Customer, Interaction, Transaction
from crm.selectors import customer_search


class CustomerFilter(django_filters.FilterSet):
    tags = django_filters.CharFilter(method="filter_tags", label="tag (comma-separated: all must match)")
    q = django_filters.CharFilter(method="filter_q", label="search name / external_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    first_deal_after = django_filters.DateFilter(field_name="first_deal_date", lookup_expr="gte")
    first_deal_before = django_filters.DateFilter(field_name="first_deal_date", lookup_expr="lte")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    region = django_filters.CharFilter(lookup_expr="iexact")
    # Segmentation (latest recompute).
    tier = django_filters.CharFilter(field_name="segment__tier")
    value_tier = django_filters.CharFilter(field_name="segment__value_tier")
    rfm_segment = django_filters.CharFilter(field_name="segment__rfm_segment")
    membership_level = django_filters.CharFilter(field_name="segment__membership_level")
    health_min = django_filters.NumberFilter(field_name="segment__health_score", lookup_expr="gte")
    health_max = django_filters.NumberFilter(field_name="segment__health_score", lookup_expr="lte")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="overdue for contact")
    # Churn prediction (latest model).
    churn_probability_min = django_filters.NumberFilter(field_name="churn_score__probability", lookup_expr="gte",
                                                        label="churn probability at least (0-1)")
    churn_decile = django_filters.NumberFilter(field_name="churn_score__backtest_decile",
                                               label="backtest decile of the churn model (1 = riskiest tenth)")

    class Meta:
        model = Customer
        fields = ["owner", "team", "industry", "region", "kind", "size", "source", "external_id"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(segment__days_overdue__gt=0) if value else queryset.filter(segment__days_overdue=0)

    def filter_tags(self, queryset, name, value):
        for tag in [t.strip() for t in value.split(",") if t.strip()]:
            queryset = queryset.filter(tags__contains=f",{tag},")
        return queryset

    def filter_q(self, queryset, name, value):
        return customer_search(queryset, value)


class CustomerSearchFilter(SearchFilter):
    """The API's ``?search=``: each term (DRF splits on spaces and commas; all must match)
    through the one customer search, so it finds what the list page's search finds and reads
    the same indexes (crm.selectors.customer_search)."""

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            queryset = customer_search(queryset, term)
        return queryset


class ContactFilter(django_filters.FilterSet):
    class Meta:
        model = Contact
        fields = ["customer", "is_primary"]


class TransactionFilter(django_filters.FilterSet):
    occurred_after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    team = django_filters.NumberFilter(field_name="customer__team")
    owner = django_filters.NumberFilter(field_name="customer__owner")

    class Meta:
        model = Transaction
        fields = ["customer", "kind", "source", "external_id"]


class InteractionFilter(django_filters.FilterSet):
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    team = django_filters.NumberFilter(field_name="customer__team")

    class Meta:
        model = Interaction
        fields = ["customer", "channel", "staff", "next_action_owner", "is_objection"]

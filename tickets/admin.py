from django.contrib import admin

from tickets.models import (BusinessCalendar, BusinessHours, Department, Holiday, RoutingRule, SlaBreach, SlaEvent,
                            SlaPolicy, Ticket, TicketMessage, TrendAlert, WeeklySummary)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "supervisor"]
    filter_horizontal = ["members"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "department"]
    list_editable = ["department"]


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone"]
    inlines = [BusinessHoursInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["urgency", "tier", "first_response_minutes", "commitment_minutes", "update_minutes", "calendar"]


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    extra = 0
    readonly_fields = ["author", "from_customer", "public", "body", "created_at"]


class SlaEventInline(admin.TabularInline):
    model = SlaEvent
    extra = 0
    readonly_fields = ["clock", "kind", "at", "target_at", "note"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-mostly: changes go through the ticket page or the API (services keep the clocks right)."""

    list_display = ["number", "subject", "customer", "category", "urgency", "status", "department", "assignee",
                    "created_at", "escalation_level"]
    list_filter = ["status", "urgency", "category", "department"]
    search_fields = ["number", "subject"]
    raw_id_fields = ["customer", "assignee", "created_by", "repeat_of"]
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [TicketMessageInline, SlaEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(SlaBreach)
class SlaBreachAdmin(admin.ModelAdmin):
    list_display = ["ticket", "clock", "due_at", "recorded_at"]
    list_filter = ["clock"]
    raw_id_fields = ["ticket"]


admin.site.register(WeeklySummary)
admin.site.register(TrendAlert)

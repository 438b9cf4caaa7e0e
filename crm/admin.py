from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_reveal_record
from crm.models import PERSONAL_FIELDS, Contact, Customer, FollowUp, Interaction, Team, Transaction, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    list_select_related = ["team"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Role and team"), {"fields": ("role", "team")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Role and team"), {"fields": ("role", "team", "email")}),
    )


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Django admin is for admins only (is_staff), who may read personal fields."""

    list_display = ["name", "kind", "industry", "region", "owner", "team", "created_at"]
    list_filter = ["kind", "team", "size"]
    list_select_related = ["owner", "team"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner"]
    inlines = [ContactInline]
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change form shows personal fields in clear: audit it like any other unmasked read.
        if request.method == "GET" and str(object_id).isdigit():
            audit_reveal_record(user=request.user, object_type="crm.customer", object_ids=[int(object_id)],
                                fields=PERSONAL_FIELDS, channel="admin", now=timezone.now())
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "amount", "occurred_on", "due_on", "paid_on"]
    list_filter = ["kind"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["customer", "occurred_at", "channel", "staff", "is_objection"]
    list_filter = ["channel", "is_objection"]
    list_select_related = ["customer", "staff"]
    raw_id_fields = ["customer", "staff", "next_action_owner"]
    show_full_result_count = False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["customer", "owner", "source", "due_at", "done_at"]
    list_filter = ["source"]
    list_select_related = ["customer", "owner"]
    raw_id_fields = ["customer", "owner", "done_by"]
    show_full_result_count = False

from django import forms
from django.contrib import admin
from django.utils import timezone

from integrations import services
from integrations.models import InboundEmail, Mailbox, Webhook, WebhookDelivery


class MailboxAdminForm(forms.ModelForm):
    password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput(render_value=False),
                               help_text="Stored encrypted. Leave blank to keep the current password.")

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "use_tls", "username", "password", "folder", "active"]


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxAdminForm
    list_display = ["name", "host", "port", "use_tls", "username", "folder", "active", "last_polled_at"]
    readonly_fields = ["last_polled_at", "last_error", "last_uid"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in MailboxAdminForm.Meta.fields}
        fresh = Mailbox.objects.get(pk=obj.pk) if change else None
        saved = services.mailbox_save(mailbox=fresh, data=data, now=timezone.now())
        obj.pk = saved.pk


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "subject", "status", "source", "ticket"]
    list_filter = ["status", "source"]
    search_fields = ["subject", "message_id"]
    list_select_related = ["ticket"]
    exclude = ["from_address"]
    readonly_fields = [f.name for f in InboundEmail._meta.fields if f.name != "from_address"]

    def has_add_permission(self, request):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "active", "created_at"]
    exclude = ["secret"]  # shown once, at creation through the API or the page
    readonly_fields = ["created_by", "created_at"]

    def has_add_permission(self, request):
        return False  # created through the page or API, which generate and show the secret


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "webhook", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Channels and webhooks")

    def ready(self) -> None:
        # The owning apps announce their changes through core.events (no import of
        # this app, so no import circle); these receivers run in their transactions.
        from core.events import event_receiver_register
        from integrations.services.mail_out import mail_out_on_event
        from integrations.services.senders import sender_index_on_event
        from integrations.services.webhooks import webhook_events_emit

        event_receiver_register(sender_index_on_event)
        event_receiver_register(webhook_events_emit)
        event_receiver_register(mail_out_on_event)

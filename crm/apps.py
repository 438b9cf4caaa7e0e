from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core.events import event_receiver_register
        from crm import activity
        from crm.importing import jobs  # noqa: F401  (registers the "crm.import" job handler)
        from crm.models import Interaction, Transaction
        from crm.phone_index import phone_index_on_event

        event_receiver_register(phone_index_on_event)
        activity.source_register(Transaction, "occurred_on")
        activity.source_register(Interaction, "occurred_at")
        post_migrate.connect(activity.on_post_migrate, sender=self, dispatch_uid="crm.activity.triggers")

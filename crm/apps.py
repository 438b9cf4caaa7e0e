from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from core.events import event_receiver_register
        from crm.importing import jobs  # noqa: F401  (registers the "crm.import" job handler)
        from crm.phone_index import phone_index_on_event

        event_receiver_register(phone_index_on_event)

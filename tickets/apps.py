from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Tickets on the customer timeline and a tickets panel (with a quick
        # "New ticket" form) on the customer page.
        from crm import activity
        from crm.selectors import CUSTOMER_PANELS, TIMELINE_SOURCES, hooks_register
        from tickets.models import Ticket
        from tickets.selectors import timeline_entries
        from tickets.views import customer_panel

        hooks_register(TIMELINE_SOURCES, timeline_entries)
        hooks_register(CUSTOMER_PANELS, customer_panel)
        activity.source_register(Ticket, "created_at")  # a ticket counts as activity (churn, retention)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Customer care")

    def ready(self):
        from care import panels
        from care.points_services import points_on_event
        from care.sms_services import sms_on_event
        from core.events import event_receiver_register
        from crm import selectors as crm_selectors

        # Text messages for a resolved ticket or a committed time (core.events: no import of care by tickets).
        event_receiver_register(sms_on_event)
        crm_selectors.hooks_register(crm_selectors.FOLLOWUP_FORM_PANELS, panels.followup_form_panel)
        crm_selectors.hooks_register(crm_selectors.CUSTOMER_PANELS, panels.customer_loss_panel)
        event_receiver_register(points_on_event)
        crm_selectors.hooks_register(crm_selectors.CUSTOMER_PANELS, panels.customer_points_panel)

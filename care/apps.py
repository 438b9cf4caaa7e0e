from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Customer care")

    def ready(self):
        from care import panels
        from crm import selectors as crm_selectors

        crm_selectors.hooks_register(crm_selectors.FOLLOWUP_FORM_PANELS, panels.followup_form_panel)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from crm import selectors as crm_selectors
        from surveys import panels

        crm_selectors.hooks_register(crm_selectors.TIMELINE_SOURCES, panels.timeline_entries)
        crm_selectors.hooks_register(crm_selectors.CUSTOMER_PANELS, panels.customer_panel)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from crm import selectors as crm_selectors
        from surveys import panels

        if panels.timeline_entries not in crm_selectors.TIMELINE_SOURCES:
            crm_selectors.TIMELINE_SOURCES.append(panels.timeline_entries)
        if panels.customer_panel not in crm_selectors.CUSTOMER_PANELS:
            crm_selectors.CUSTOMER_PANELS.append(panels.customer_panel)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class XsellConfig(AppConfig):
    name = "xsell"
    verbose_name = _("Cross-sell")

    def ready(self):
        import xsell.services  # noqa: F401  (registers the mining job handler)
        from crm.selectors import CUSTOMER_PANELS, hooks_register
        from xsell.panels import customer_suggestions_panel

        hooks_register(CUSTOMER_PANELS, customer_suggestions_panel)

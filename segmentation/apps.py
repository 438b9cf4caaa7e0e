from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self):
        import segmentation.churn.services  # noqa: F401  (registers the churn training job handler)
        import segmentation.services  # noqa: F401  (registers the recompute job handler)
        from crm.selectors import CUSTOMER_PANELS, hooks_register
        from segmentation.churn.panels import customer_churn_panel
        from segmentation.panels import customer_segment_panel

        hooks_register(CUSTOMER_PANELS, customer_segment_panel, customer_churn_panel)

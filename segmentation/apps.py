from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self):
        import segmentation.churn.services  # noqa: F401  (registers the churn training job handler)
        import segmentation.services  # noqa: F401  (registers the recompute job handler)
        from crm.selectors import CUSTOMER_PANELS
        from segmentation.panels import customer_segment_panel

        if customer_segment_panel not in CUSTOMER_PANELS:
            CUSTOMER_PANELS.append(customer_segment_panel)

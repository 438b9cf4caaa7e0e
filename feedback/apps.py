from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback themes")

    def ready(self):
        from feedback import services  # noqa: F401  (registers the job handler)

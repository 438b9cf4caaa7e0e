from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations import api

router = SimpleRouter()
router.register("webhooks", api.WebhookViewSet, basename="webhook")
router.register("inbound-emails", api.InboundEmailViewSet, basename="inbound-email-record")
urlpatterns = [
    path("inbound-email/", api.InboundEmailView.as_view(), name="inbound-email"),
    *router.urls,
]

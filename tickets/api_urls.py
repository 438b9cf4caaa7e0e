from rest_framework.routers import SimpleRouter

from tickets import api

router = SimpleRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("sla-breaches", api.SlaBreachViewSet, basename="sla-breach")
urlpatterns = router.urls

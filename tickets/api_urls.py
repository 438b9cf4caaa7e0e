from core.api import Router

from tickets import api

router = Router()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("sla-breaches", api.SlaBreachViewSet, basename="sla-breach")
urlpatterns = router.urls

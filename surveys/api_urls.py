from django.urls import path
from core.api import Router

from surveys import api

router = Router()
router.register("surveys", api.SurveyViewSet, basename="survey")
router.register("survey-invitations", api.SurveyInvitationViewSet, basename="survey-invitation")
router.register("survey-responses", api.SurveyResponseViewSet, basename="survey-response")

urlpatterns = [
    # Explicit, and included before reviews' generic metrics/<key>/, so it wins.
    path("metrics/nps/", api.NpsMetricView.as_view(), name="api-metric-nps"),
    *router.urls,
]

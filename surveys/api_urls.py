from django.urls import path
from rest_framework.routers import SimpleRouter

from surveys import api

router = SimpleRouter()
router.register("surveys", api.SurveyViewSet, basename="survey")
router.register("survey-invitations", api.SurveyInvitationViewSet, basename="survey-invitation")
router.register("survey-responses", api.SurveyResponseViewSet, basename="survey-response")

urlpatterns = [
    # Explicit, and included before reviews' generic metrics/<key>/, so it wins.
    path("metrics/nps/", api.NpsMetricView.as_view(), name="api-metric-nps"),
    *router.urls,
]

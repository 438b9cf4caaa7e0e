from django.urls import path
from core.api import Router

from reviews import api

router = Router()
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("review-actions", api.ReviewActionViewSet, basename="review-action")
router.register("trend-actions", api.TrendActionViewSet, basename="trend-action")

# surveys' explicit metrics/nps/ is included earlier in config/urls.py and wins.
urlpatterns = [
    path("metrics/", api.MetricCatalogueView.as_view(), name="api-metric-catalogue"),
    path("metrics/by-owner/", api.MetricsByOwnerView.as_view(), name="api-metrics-by-owner"),
    path("metrics/by-department/", api.MetricsByDepartmentView.as_view(), name="api-metrics-by-department"),
    path("metrics/by-agent/", api.MetricsByAgentView.as_view(), name="api-metrics-by-agent"),
    path("metrics/<slug:key>/", api.MetricValueView.as_view(), name="api-metric-value"),
    path("metrics/<slug:key>/records/", api.MetricRecordsView.as_view(), name="api-metric-records"),
    *router.urls,
]

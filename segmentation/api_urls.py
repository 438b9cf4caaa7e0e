from django.urls import path

from segmentation import api
from segmentation.churn import api as churn_api

urlpatterns = [
    path("segments/recompute/", api.RecomputeView.as_view(), name="segments-recompute"),
    path("segments/churn-model/", churn_api.ChurnModelView.as_view(), name="churn-model"),
    path("segments/churn-model/train/", churn_api.ChurnTrainView.as_view(), name="churn-model-train"),
    path("segments/summary/", api.SummaryView.as_view(), name="segments-summary"),
    path("follow-ups/", api.FollowUpQueueView.as_view(), name="followup-queue"),
]

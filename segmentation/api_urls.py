from django.urls import path

from segmentation import api

urlpatterns = [
    path("segments/recompute/", api.RecomputeView.as_view(), name="segments-recompute"),
    path("segments/summary/", api.SummaryView.as_view(), name="segments-summary"),
    path("follow-ups/", api.FollowUpQueueView.as_view(), name="followup-queue"),
]

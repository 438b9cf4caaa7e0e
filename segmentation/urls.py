from django.urls import path

from segmentation import views

app_name = "segmentation"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("follow-ups/", views.followups, name="follow-ups"),
    path("follow-ups/log/", views.followup_log, name="follow-up-log"),
    path("recompute/", views.recompute, name="recompute"),
    path("jobs/", views.jobs, name="jobs"),
    path("settings/", views.settings_edit, name="settings"),
]

from django.urls import path

from segmentation import views
from segmentation.churn import views as churn_views

app_name = "segmentation"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("follow-ups/", views.followups, name="follow-ups"),
    path("follow-ups/log/", views.followup_log, name="follow-up-log"),
    path("recompute/", views.recompute, name="recompute"),
    path("jobs/", views.jobs, name="jobs"),
    path("settings/", views.settings_edit, name="settings"),
    path("churn/", churn_views.churn_model_page, name="churn-model"),
    path("churn/train/", churn_views.churn_model_train, name="churn-model-train"),
]

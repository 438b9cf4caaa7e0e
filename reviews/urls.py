from django.urls import path

from reviews import drill_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.review_list, name="list"),
    path("new/", views.review_create, name="create"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/rows/", views.review_rows_save, name="rows-save"),
    path("<int:pk>/refresh/", views.review_refresh, name="refresh"),
    path("<int:pk>/status/", views.review_status, name="status"),
    path("<int:pk>/findings/", views.review_finding_add, name="finding-add"),
    path("<int:pk>/findings/<int:finding_id>/delete/", views.review_finding_delete, name="finding-delete"),
    path("<int:pk>/actions/", views.review_action_add, name="action-add"),
    path("<int:pk>/export/<str:fmt>/", views.review_export, name="export"),
    path("actions/mine/", views.my_actions, name="my-actions"),
    path("actions/<int:pk>/status/", views.action_status, name="action-status"),
    path("trend-actions/<int:pk>/status/", views.trend_action_status, name="trend-action-status"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/grid/", views.grid_cell, name="grid-cell"),
    path("people/", views.people, name="people"),
    path("metrics/<slug:key>/records/", drill_views.metric_records, name="metric-records"),
    path("metrics/<slug:key>/records/act/", drill_views.metric_records_act, name="metric-records-act"),
]

from django.urls import path

from care import points_views, views

app_name = "care"

urlpatterns = [
    path("settings/", views.care_settings, name="settings"),
    path("customers/<int:customer_pk>/give-up/", views.customer_give_up, name="give-up"),
    path("points/", points_views.points_ledger, name="points-ledger"),
    path("customers/<int:customer_pk>/points/", points_views.customer_points, name="customer-points"),
]

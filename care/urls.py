from django.urls import path

from care import views

app_name = "care"

urlpatterns = [
    path("settings/", views.care_settings, name="settings"),
    path("customers/<int:customer_pk>/give-up/", views.customer_give_up, name="give-up"),
]

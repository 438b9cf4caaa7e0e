from django.urls import path

from care import api

urlpatterns = [
    path("customers/<int:customer_pk>/loss/", api.CustomerLossView.as_view(), name="api-customer-loss"),
]

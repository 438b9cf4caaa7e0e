from django.urls import path

from care import api, points_api

urlpatterns = [
    path("customers/<int:customer_pk>/loss/", api.CustomerLossView.as_view(), name="api-customer-loss"),
    path("points/", points_api.PointsEntryListView.as_view(), name="points-list"),
    path("points/rewards/", points_api.RewardListView.as_view(), name="points-rewards"),
    path("customers/<int:customer_pk>/points/", points_api.CustomerPointsView.as_view(), name="customer-points"),
    path("customers/<int:customer_pk>/points/redeem/", points_api.CustomerRedeemView.as_view(),
         name="customer-points-redeem"),
    path("customers/<int:customer_pk>/points/adjust/", points_api.CustomerAdjustView.as_view(),
         name="customer-points-adjust"),
]

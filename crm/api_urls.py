from django.urls import path
from core.api import DefaultRouter

from crm import api, api_import

router = DefaultRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("transactions", api.TransactionViewSet, basename="transaction")
router.register("products", api.ProductViewSet, basename="product")
router.register("interactions", api.InteractionViewSet, basename="interaction")
router.register("users", api.UserViewSet, basename="user")
router.register("teams", api.TeamViewSet, basename="team")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("imports/<int:pk>/", api_import.ImportDetailView.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/errors.csv", api_import.ImportErrorsView.as_view(), name="api-import-errors"),
    path("imports/<int:pk>/cancel/", api_import.ImportCancelView.as_view(), name="api-import-cancel"),
    path("imports/<str:entity>/", api_import.ImportView.as_view(), name="api-import"),
    *router.urls,
]

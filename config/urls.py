from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("crm.api_urls")),
    path("", include("segmentation.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("surveys.api_urls")),
    path("", include("reviews.api_urls")),
    path("", include("integrations.api_urls")),
    path("", include("care.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("segments/", include("segmentation.urls")),
    path("tickets/", include("tickets.urls")),
    path("surveys/", include("surveys.urls")),
    path("reviews/", include("reviews.urls")),
    path("care/", include("care.urls")),
    path("feedback/", include("feedback.urls")),
    path("channels/", include("integrations.urls")),
    path("s/", include("surveys.public_urls")),  # public survey answer pages (no login)
    path("manage/", include("crm.manage_urls")),
    path("", include("core.urls")),
    path("", include("crm.urls")),
]

# JSON answers under /api/, the HTML pages elsewhere; the 500 carries the request id.
handler400 = "core.errors.bad_request"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

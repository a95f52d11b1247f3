from django.urls import include, path

from todaysmeet.health import healthz

urlpatterns = [
    path("api/", include("rooms.api.urls")),
    path("api/", include("accounts.api_urls")),
    path("api/billing/", include("billing.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("rooms.urls")),
]

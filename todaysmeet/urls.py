from django.urls import include, path

from todaysmeet.health import healthz

urlpatterns = [
    path("api/", include("rooms.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("rooms.urls")),
]

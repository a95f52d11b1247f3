from django.urls import include, path

from todaysmeet.health import healthz
from todaysmeet.metrics import metrics_view

urlpatterns = [
    path("api/", include("rooms.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("", include("rooms.urls")),
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from todaysmeet.health import healthz
from todaysmeet.metrics import metrics_view

urlpatterns = [
    path("api/", include("rooms.api.urls")),
    path("api/", include("accounts.api_urls")),
    path("api/billing/", include("billing.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/", include("accounts.urls")),
]
if settings.ADMIN_URL:
    urlpatterns.append(path(settings.ADMIN_URL, admin.site.urls))
# Last: a room's page takes any other first segment.
urlpatterns.append(path("", include("rooms.urls")))

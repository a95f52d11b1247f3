from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

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
    # The page scripts' translations (gettext() in rooms/static/), and the footer's language switch.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("i18n/", include("django.conf.urls.i18n")),
]
if settings.ADMIN_URL:
    urlpatterns.append(path(settings.ADMIN_URL, admin.site.urls))
# Last: a room's page takes any other first segment.
urlpatterns.append(path("", include("rooms.urls")))

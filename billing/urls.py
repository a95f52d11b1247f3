from django.urls import path

from billing import api
from rooms.api.http import api_endpoint

app_name = "billing"

urlpatterns = [
    path("setup-intent", api_endpoint(POST=api.create_setup_intent), name="setup-intent"),
    path(
        "subscription",
        api_endpoint(POST=api.subscribe, PATCH=api.change_subscription, DELETE=api.cancel_subscription),
        name="subscription",
    ),
    path("invoices", api_endpoint(GET=api.list_invoices), name="invoices"),
]

from django.urls import path

from billing import api

app_name = "billing"

urlpatterns = [
    path("setup-intent", api.setup_intent, name="setup-intent"),
    path("subscription", api.subscription, name="subscription"),
    path("invoices", api.invoices, name="invoices"),
]

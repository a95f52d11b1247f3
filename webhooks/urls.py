from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("stripe/", views.stripe_webhook, name="stripe"),
    path("mandrill/", views.mandrill_webhook, name="mandrill"),
    path("mailchimp/<str:secret>/", views.mailchimp_webhook, name="mailchimp"),
]

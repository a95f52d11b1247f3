from django.urls import path

from accounts import api

app_name = "accounts-api"

urlpatterns = [
    path("me", api.me, name="me"),
    path("me/verification-email", api.me_verification_email, name="me-verification-email"),
]

from django.urls import path

from accounts import api
from rooms.api.http import api_endpoint

app_name = "accounts-api"

urlpatterns = [
    path("me", api_endpoint(GET=api.get_me, PATCH=api.update_me), name="me"),
    path("me/verification-email", api_endpoint(POST=api.send_verification_email), name="me-verification-email"),
]

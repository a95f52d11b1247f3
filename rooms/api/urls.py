from django.urls import path

from rooms.api import views

app_name = "api"

urlpatterns = [
    path("teachers", views.teachers, name="teachers"),
    path("tokens", views.tokens, name="tokens"),
    path("rooms", views.room_collection, name="rooms"),
    path("rooms/<str:name>", views.room_detail, name="room"),
    path("rooms/<str:name>/join", views.room_join, name="room-join"),
    path("rooms/<str:name>/messages", views.room_messages, name="room-messages"),
    path("rooms/<str:name>/messages/<int:message_id>", views.room_message_detail, name="room-message"),
    path("rooms/<str:name>/events", views.room_events, name="room-events"),
]
